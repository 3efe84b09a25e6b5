// Arbitrary bytes as a StatsD packet: split on '\n' and parse each line, as a listener will.
// Nothing but "did not crash" is asserted (Beast's fuzz targets are the model).
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
    metricsd::statsd::ParseLine(packet.substr(0, end), options, line);
    packet.remove_prefix(end == std::string_view::npos ? packet.size() : end + 1);
  }
  return 0;
}
