// How long a StatsD receiver waits while /metrics is scraped (issue 17: "no receiver waits on a
// scrape"). A table of 100,000 series (counters, gauges, histograms, summaries, with labels) is
// scraped in a loop on one thread through the real TextWriter, while a receiver on another
// thread keeps meeting NEW series (each one interned into the shared table) and updating known
// ones, timing every batch. A phase without scrapes gives the baseline.
//
// Fresh series live 1 s (a mapping's ttl) and an expiry pass runs every 250 ms, so the table
// stays near 100,000 series and its own growth (rehashing) does not blur the picture; expiry
// passes are timed too (they wait for a scrape the same way). Also times a visit by a visitor
// that wants one family only (the alert evaluator's case).
//
// Run: build/tests/bench/statsd_scrape_stall_bench [seconds per phase, default 4]
// Not a Google Benchmark: what matters is the tail of another thread's latency.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "collectors/statsd/aggregator.h"
#include "collectors/statsd/statsd_source.h"
#include "daemon/core/text_writer.h"

namespace metricsd::statsd {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kMapping = R"(
defaults: {observer_type: histogram, histogram_options: {buckets: [0.01, 0.1, 1]}}
mappings:
  - match: sum.*
    name: sum_$1
    observer_type: summary
  - match: fresh.*
    name: fresh_$1
    ttl: 1s
)";

constexpr int kSeries = 100000;

std::shared_ptr<Aggregator> MakeAggregator() {
  ConfigNode root = ParseYaml(kMapping, "bench.yaml");
  IngestSettings settings;
  settings.mapper = std::make_shared<const Mapper>(
      ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kSummary));
  return std::make_shared<Aggregator>(std::move(settings), 10000000, std::size_t{1} << 32);
}

// Series i of the preloaded table: 70% counters, 20% gauges, 9% histograms, 1% summaries, 200
// series per family, two labels each.
std::string PreloadLine(int i) {
  int family = i / 200;
  std::string labels = "|#instance:host" + std::to_string(i % 200) + ",region:eu";
  int kind = i % 100;
  if (kind < 70) return "app.requests" + std::to_string(family) + ":1|c" + labels;
  if (kind < 90) return "app.inflight" + std::to_string(family) + ":" + std::to_string(i % 17) + "|g" + labels;
  if (kind < 99) return "app.latency" + std::to_string(family) + ":" + std::to_string(i % 900) + "|ms" + labels;
  return "sum.rt" + std::to_string(family) + ":" + std::to_string(i % 300) + "|ms" + labels;
}

struct Latencies {
  std::vector<double> us;
  void Add(Clock::duration d) { us.push_back(std::chrono::duration<double, std::micro>(d).count()); }
  double Quantile(double q) {
    if (us.empty()) return 0;
    std::sort(us.begin(), us.end());
    return us[std::min(us.size() - 1, static_cast<std::size_t>(q * static_cast<double>(us.size())))];
  }
  double Max() { return us.empty() ? 0 : *std::max_element(us.begin(), us.end()); }
  void Print(const char* what) {
    std::size_t over_1ms = static_cast<std::size_t>(std::count_if(us.begin(), us.end(), [](double v) { return v > 1000; }));
    std::printf("  %-34s n=%-6zu p50=%8.1f us p99=%8.1f us p99.9=%8.1f us max=%8.1f us >1ms: %zu\n",
                what, us.size(), Quantile(0.5), Quantile(0.99), Quantile(0.999), Max(), over_1ms);
  }
};

// Wants one family of the table and nothing else.
class OneFamily final : public FamilyVisitor {
 public:
  explicit OneFamily(std::string name) : name_(std::move(name)) {}
  void Family(std::string_view, std::string_view, MetricType) override {}
  void Sample(Labels, double) override { ++samples; }
  void Histogram(Labels, std::span<const double>, std::span<const std::uint64_t>, double,
                 std::uint64_t) override { ++samples; }
  void Summary(Labels, std::span<const Quantile>, double, std::uint64_t) override { ++samples; }
  bool Wants(std::string_view family) const override { return family == name_; }
  std::size_t samples = 0;

 private:
  std::string name_;
};

class AllDiscard final : public FamilyVisitor {
 public:
  void Family(std::string_view, std::string_view, MetricType) override {}
  void Sample(Labels, double) override {}
  void Histogram(Labels, std::span<const double>, std::span<const std::uint64_t>, double,
                 std::uint64_t) override {}
  void Summary(Labels, std::span<const Quantile>, double, std::uint64_t) override {}
};

// The receiver that loaded the table (its shard holds all 100,000 series, so a scrape's merge of
// that shard is felt too): a batch with a line for a series never seen, then a batch of 20
// known lines, timed separately, until `stop`.
void Receive(Ingester& ingester, const std::atomic<bool>& stop, int& fresh, Latencies& new_series,
             Latencies& known) {
  std::string known_lines;
  for (int i = 0; i < 20; ++i) known_lines += PreloadLine(i * 4999 % kSeries) + "\n";
  while (!stop.load(std::memory_order_relaxed)) {
    std::string line = "fresh.series" + std::to_string(fresh++) + ":1|c|#region:eu";
    Clock::time_point start = Clock::now();
    {
      Ingester::Batch batch(ingester);
      ingester.Lines(line);
    }
    Clock::time_point middle = Clock::now();
    {
      Ingester::Batch batch(ingester);
      ingester.Lines(known_lines);
    }
    Clock::time_point end = Clock::now();
    new_series.Add(middle - start);
    known.Add(end - middle);
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

// Receives (and expires fresh series every 250 ms, as the daemon's ttl tick does) for `phase`,
// scraping back to back on a third thread if `scrape`; prints what each waited.
enum class Third { kNothing, kSpin, kScrape };

void Phase(const char* title, Aggregator& aggregator, Ingester& ingester, const StatsdSource& source,
           int& fresh, std::chrono::duration<double> phase, Third third, bool print = true) {
  bool scrape = third == Third::kScrape;
  Latencies new_series, known, scrapes, expiries;
  std::atomic<bool> stop{false};
  std::size_t bytes = 0;
  std::thread scraper;
  if (third == Third::kSpin) {
    // The control: a third thread as busy as the scraper, touching nothing of StatsD, shows
    // what is the machine's own scheduling noise.
    scraper = std::thread([&] {
      std::string text;
      while (!stop.load(std::memory_order_relaxed)) {
        text.clear();
        for (int i = 0; i < 100000; ++i) text += std::to_string(i);
      }
    });
  }
  if (scrape) {
    scraper = std::thread([&] {
      std::string text;
      while (!stop.load(std::memory_order_relaxed)) {
        text.clear();
        Clock::time_point start = Clock::now();
        TextWriter writer(text);
        static const char* mode = std::getenv("STALL_MODE");
        if (mode && std::string_view(mode) == "discard") {
          OneFamily discard("");
          source.Visit(discard);
        } else if (mode && std::string_view(mode) == "all") {
          AllDiscard discard;
          source.Visit(discard);
        } else {
          source.Visit(writer);
        }
        scrapes.Add(Clock::now() - start);
        bytes = text.size();
      }
    });
  }
  std::thread expirer([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      Clock::time_point start = Clock::now();
      aggregator.ExpireStale(SteadyMillis());
      expiries.Add(Clock::now() - start);
    }
  });
  std::thread receiver(Receive, std::ref(ingester), std::cref(stop), std::ref(fresh),
                       std::ref(new_series), std::ref(known));
  std::this_thread::sleep_for(phase);
  stop = true;
  receiver.join();
  expirer.join();
  if (scraper.joinable()) scraper.join();
  if (!print) return;
  std::printf("%s (%zu series at the end):\n", title, aggregator.table().size());
  new_series.Print("receiver, batch with a new series");
  known.Print("receiver, batch of 20 known lines");
  expiries.Print("ttl expiry pass");
  if (scrape) {
    std::printf("  (each scrape writes %zu bytes)\n", bytes);
    scrapes.Print("scrape (Visit + TextWriter)");
  }
}

void Run(double seconds) {
  auto aggregator = MakeAggregator();
  Ingester ingester(*aggregator, aggregator->AddShard());
  {
    Ingester::Batch batch(ingester);
    for (int i = 0; i < kSeries; ++i) ingester.Lines(PreloadLine(i));
  }
  StatsdSource source(aggregator);
  auto phase = std::chrono::duration<double>(seconds);
  int fresh = 0;

  std::printf("statsd scrape stall: %d series preloaded, %.1f s per phase; fresh series live 1 s\n",
              kSeries, seconds);
  // Until fresh series expire as fast as they come, and every buffer has grown.
  Phase("warm-up", *aggregator, ingester, source, fresh, std::chrono::seconds(2), Third::kScrape, false);
  Phase("without scrapes", *aggregator, ingester, source, fresh, phase, Third::kNothing);
  Phase("without scrapes, a third thread spinning (control)", *aggregator, ingester, source, fresh,
        phase, Third::kSpin);
  Phase("during back-to-back scrapes", *aggregator, ingester, source, fresh, phase, Third::kScrape);
  {
    Latencies one;
    std::size_t samples = 0;
    for (int i = 0; i < 20; ++i) {
      OneFamily visitor("app_requests7");
      Clock::time_point start = Clock::now();
      source.Visit(visitor);
      one.Add(Clock::now() - start);
      samples = visitor.samples;
    }
    std::printf("visitor wanting one family (%zu samples):\n", samples);
    one.Print("visit");
  }
}

}  // namespace
}  // namespace metricsd::statsd

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 4.0;
  metricsd::statsd::Run(seconds > 0 ? seconds : 4.0);
  return 0;
}
