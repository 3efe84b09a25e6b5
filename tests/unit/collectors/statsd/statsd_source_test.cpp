// The StatsD Source's visit (issue 17): it copies what its visitor wants out of the series
// table and calls the visitor with no StatsD lock held, merges only wanted families, and renders
// exactly what was ingested.
#include "collectors/statsd/statsd_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/core/text_writer.h"
#include "tests/fuzz/statsd_exposition_check.h"
#include "tests/unit/support/samples.h"

namespace metricsd::statsd {
namespace {

std::shared_ptr<Aggregator> MakeSourceAggregator(const std::string& mapping_yaml) {
  ConfigNode root = ParseYaml(mapping_yaml, "mapping.yaml");
  IngestSettings settings;
  settings.mapper = std::make_shared<const Mapper>(
      ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kSummary));
  return std::make_shared<Aggregator>(std::move(settings), 100000);
}

void Send(Ingester& ingester, std::string_view lines) {
  Ingester::Batch batch(ingester);
  ingester.Lines(lines);
}

using metricsd::testing::CheckExposition;

std::string SourceExposition(const Source& source) {
  std::string text;
  TextWriter writer(text);
  source.Visit(writer);
  return text;
}

// Records what it is given; wants the families in `wanted`, or all when it is empty.
class RecordingVisitor : public FamilyVisitor {
 public:
  explicit RecordingVisitor(std::set<std::string> wanted = {}) : wanted_(std::move(wanted)) {}
  void Family(std::string_view name, std::string_view, MetricType) override { families.emplace_back(name); }
  void Sample(Labels, double) override { ++samples; }
  void Histogram(Labels, std::span<const double>, std::span<const std::uint64_t>, double,
                 std::uint64_t) override { ++samples; }
  void Summary(Labels, std::span<const Quantile>, double, std::uint64_t) override { ++samples; }
  bool Wants(std::string_view family) const override {
    return wanted_.empty() || wanted_.count(std::string(family)) > 0;
  }

  std::vector<std::string> families;
  std::size_t samples = 0;

 private:
  std::set<std::string> wanted_;
};

// Ingests a new series from inside its callbacks, into the table being visited: what the alert
// evaluator or a history sampler feeding StatsD back would do. Before the visit released the
// table's lock ahead of the callbacks, this blocked forever (Intern waits for the lock the
// visit itself held shared).
class IngestingVisitor final : public RecordingVisitor {
 public:
  explicit IngestingVisitor(Ingester& ingester) : ingester_(ingester) {}
  void Family(std::string_view name, std::string_view help, MetricType type) override {
    RecordingVisitor::Family(name, help, type);
    Send(ingester_, "from_family_" + std::to_string(families.size()) + ":1|c\n");
  }
  void Sample(Labels labels, double value) override {
    RecordingVisitor::Sample(labels, value);
    Send(ingester_, "from_sample_" + std::to_string(samples) + ":1|g\n");
  }

 private:
  Ingester& ingester_;
};

TEST(StatsdSourceTest, VisitorMayIngestNewSeriesIntoTheVisitedTable) {
  auto aggregator = MakeSourceAggregator("{}");
  auto receiver = std::make_shared<Ingester>(*aggregator, aggregator->AddShard());
  Send(*receiver, "a:1|c\nb:2|g\nc:3|c|#k:v\n");
  auto source = std::make_shared<StatsdSource>(aggregator);

  // On a thread of its own, so a regression fails here instead of hanging the suite (the
  // thread is then left blocked; it owns what it uses).
  auto done = std::make_shared<std::promise<std::size_t>>();
  std::future<std::size_t> visited = done->get_future();
  auto scrape_receiver = std::make_shared<Ingester>(*aggregator, aggregator->AddShard());
  std::thread([aggregator, source, scrape_receiver, done] {
    IngestingVisitor visitor(*scrape_receiver);
    source->Visit(visitor);
    done->set_value(visitor.families.size());
  }).detach();
  ASSERT_EQ(visited.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "the visit blocked its visitor's ingestion";
  EXPECT_EQ(visited.get(), 3u);

  // The visit saw the table as it was; the series its visitor made are there for the next.
  auto samples = ParseSamples(SourceExposition(*source));
  EXPECT_EQ(samples["a"], 1);
  EXPECT_EQ(samples["from_family_1"], 1);
  EXPECT_EQ(samples["from_family_3"], 1);
  EXPECT_EQ(samples["from_sample_3"], 1);
  EXPECT_EQ(aggregator->table().size(), 3u + 3u + 3u);
}

TEST(StatsdSourceTest, OnlyWantedFamiliesAreAnnouncedAndMerged) {
  auto aggregator = MakeSourceAggregator("defaults: {observer_type: histogram, histogram_options: {buckets: [1]}}\n"
                                   "mappings: [{match: s.*, name: s_$1, observer_type: summary}]");
  Ingester one(*aggregator, aggregator->AddShard());
  Ingester two(*aggregator, aggregator->AddShard());
  Send(one, "a:1|c\nwanted:1|c|#k:x\nwanted:1|c|#k:y\nh:5|ms\ns.q:5|ms\ng:1|g\n");
  Send(two, "wanted:1|c|#k:x\nh:5|ms\n");
  StatsdSource source(aggregator);

  // "wanted" has two series; {k="x"} is in both shards: three shard entries to merge.
  std::uint64_t before = aggregator->series_merged();
  RecordingVisitor one_family({"wanted"});
  source.Visit(one_family);
  EXPECT_EQ(one_family.families, std::vector<std::string>{"wanted"});
  EXPECT_EQ(one_family.samples, 2u);
  EXPECT_EQ(aggregator->series_merged() - before, 3u);

  // Nothing wanted: nothing announced, nothing merged.
  before = aggregator->series_merged();
  RecordingVisitor nothing({"not_there"});
  source.Visit(nothing);
  EXPECT_TRUE(nothing.families.empty());
  EXPECT_EQ(nothing.samples, 0u);
  EXPECT_EQ(aggregator->series_merged() - before, 0u);

  // Everything: every shard entry but the gauge's (a gauge lives in the table), sorted names.
  before = aggregator->series_merged();
  RecordingVisitor all;
  source.Visit(all);
  EXPECT_EQ(all.families, (std::vector<std::string>{"a", "g", "h", "s_q", "wanted"}));
  EXPECT_EQ(all.samples, 6u);
  EXPECT_EQ(aggregator->series_merged() - before, 4u + 3u);
}

// A mixed table over two shards, checked sample by sample against values the test computes
// from the lines it sends (not against a captured exposition).
TEST(StatsdSourceTest, MixedTableRendersWhatWasIngested) {
  auto aggregator = MakeSourceAggregator(R"(
defaults: {observer_type: histogram, histogram_options: {buckets: [10, 100]}}
mappings:
  - match: rt.*
    name: rt_seconds
    observer_type: summary
    summary_options: {quantiles: [{quantile: 0.5, error: 0.05}, {quantile: 0.9, error: 0.01}]}
    labels: {handler: "$1"}
)");
  Ingester shards[2] = {Ingester(*aggregator, aggregator->AddShard()),
                        Ingester(*aggregator, aggregator->AddShard())};
  std::map<std::string, double> expected;
  std::map<std::string, std::vector<double>> timings;  // summary series -> observations (s)
  const char* paths[] = {"/a", "/b", "/c"};
  const double bounds[] = {10, 100};
  for (int i = 0; i < 300; ++i) {
    Ingester& shard = shards[i % 2];
    std::string path = paths[i % 3];
    int value = (i * 37) % 250;
    std::string lines;
    // Counter with a label.
    lines += "requests:" + std::to_string(value) + "|c|#path:" + path + "\n";
    expected["requests{path=\"" + path + "\"}"] += value;
    // Gauge, last set wins (sets go straight to the table, so order is the send order).
    lines += "inflight:" + std::to_string(value) + "|g|#path:" + path + "\n";
    expected["inflight{path=\"" + path + "\"}"] = value;
    // Histogram (defaults: buckets 10, 100, in the unit sent: a plain |h is not scaled).
    lines += "size:" + std::to_string(value) + "|h|#path:" + path + "\n";
    std::string labels = "path=\"" + std::string(path) + "\"";
    for (double bound : bounds) {
      char le[16];
      std::snprintf(le, sizeof le, "%g", bound);
      expected["size_bucket{" + labels + ",le=\"" + le + "\"}"] += value <= bound ? 1 : 0;
    }
    expected["size_bucket{" + labels + ",le=\"+Inf\"}"] += 1;
    expected["size_count{" + labels + "}"] += 1;
    expected["size_sum{" + labels + "}"] += value;
    // Summary through a mapping, milliseconds to seconds.
    std::string handler = i % 4 == 0 ? "login" : "search";
    lines += "rt." + handler + ":" + std::to_string(value) + "|ms\n";
    timings[handler].push_back(value / 1000.0);
    Send(shard, lines);
  }
  for (auto& [handler, values] : timings) {
    std::sort(values.begin(), values.end());
    std::string labels = "handler=\"" + handler + "\"";
    double sum = 0;
    for (double v : values) sum += v;
    expected["rt_seconds_count{" + labels + "}"] = static_cast<double>(values.size());
    expected["rt_seconds_sum{" + labels + "}"] = sum;
    for (double q : {0.5, 0.9}) {
      auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
      char quantile[16];
      std::snprintf(quantile, sizeof quantile, "%g", q);
      expected["rt_seconds{" + labels + ",quantile=\"" + quantile + "\"}"] = values[rank - 1];
    }
  }

  StatsdSource source(aggregator);
  std::string text = SourceExposition(source);
  EXPECT_EQ(CheckExposition(text), "") << text;
  auto samples = ParseSamples(text);
  ASSERT_EQ(samples.size(), expected.size()) << text;
  for (const auto& [series, value] : expected) {
    ASSERT_EQ(samples.count(series), 1u) << series << "\n" << text;
    EXPECT_NEAR(samples[series], value, 1e-9 * std::max(1.0, std::abs(value))) << series;
  }
  // Families sorted by name, each with its help and type.
  std::vector<std::string> types;
  for (std::size_t at = text.find("# TYPE "); at != std::string::npos; at = text.find("# TYPE ", at + 1)) {
    types.push_back(text.substr(at + 7, text.find('\n', at) - at - 7));
  }
  EXPECT_EQ(types, (std::vector<std::string>{"inflight gauge", "requests counter", "rt_seconds summary",
                                             "size histogram"}));
}

// Scrapes while a receiver adds series and expiry removes them: every exposition is valid and
// the series that stay keep their exact values (the copy is taken in short holds of the lock,
// and redone when an expiry moved what it resumes from).
TEST(StatsdSourceTest, ScrapesStayExactWhileSeriesComeAndGo) {
  auto aggregator = MakeSourceAggregator("mappings: [{match: fresh.*, name: fresh_$1, ttl: 1ms}]");
  Ingester stable(*aggregator, aggregator->AddShard());
  std::string lines;
  for (int i = 0; i < 3000; ++i) lines += "stable" + std::to_string(i % 50) + ":2|c|#i:" + std::to_string(i) + "\n";
  Send(stable, lines);
  StatsdSource source(aggregator);

  std::atomic<bool> stop{false};
  std::thread churn([&] {
    Ingester fresh(*aggregator, aggregator->AddShard());
    for (int i = 0; !stop.load(); ++i) {
      Send(fresh, "fresh." + std::to_string(i) + ":1|c\nfresh.h" + std::to_string(i) + ":1|ms\n");
      if (i % 50 == 0) aggregator->ExpireStale(SteadyMillis() + 100);  // past the 1 ms ttl's decisecond
    }
  });
  for (int scrape = 0; scrape < 20; ++scrape) {
    std::string text = SourceExposition(source);
    ASSERT_EQ(CheckExposition(text), "") << "scrape " << scrape;
    auto samples = ParseSamples(text);
    for (int i = 0; i < 3000; i += 97) {
      std::string series = "stable" + std::to_string(i % 50) + "{i=\"" + std::to_string(i) + "\"}";
      ASSERT_EQ(samples[series], 2) << series << " in scrape " << scrape;
    }
  }
  stop = true;
  churn.join();
}

}  // namespace
}  // namespace metricsd::statsd
