// Arbitrary bytes as a StatsD packet: split on '\n' and parse each line, as a listener will.
// Besides "did not crash" (Beast's fuzz targets are the model), the result's invariants: no
// more good samples than samples seen, every kept observer observed at least once, and a name
// that points into the line or into the ParsedLine's own buffer (SignalFX tags mid-name).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/statsd/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view packet(reinterpret_cast<const char*>(data), size);
  metricsd::statsd::ParsedLine line;
  metricsd::statsd::ParseOptions options;
  while (!packet.empty()) {
    std::size_t end = packet.find('\n');
    std::string_view text = packet.substr(0, end);
    metricsd::statsd::ParseLine(text, options, line);
    if (line.samples.size() > static_cast<std::size_t>(line.samples_seen)) __builtin_trap();
    for (const auto& sample : line.samples) {
      if (sample.repeat < 1) __builtin_trap();
    }
    auto inside = [](std::string_view part, std::string_view whole) {
      return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
    };
    if (!inside(line.name, text) && !inside(line.name, line.name_buffer)) __builtin_trap();
    packet.remove_prefix(end == std::string_view::npos ? packet.size() : end + 1);
  }
  return 0;
}
