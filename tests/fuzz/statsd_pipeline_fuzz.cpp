// Arbitrary bytes as StatsD packets through the whole path a listener feeds: parser, mapper
// (globs, a regex, label templates, honor_labels, histograms and summaries), aggregator and
// the real text writer, with the daemon's own StatsD families in the same exposition, as
// /metrics has them. Then the exposition must pass a strict text-format check
// (statsd_exposition_check.h); a violation aborts. One bad line must never break a scrape.
//
// Two aggregators see each input: one with that mapping and tight limits, one with
// statsd_exporter's defaults (unmapped summaries). Each gets the input twice, the second
// time from its line cache.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "collectors/statsd/aggregator.h"
#include "collectors/statsd/statsd_source.h"
#include "daemon/core/text_writer.h"
#include "tests/fuzz/statsd_exposition_check.h"

using namespace metricsd;
using namespace metricsd::statsd;

namespace {

constexpr std::string_view kMapping = R"(
defaults: {observer_type: histogram, histogram_options: {buckets: [0.1, 1]}}
mappings:
  - match: game.*.*
    name: game_$1
    labels: {zone: "$2", le_x: "$1"}
  - match: sum.*
    name: sum_$1
    observer_type: summary
    summary_options: {quantiles: [{quantile: 0.5, error: 0.05}]}
  - match: hon.*
    name: honored
    honor_labels: true
    labels: {kk: "$1"}
  - match: le.*
    name: le_$1
    labels: {le: "$1"}
  - match: 'rx\.([^.]*)\.(.*)'
    match_type: regex
    name: rx_${1}
    labels: {rest: "$2"}
  - match: ux.*
    name: ux
    labels: {__x: "$1"}
  - match: drop.*
    action: drop
)";

// The mapping is parsed once; each input gets fresh aggregators.
std::shared_ptr<Aggregator> Make(std::string_view yaml, LabelLimits limits, std::size_t max_series,
                                 std::size_t max_bytes) {
  ConfigNode root = ParseYaml(yaml, "fuzz.yaml");
  IngestSettings settings;
  settings.mapper = std::make_shared<const Mapper>(
      ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kSummary));
  settings.line_cache_size = 16;
  settings.max_line_length = 512;
  settings.limits = limits;
  return std::make_shared<Aggregator>(settings, max_series, max_bytes);
}

std::shared_ptr<Aggregator> Fresh(const Aggregator& prototype, std::size_t max_series,
                                  std::size_t max_bytes) {
  return std::make_shared<Aggregator>(*prototype.settings(), max_series, max_bytes);
}

void Check(const std::shared_ptr<Aggregator>& aggregator, std::string_view input) {
  std::string text;
  {
    TextWriter writer(text);
    StatsdSource(aggregator).Visit(writer);
    StatsdSelfSource(aggregator, nullptr).Visit(writer);
  }
  std::string error = metricsd::testing::CheckExposition(text);
  if (!error.empty()) {
    std::fprintf(stderr, "invalid exposition: %s\n--- input ---\n%.*s\n--- exposition ---\n%s\n",
                 error.c_str(), static_cast<int>(input.size()), input.data(), text.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static const std::shared_ptr<Aggregator> kMapped = Make(kMapping, {24, 16}, 1, 1);
  static const std::shared_ptr<Aggregator> kPlain = Make("{}", {}, 1, 1);
  auto mapped = Fresh(*kMapped, 64, 1 << 16);
  auto plain = Fresh(*kPlain, 1000, kDefaultMaxSeriesBytes);
  for (const auto& aggregator : {mapped, plain}) {
    Ingester ingester(*aggregator, aggregator->AddShard());
    for (int pass = 0; pass < 2; ++pass) {
      Ingester::Batch batch(ingester);
      ingester.Lines(input);
    }
    Check(aggregator, input);
  }
  return 0;
}
