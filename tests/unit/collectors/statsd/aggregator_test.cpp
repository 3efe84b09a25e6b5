// The aggregation: lines through parser, mapper and shards, merged into the exposition a
// scrape sees; type conflicts, the series cap, ttl expiry, summaries and sharding.
#include "collectors/statsd/aggregator.h"

#include <gtest/gtest.h>

#include "collectors/statsd/statsd_source.h"
#include "daemon/core/text_writer.h"
#include "tests/fuzz/statsd_exposition_check.h"
#include "tests/unit/support/samples.h"

namespace metricsd::statsd {
namespace {

std::shared_ptr<Aggregator> MakeAggregator(const std::string& mapping_yaml, std::size_t max_series = 1000,
                                           std::size_t max_line_length = 64,
                                           std::size_t max_series_bytes = kDefaultMaxSeriesBytes) {
  ConfigNode root = ParseYaml(mapping_yaml, "mapping.yaml");
  IngestSettings settings;
  settings.mapper = std::make_shared<const Mapper>(
      ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kSummary));
  settings.max_line_length = max_line_length;
  return std::make_shared<Aggregator>(std::move(settings), max_series, max_series_bytes);
}

std::string Exposition(const Source& source) {
  std::string text;
  TextWriter writer(text);
  source.Visit(writer);
  return text;
}

struct Fixture {
  explicit Fixture(const std::string& yaml = "{}", std::size_t max_series = 1000,
                   std::size_t max_line_length = 64, std::size_t max_series_bytes = kDefaultMaxSeriesBytes)
      : aggregator(MakeAggregator(yaml, max_series, max_line_length, max_series_bytes)),
        ingester(*aggregator, aggregator->AddShard()),
        data(aggregator),
        self(aggregator, nullptr) {}
  Ingester::Counts Send(std::string_view lines) {
    Ingester::Batch batch(ingester);
    return ingester.Lines(lines);
  }
  std::map<std::string, double> Data() { return ParseSamples(Exposition(data)); }
  std::map<std::string, double> Self() { return ParseSamples(Exposition(self)); }

  std::shared_ptr<Aggregator> aggregator;
  Ingester ingester;
  StatsdSource data;
  StatsdSelfSource self;
};

TEST(AggregatorTest, CountersGaugesAndTimers) {
  Fixture f("defaults: {observer_type: histogram, histogram_options: {buckets: [0.1, 1]}}");
  auto counts = f.Send("hits:1|c\nhits:2|c|@0.5\ntemp:10|g\ntemp:-3|g\ntemp:+1|g\nrt:50|ms\nrt:2000|ms|@0.5\n");
  EXPECT_EQ(counts.accepted, 7u);
  EXPECT_EQ(counts.rejected, 0u);
  auto samples = f.Data();
  EXPECT_EQ(samples["hits"], 5);
  EXPECT_EQ(samples["temp"], 8);
  EXPECT_EQ(samples["rt_bucket{le=\"0.1\"}"], 1);
  EXPECT_EQ(samples["rt_bucket{le=\"1\"}"], 1);
  EXPECT_EQ(samples["rt_bucket{le=\"+Inf\"}"], 3);
  EXPECT_EQ(samples["rt_count"], 3);
  EXPECT_DOUBLE_EQ(samples["rt_sum"], 0.05 + 2 * 2);
}

TEST(AggregatorTest, TagsAndMappingLabelsWithHonorLabels) {
  Fixture f(R"(
mappings:
  - match: ao.*.ms
    name: ao_handler_seconds
    observer_type: histogram
    labels: {action: "$1", env: mapped}
  - match: ui.*
    name: ui_$1
    honor_labels: true
    labels: {env: mapped}
)");
  f.Send("ao.Transfer.ms:20|ms|#env:tagged,process:abc\nui.fps:60|g|#env:tagged\n");
  auto samples = f.Data();
  EXPECT_EQ(samples["ao_handler_seconds_count{action=\"Transfer\",env=\"mapped\",process=\"abc\"}"], 1);
  EXPECT_EQ(samples["ui_fps{env=\"tagged\"}"], 60);
}

TEST(AggregatorTest, ConflictingTypeOrLabelNamesIsDroppedAndCounted) {
  Fixture f;
  f.Send("x:1|c\nx:1|g\nx:1|c|#a:b\nx:2|c\n");
  auto samples = f.Data();
  EXPECT_EQ(samples["x"], 3);
  auto self = f.Self();
  EXPECT_EQ(self["metricsd_statsd_events_conflict_total{type=\"gauge\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_events_conflict_total{type=\"counter\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_events_total{type=\"counter\"}"], 2);
}

TEST(AggregatorTest, BadLinesAreCountedByReasonAndGoodOnesKept) {
  Fixture f("mappings: [{match: drop.*, action: drop}]");
  auto counts = f.Send("good:1|c\nnocolon\nbad:x|c\nbad:1|s\ndrop.me:1|c\n" + std::string(100, 'a') +
                       ":1|c\n_e{1,1}:a|b\n_sc|x|0\ngood:1|c:2|c\n");
  EXPECT_EQ(counts.accepted, 2u);
  EXPECT_EQ(counts.rejected, 7u);
  EXPECT_EQ(f.Data()["good"], 4);
  auto self = f.Self();
  EXPECT_EQ(self["metricsd_statsd_lines_total"], 9);
  EXPECT_EQ(self["metricsd_statsd_sample_errors_total{reason=\"malformed_line\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_sample_errors_total{reason=\"malformed_value\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_sample_errors_total{reason=\"illegal_event\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_sample_errors_total{reason=\"line_too_long\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_events_error_total{reason=\"dropped_by_mapping\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_dogstatsd_events_total{kind=\"event\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_dogstatsd_events_total{kind=\"service_check\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_events_unmapped_total"], 3);
}

// statsd_exporter's exporter_test.go "TestNegativeCounter" and its event counting: a negative
// counter parses, and is refused after mapping and scale (before it makes a series); an observer
// sampled at @0.1 is ten events; a line refused whole is no sample.
TEST(AggregatorTest, NegativeCountersAndSampledObserversCountAsStatsdExporter) {
  Fixture f("mappings: [{match: flipped, name: flipped, scale: -1}]");
  // The second "neg" line and the "ok" repeats take the line cache's fast path.
  f.Send("neg:-1|c\nneg:-1|c\nok:1|c\nok:-2|c\nok:-2|c\nfrac:1|c|@-0.5\nflipped:2|c\n"
         "rt:100|ms|@0.1\nrt:100|ms|@0.1\nh:1|h|@2\nx:1\nx,a=b:1|c|#c:d\n");
  auto data = f.Data();
  EXPECT_EQ(data["ok"], 1);
  EXPECT_EQ(data.count("neg"), 0u);
  EXPECT_EQ(data.count("frac"), 0u);
  EXPECT_EQ(data.count("flipped"), 0u);
  EXPECT_EQ(data.count("h_count"), 0u);  // int(1 / 2) = 0 observations
  EXPECT_EQ(data["rt_count"], 20);
  auto self = f.Self();
  EXPECT_EQ(self["metricsd_statsd_events_error_total{reason=\"illegal_negative_counter\"}"], 6);
  EXPECT_EQ(self["metricsd_statsd_events_total{type=\"counter\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_events_total{type=\"observer\"}"], 20);
  EXPECT_EQ(self["metricsd_statsd_events_unmapped_total"], 21);
  EXPECT_EQ(self["metricsd_statsd_samples_total"], 10);
  EXPECT_EQ(self["metricsd_statsd_sample_errors_total{reason=\"not_enough_parts_after_colon\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_sample_errors_total{reason=\"mixed_tagging_styles\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_series{type=\"counter\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_series{type=\"summary\"}"], 1);
}

TEST(AggregatorTest, UnreadableSampleRateIsCountedAndTheSampleKeptAtRateOne) {
  Fixture f;
  f.Send("foo:1|c|@bar\nfoo:1|c|@bar\nbar:5|g|@x\n");
  EXPECT_EQ(f.Data()["foo"], 2);
  EXPECT_EQ(f.Data()["bar"], 5);
  EXPECT_EQ(f.Self()["metricsd_statsd_sample_errors_total{reason=\"invalid_sample_factor\"}"], 3);
}

TEST(AggregatorTest, EscapedNamesAndTagsFollowStatsdExporter) {
  Fixture f;
  f.Send("with--doubledash.caf\xc3\xa9:1|c|#tag1:bar,#tag2:baz\nfoo.[zone=eu]test:2|c\n");
  auto data = f.Data();
  EXPECT_EQ(data["with_doubledash_caf_{tag1=\"bar\",tag2=\"baz\"}"], 1);
  EXPECT_EQ(data["foo_test{zone=\"eu\"}"], 2);
}

TEST(AggregatorTest, MaxSeriesDropsNewSeriesAndKeepsUpdatingOld) {
  Fixture f("{}", 2);
  f.Send("a:1|c\nb:1|c\nc:1|c\na:1|c\n");
  auto samples = f.Data();
  EXPECT_EQ(samples["a"], 2);
  EXPECT_EQ(samples["b"], 1);
  EXPECT_EQ(samples.count("c"), 0u);
  EXPECT_EQ(f.Self()["metricsd_statsd_series_dropped_total{reason=\"max_series\"}"], 1);
}

TEST(AggregatorTest, TtlExpiresSeriesNotUpdated) {
  Fixture f("mappings: [{match: short.*, name: short_$1, ttl: 1s}]");
  f.Send("short.a:1|c\nforever:1|c\n");
  std::int64_t now = SteadyMillis();
  EXPECT_EQ(f.aggregator->ExpireStale(now), 0u);
  EXPECT_EQ(f.aggregator->ExpireStale(now + 1500), 1u);
  auto samples = f.Data();
  EXPECT_EQ(samples.count("short_a"), 0u);
  EXPECT_EQ(samples["forever"], 1);
  // The name is free again, even for another type, and slots start from zero.
  f.Send("short.a:5|g\n");
  EXPECT_EQ(f.Data()["short_a"], 5);
}

TEST(AggregatorTest, FamilyOutlivesTheSeriesItsNameCameFrom) {
  // The family's name is a view of its first series' key: when that series expires and
  // another stays, the family must keep its name and stay findable by it.
  Fixture f(R"(mappings:
  - {match: x.a, name: fam, labels: {kind: a}, ttl: 1s}
  - {match: x.b, name: fam, labels: {kind: b}})");
  f.Send("x.a:1|c\nx.b:2|c\n");
  EXPECT_EQ(f.aggregator->ExpireStale(SteadyMillis() + 1500), 1u);
  auto samples = f.Data();
  EXPECT_EQ(samples.count("fam{kind=\"a\"}"), 0u);
  EXPECT_EQ(samples["fam{kind=\"b\"}"], 2);
  f.Send("x.a:3|c\nx.b:1|c\nfam:1|g\n");  // the family found by name: a gauge conflicts
  samples = f.Data();
  EXPECT_EQ(samples["fam{kind=\"a\"}"], 3);
  EXPECT_EQ(samples["fam{kind=\"b\"}"], 3);
  EXPECT_EQ(f.Self()["metricsd_statsd_events_conflict_total{type=\"gauge\"}"], 1);
  // And when the last series goes, so does the family: the name is free for a gauge.
  EXPECT_EQ(f.aggregator->ExpireStale(SteadyMillis() + 1500), 1u);
  f.Send("x.b:1|c\n");
}

TEST(AggregatorTest, TagsTotalCountsTaggedSamplesAsStatsdExporter) {
  // statsd_exporter's tags_total: one per sample with tags, however many; the repeat comes
  // from the line cache and must count the same.
  Fixture f;
  f.Send("a:1|c|#x:1,y:2,z:3\na:2|c|#x:1,y:2,z:3\nb:1|c\nc,tag=v:1|c\nd:1|c|@bad|#x:1\n");
  EXPECT_EQ(f.Self()["metricsd_statsd_tags_total"], 4);
  EXPECT_EQ(f.Self()["metricsd_statsd_samples_total"], 5);
}

TEST(AggregatorTest, ShardsMergeAtScrape) {
  auto aggregator = MakeAggregator("defaults: {observer_type: histogram, histogram_options: {buckets: [1]}}");
  Ingester one(*aggregator, aggregator->AddShard());
  Ingester two(*aggregator, aggregator->AddShard());
  {
    Ingester::Batch batch(one);
    one.Lines("c:1|c\nh:500|ms\ng:1|g\n");
  }
  {
    Ingester::Batch batch(two);
    two.Lines("c:2|c\nh:2000|ms\ng:7|g\nonly_two:1|c\n");
  }
  auto samples = ParseSamples(Exposition(StatsdSource(aggregator)));
  EXPECT_EQ(samples["c"], 3);
  EXPECT_EQ(samples["h_bucket{le=\"1\"}"], 1);
  EXPECT_EQ(samples["h_count"], 2);
  EXPECT_EQ(samples["g"], 7);  // the last set wins
  EXPECT_EQ(samples["only_two"], 1);
}

TEST(AggregatorTest, SummaryQuantilesOverTheWindow) {
  Fixture f;  // statsd_exporter's default observer: summary, quantiles 0.5 0.9 0.99
  std::string lines;
  for (int i = 1; i <= 100; ++i) lines += "lat:" + std::to_string(i) + "|h\n";
  f.Send(lines);
  auto samples = f.Data();
  EXPECT_EQ(samples["lat{quantile=\"0.5\"}"], 50);
  EXPECT_EQ(samples["lat{quantile=\"0.9\"}"], 90);
  EXPECT_EQ(samples["lat{quantile=\"0.99\"}"], 99);
  EXPECT_EQ(samples["lat_count"], 100);
  EXPECT_EQ(samples["lat_sum"], 5050);
}

TEST(AggregatorTest, LiveSettingsChangeMapping) {
  Fixture f;
  f.Send("a.b:1|c\n");
  IngestSettings settings;
  ConfigNode root = ParseYaml("mappings: [{match: a.b, name: renamed}]", "m.yaml");
  settings.mapper = std::make_shared<const Mapper>(ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kSummary));
  f.aggregator->Configure(settings, 1000);
  f.Send("a.b:1|c\n");
  auto samples = f.Data();
  EXPECT_EQ(samples["a_b"], 1);
  EXPECT_EQ(samples["renamed"], 1);
}

// Each of these took a real Prometheus 2.42 target down ("label name not unique", "invalid
// UTF-8 label value"): now each is dropped and counted, and the good line beside it stays.
TEST(AggregatorTest, LabelsPrometheusWouldRefuseAreDroppedByReason) {
  Fixture f(R"(
defaults: {observer_type: histogram}
mappings:
  - match: sum.*
    name: sum_$1
    observer_type: summary
  - match: mapped.*
    name: mapped
    labels: {__bad: "$1"}
  - match: le.*
    name: le_h
    observer_type: histogram
    labels: {le: "$1"}
)");
  auto counts = f.Send(
      "good:1|c|#zone:eu\n"
      "a:1|c|#__name__:other\n"          // would be a second __name__
      "b:1|c|#__meta:x\n"
      "c,__name__=x:1|c\n"               // InfluxDB
      "d#__x=y:1|c\n"                    // Librato
      "e[__x=y]:1|c\n"                   // SignalFX
      "h:5|ms|#le:0.5\n"                 // histogram with an `le` tag
      "sum.q:5|ms|#quantile:0.5\n"       // summary with a `quantile` tag
      "mapped.x:1|c\n"                   // a mapping's own label name
      "le.0_5:1|ms\n");                  // a mapping's `le` on a histogram
  EXPECT_EQ(counts.accepted, 1u);
  EXPECT_EQ(counts.rejected, 9u);
  auto data = f.Data();
  EXPECT_EQ(data.size(), 1u);
  EXPECT_EQ(data["good{zone=\"eu\"}"], 1);
  auto self = f.Self();
  EXPECT_EQ(self["metricsd_statsd_events_error_total{reason=\"reserved_label_name\"}"], 9);
  // The line cache must not replay a refused line as accepted.
  EXPECT_EQ(f.Send("a:1|c|#__name__:other\n").accepted, 0u);
  EXPECT_EQ(f.Self()["metricsd_statsd_events_error_total{reason=\"reserved_label_name\"}"], 10);
}

// The fuzz target's checker, on what it must refuse, and on the exposition after every
// hostile line above: the daemon's own families included, as /metrics has them.
TEST(AggregatorTest, ExpositionAfterHostileInputPassesTheStrictCheck) {
  using metricsd::testing::CheckExposition;
  EXPECT_EQ(CheckExposition("# HELP x h\n# TYPE x counter\nx 1\n"), "");
  EXPECT_NE(CheckExposition("# TYPE x counter\nx{a=\"1\",a=\"2\"} 1\n"), "");
  EXPECT_NE(CheckExposition("# TYPE x counter\nx{__name__=\"y\"} 1\n"), "");
  EXPECT_NE(CheckExposition("# TYPE x counter\nx{a=\"\xed\xa0\x80\"} 1\n"), "");
  EXPECT_NE(CheckExposition("# TYPE x histogram\nx_bucket{le=\"1\",le=\"2\"} 1\n"), "");
  EXPECT_NE(CheckExposition("# TYPE x histogram\nx_bucket{le=\"1\"} 1\nx_count 1\nx_sum 1\n"), "");
  EXPECT_NE(CheckExposition("# TYPE x counter\nx 1\n# TYPE x counter\nx 1\n"), "");
  EXPECT_NE(CheckExposition("# TYPE x summary\nx_count 1\n# TYPE x_count counter\nx_count 2\n"), "");

  Fixture f("defaults: {observer_type: histogram}");
  f.Send("h:1|ms|#le:2\nh:1|ms|#__name__:x\nmetricsd_statsd_lines_total:1|c\nprocess_open_fds:1|g\n"
         "x:1|c|#k:\xed\xa0\x80\nrt:1|ms\nrt_count:1|c\nrt_bucket:1|c\nok:1|c|#a.b:1,a_b:2\n");
  std::string text = Exposition(f.data) + Exposition(f.self);
  EXPECT_EQ(CheckExposition(text), "") << text;
  EXPECT_EQ(f.Self()["metricsd_statsd_events_error_total{reason=\"reserved_metric_name\"}"], 2);
  EXPECT_EQ(f.Data()["ok{a_b=\"2\"}"], 1);
}

TEST(AggregatorTest, MalformedUtf8LinesAreDropped) {
  Fixture f;
  auto counts = f.Send("ok:1|c|#k:caf\xc3\xa9\nx:1|c|#k:\xc0\xaf\ny:1|c|#k:\xed\xa0\x80\nz:1|c|#k:\xf4\x90\x80\x80\n");
  EXPECT_EQ(counts.accepted, 1u);
  EXPECT_EQ(f.Data()["ok{k=\"caf\xc3\xa9\"}"], 1);
  EXPECT_EQ(f.Self()["metricsd_statsd_sample_errors_total{reason=\"malformed_line\"}"], 3);
}

TEST(AggregatorTest, SuffixCollisionsWithHistogramsAndSummariesAreConflicts) {
  Fixture f("defaults: {observer_type: histogram}");
  f.Send("rt:1|ms\nrt_count:1|c\nrt_bucket:1|g\nrt_sum:1|c\nother_count:1|c\nother:1|ms\n");
  auto data = f.Data();
  EXPECT_EQ(data["rt_count"], 1);  // the histogram's own
  EXPECT_EQ(data["other_count"], 1);
  EXPECT_EQ(data.count("other_bucket{le=\"+Inf\"}"), 0u);
  auto self = f.Self();
  EXPECT_EQ(self["metricsd_statsd_events_conflict_total{type=\"counter\"}"], 2);
  EXPECT_EQ(self["metricsd_statsd_events_conflict_total{type=\"gauge\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_events_conflict_total{type=\"observer\"}"], 1);
}

TEST(AggregatorTest, SuffixCollisionsWithSummariesEitherWayRoundAreConflicts) {
  Fixture f;  // observers are summaries
  f.Send("s:1|ms\ns_sum:1|g\ns_count:1|c\nt_count:1|g\nt:1|ms\nu_sum:1|c\nu:1|ms|@0.5\n");
  std::string text = Exposition(f.data);
  auto data = ParseSamples(text);
  EXPECT_EQ(data["s_count"], 1);  // the summary's own
  EXPECT_EQ(data["t_count"], 1);  // the gauge, first
  EXPECT_EQ(data["u_sum"], 1);    // the counter, first
  EXPECT_EQ(data.count("t_sum"), 0u);
  EXPECT_EQ(data.count("u_count"), 0u);
  // No series name twice in the exposition.
  EXPECT_EQ(text.find("\ns_count "), text.rfind("\ns_count "));
  auto self = f.Self();
  EXPECT_EQ(self["metricsd_statsd_events_conflict_total{type=\"counter\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_events_conflict_total{type=\"gauge\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_events_conflict_total{type=\"observer\"}"], 3);  // t, and u twice (@0.5)
}

TEST(AggregatorTest, NameAndLabelValueLengthsAreCapped) {
  auto aggregator = MakeAggregator("{}", 1000, 4096);
  IngestSettings settings = *aggregator->settings();
  settings.limits = {16, 8};
  aggregator->Configure(settings, 1000);
  Ingester ingester(*aggregator, aggregator->AddShard());
  {
    Ingester::Batch batch(ingester);
    ingester.Lines("short:1|c|#k:12345678\n" + std::string(17, 'n') + ":1|c\nshort:1|c|#k:123456789\n");
  }
  StatsdSelfSource self(aggregator, nullptr);
  std::string text;
  {
    TextWriter writer(text);
    self.Visit(writer);
  }
  auto samples = ParseSamples(text);
  EXPECT_EQ(samples["metricsd_statsd_events_error_total{reason=\"metric_name_too_long\"}"], 1);
  EXPECT_EQ(samples["metricsd_statsd_events_error_total{reason=\"label_value_too_long\"}"], 1);
  EXPECT_EQ(aggregator->table().size(), 1u);
}

// 400 POSTs of long names once took RSS to 845 MiB: the byte budget stops new series and
// counts them, and the exposition stays within a small multiple of the budget.
TEST(AggregatorTest, SeriesByteBudgetBoundsTheExposition) {
  constexpr std::size_t kBudget = 1 << 20;
  Fixture f("defaults: {observer_type: histogram}", 1000000, 4096, kBudget);
  std::string lines;
  for (int i = 0; i < 20000; ++i) {
    lines += std::string(200, 'n') + std::to_string(i) + ":1|ms|#k:" + std::string(900, 'v') + "\n";
  }
  f.Send(lines);
  std::string text = Exposition(f.data);
  EXPECT_LE(f.aggregator->table().bytes(), kBudget);
  EXPECT_GT(f.aggregator->table().bytes(), kBudget / 2);
  EXPECT_LE(text.size(), 2 * kBudget);
  auto self = f.Self();
  EXPECT_GT(self["metricsd_statsd_series_dropped_total{reason=\"max_series_bytes\"}"], 19000);
  EXPECT_EQ(self["metricsd_statsd_series_bytes"], static_cast<double>(f.aggregator->table().bytes()));
  // Every line is either a series or a counted drop.
  EXPECT_EQ(f.aggregator->table().size() + self["metricsd_statsd_series_dropped_total{reason=\"max_series_bytes\"}"], 20000);
}

}  // namespace
}  // namespace metricsd::statsd
