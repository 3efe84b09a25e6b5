// Arbitrary bytes as "mapping YAML \0 StatsD packet": the mapping goes through
// ParseMappingConfig (a bad one must be a ConfigError, nothing else), then the packet through
// an Aggregator with that mapping (parse, map, labels, series), twice (the second time from
// the line cache), and the result is rendered. Only "did not crash" is asserted, besides
// the sanitizers' own checks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/statsd/aggregator.h"
#include "collectors/statsd/statsd_source.h"
#include "daemon/core/text_writer.h"

using namespace metricsd;
using namespace metricsd::statsd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t split = input.find('\0');
  std::string_view yaml = input.substr(0, split);
  std::string_view packet = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);

  IngestSettings settings;
  try {
    ConfigNode root = ParseYaml(yaml, "fuzz.yaml");
    root.ExpectKeys({"defaults", "mappings"});
    settings.mapper = std::make_shared<const Mapper>(
        ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kHistogram));
  } catch (const ConfigError&) {
    return 0;
  }
  settings.line_cache_size = 16;
  auto aggregator = std::make_shared<Aggregator>(settings, 1000);
  Ingester ingester(*aggregator, aggregator->AddShard());
  for (int pass = 0; pass < 2; ++pass) {
    Ingester::Batch batch(ingester);
    ingester.Lines(packet);
  }
  aggregator->ExpireStale(SteadyMillis() + 1000000000);
  std::string text;
  TextWriter writer(text);
  StatsdSource(aggregator).Visit(writer);
  StatsdSelfSource(aggregator, nullptr).Visit(writer);
  return 0;
}
