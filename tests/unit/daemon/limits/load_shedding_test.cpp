// Load shedding: the policy over recorded usage shapes (order of steps, hysteresis, no
// flapping on noise, recovery), the `limits` section's errors with positions, the LoadShedder
// driven by a fake usage reader (level, metrics, one log line per change), and each
// component's step: StatsD priorities, history passes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "collectors/probes/probe_config.h"
#include "collectors/probes/prober.h"
#include "collectors/statsd/aggregator.h"
#include "collectors/statsd/statsd_source.h"
#include "daemon/core/config_node.h"
#include "daemon/core/shed_state.h"
#include "daemon/core/text_writer.h"
#include "daemon/limits/limits_config.h"
#include "daemon/limits/load_shedder.h"
#include "daemon/limits/resource_usage.h"
#include "daemon/limits/shed_policy.h"
#include "daemon/storage/history_service.h"
#include "tests/unit/support/config_error_of.h"
#include "tests/unit/support/samples.h"

namespace metricsd::limits {
namespace {

using namespace std::chrono_literals;

// Every test leaves the process-wide level as it found it (0).
class ShedTest : public ::testing::Test {
 protected:
  void TearDown() override { SetShedLevel(0); }
};

LimitsConfig Config(double cpu = 1.0, std::int64_t memory = 0) {
  LimitsConfig config;
  config.cpu = cpu;
  config.memory = memory;
  config.interval = 500ms;
  config.over_for = 3s;     // 6 measurements
  config.recover_below = 0.8;
  config.recover_for = 2s;  // 4 measurements
  return config;
}

// Feeds `cores` to the policy, one measurement each; returns the level after each.
std::vector<int> Replay(ShedPolicy& policy, const std::vector<double>& cores) {
  std::vector<int> levels;
  for (double c : cores) levels.push_back(policy.Observe(Usage{c, 0}).level);
  return levels;
}

std::vector<double> Repeat(double value, int n) { return std::vector<double>(static_cast<std::size_t>(n), value); }
std::vector<double> Concat(std::vector<std::vector<double>> parts) {
  std::vector<double> out;
  for (auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}
// Deterministic noise: value ± amplitude (a fixed pseudo-random sequence).
std::vector<double> Noise(double value, double amplitude, int n, unsigned seed = 7) {
  std::vector<double> out;
  std::uint32_t x = seed;
  for (int i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    double unit = static_cast<double>(x >> 8) / static_cast<double>(1u << 24);  // [0, 1)
    out.push_back(value + amplitude * (2 * unit - 1));
  }
  return out;
}
int Changes(const std::vector<int>& levels, int from = 0) {
  int changes = 0;
  for (int before = from; int level : levels) {
    if (level != before) ++changes;
    before = level;
  }
  return changes;
}
int Max(const std::vector<int>& levels) { return *std::max_element(levels.begin(), levels.end()); }

TEST_F(ShedTest, StepsInOrderOncePerWindowUpToTheLast) {
  ShedPolicy policy(Config());
  ASSERT_EQ(policy.over_samples(), 6);
  // Sustained 1.5x the budget: one step per full window, never past the last.
  std::vector<int> levels = Replay(policy, Repeat(1.5, 40));
  std::vector<int> expected;
  for (int i = 1; i <= 40; ++i) expected.push_back(std::min(i / 6, kMaxShedLevel));
  EXPECT_EQ(levels, expected);
  EXPECT_EQ(std::string(kShedStepNames.Name(ShedStep::kStatsdLow)), "statsd_low");
  EXPECT_EQ(std::string(kShedStepNames.Name(ShedStep::kProbes)), "probes");
  EXPECT_EQ(std::string(kShedStepNames.Name(ShedStep::kHistory)), "history");
  EXPECT_EQ(std::string(kShedStepNames.Name(ShedStep::kStatsdNormal)), "statsd_normal");
}

TEST_F(ShedTest, ASpikeInAQuietWindowShedsNothing) {
  ShedPolicy policy(Config());
  // One measurement at 3x in a window otherwise at 0.4: the average (0.83) stays under.
  std::vector<int> levels = Replay(policy, Concat({Repeat(0.4, 5), {3.0}, Repeat(0.4, 20)}));
  EXPECT_EQ(Max(levels), 0);
  // But 4x for a whole second in the same window is over on average: one step, not four.
  ShedPolicy burst(Config());
  levels = Replay(burst, Concat({Repeat(0.4, 4), {4.0, 4.0}, Repeat(0.9, 20)}));
  EXPECT_EQ(Max(levels), 1);
  EXPECT_EQ(levels.back(), 1);  // 0.9 is inside the band: held, not given back
}

TEST_F(ShedTest, NoiseAroundTheBudgetDoesNotFlap) {
  // Usage wandering ±10% around 90% of the budget: never over on average.
  ShedPolicy below(Config());
  EXPECT_EQ(Max(Replay(below, Noise(0.9, 0.09, 400))), 0);

  // Over budget (1.2 ±0.15) then noisy inside the band (0.82..0.98, ±0.08 around 0.9): the
  // level climbs while over, then holds without a single change for the whole noisy band.
  ShedPolicy policy(Config());
  std::vector<int> over = Replay(policy, Noise(1.2, 0.15, 12, 3));
  EXPECT_EQ(over.back(), 2);
  std::vector<int> band = Replay(policy, Noise(0.9, 0.08, 400, 11));
  EXPECT_EQ(Changes(band, 2), 0) << "flapped inside the hysteresis band";
  EXPECT_EQ(band.back(), 2);

  // Noise straddling recover_below (0.7..0.9): a step is given back only after four
  // measurements in a row under 0.8, so changes stay rare. Counted, not asserted exactly.
  ShedPolicy straddle(Config());
  Replay(straddle, Repeat(1.5, 24));
  ASSERT_EQ(straddle.level(), 4);
  std::vector<int> levels = Replay(straddle, Noise(0.8, 0.1, 200, 5));
  int ups = 0;
  for (int before = 4; int level : levels) {
    if (level > before) ++ups;
    before = level;
  }
  EXPECT_EQ(ups, 0) << "under budget, nothing may be shed anew";
  std::printf("FIGURE straddle_changes_per_100_intervals %.1f\n", Changes(levels, 4) / 2.0);
}

TEST_F(ShedTest, RecoveryGivesBackOneStepPerIntervalAfterRecoverFor) {
  ShedPolicy policy(Config());
  Replay(policy, Repeat(2.0, 24));
  ASSERT_EQ(policy.level(), 4);
  // The burst ends: four measurements under (recover_for), then one step per measurement.
  std::vector<int> levels = Replay(policy, Repeat(0.1, 10));
  EXPECT_EQ(levels, (std::vector<int>{4, 4, 4, 3, 2, 1, 0, 0, 0, 0}));
  int intervals = static_cast<int>(std::find(levels.begin(), levels.end(), 0) - levels.begin()) + 1;
  std::printf("FIGURE recovery_from_level_4_seconds %.1f\n", intervals * 0.5);
}

TEST_F(ShedTest, OneMeasurementOverRecoverBelowRestartsTheRecovery) {
  ShedPolicy policy(Config());
  Replay(policy, Repeat(2.0, 12));
  ASSERT_EQ(policy.level(), 2);
  std::vector<int> levels = Replay(policy, {0.1, 0.1, 0.1, 0.85, 0.1, 0.1, 0.1, 0.1, 0.1});
  EXPECT_EQ(levels, (std::vector<int>{2, 2, 2, 2, 2, 2, 2, 1, 0}));
}

TEST_F(ShedTest, SheddingThatWorksHoldsItsLevel) {
  // A load that is 1.4x the budget, 0.9x once two steps are shed (a feedback loop, as in the
  // daemon): the level settles at 2 and stays there.
  ShedPolicy policy(Config());
  std::vector<int> levels;
  for (int i = 0; i < 200; ++i) {
    double usage = policy.level() >= 2 ? 0.9 : 1.4;
    levels.push_back(policy.Observe(Usage{usage, 0}).level);
  }
  EXPECT_EQ(levels.back(), 2);
  EXPECT_EQ(Changes(levels), 2);
}

TEST_F(ShedTest, ALoadThatCyclesWaitsLongerBeforeEachGiveBack) {
  // 1.4x the budget with fewer than two steps shed, 0.5x with two: giving back the second
  // step makes it over budget again at once. Without a backoff that cycles every 10
  // measurements (4 under, 6 over) forever.
  ShedPolicy policy(Config());
  std::vector<int> levels;
  for (int i = 0; i < 400; ++i) {
    double usage = policy.level() >= 2 ? 0.5 : 1.4;
    levels.push_back(policy.Observe(Usage{usage, 0}).level);
  }
  int changes = Changes(levels);
  std::printf("FIGURE cycling_load_level_changes_per_400_intervals %d (80 without backoff)\n", changes);
  EXPECT_LE(changes, 24);
  EXPECT_GE(Max(levels), 2);
  EXPECT_EQ(policy.recover_backoff(), ShedPolicy::kMaxRecoverBackoff);

  // Calm for long enough (held in the band, nothing shed anew): the wait is recover_for again,
  // and the end of a later burst unwinds as fast as ever.
  Replay(policy, Repeat(0.9, 8 * 4 * ShedPolicy::kMaxRecoverBackoff + 1));
  EXPECT_EQ(policy.recover_backoff(), 1);
  Replay(policy, Repeat(2.0, 24));
  ASSERT_EQ(policy.level(), 4);
  EXPECT_EQ(Replay(policy, Repeat(0.1, 7)), (std::vector<int>{4, 4, 4, 3, 2, 1, 0}));
}

TEST_F(ShedTest, MemoryBudgetAndTheLargerPressureWins) {
  ShedPolicy policy(Config(/*cpu=*/2.0, /*memory=*/1000));
  ShedDecision decision = policy.Observe(Usage{1.0, 1500});
  EXPECT_EQ(decision.cause, "memory");
  EXPECT_DOUBLE_EQ(decision.pressure, 1.5);
  decision = policy.Observe(Usage{5.0, 500});
  EXPECT_EQ(decision.cause, "cpu");
  EXPECT_DOUBLE_EQ(decision.pressure, 2.5);
  for (int i = 0; i < 4; ++i) decision = policy.Observe(Usage{0.1, 1200});
  EXPECT_EQ(decision.level, 1);  // six measurements averaging over 1

  ShedPolicy memory_only(Config(0, 1000));
  EXPECT_EQ(Max(Replay(memory_only, Repeat(50.0, 20))), 0) << "no CPU budget: CPU is not judged";
}

TEST_F(ShedTest, NoBudgetNeverShedsAndReloadsKeepTheLevel) {
  ShedPolicy none(Config(0, 0));
  EXPECT_EQ(Max(Replay(none, Repeat(100.0, 50))), 0);

  ShedPolicy policy(Config());
  Replay(policy, Repeat(2.0, 12));
  ASSERT_EQ(policy.level(), 2);
  LimitsConfig bigger = Config(4.0);
  policy.Configure(bigger);
  EXPECT_EQ(policy.level(), 2) << "a reload neither sheds nor gives back by itself";
  EXPECT_EQ(Replay(policy, Repeat(3.5, 20)).back(), 2);  // under the new budget, not under 0.8x
  policy.Configure(Config(0, 0));
  EXPECT_EQ(policy.level(), 0);
}

// --- the section -------------------------------------------------------------------------

LimitsConfig Parse(const std::string& yaml) {
  return LimitsSection().Parse(ParseYaml(yaml, "limits.yaml"));
}

TEST_F(ShedTest, SectionDefaultsAndSizes) {
  LimitsConfig config = Parse("cpu: 1.5\nmemory: 512MiB\n");
  EXPECT_DOUBLE_EQ(config.cpu, 1.5);
  EXPECT_EQ(config.memory, 512LL << 20);
  EXPECT_EQ(config.interval, 500ms);
  EXPECT_EQ(config.over_for, 3s);
  EXPECT_DOUBLE_EQ(config.recover_below, 0.8);
  EXPECT_EQ(config.recover_for, 1500ms);
  EXPECT_TRUE(config.enabled());
  EXPECT_FALSE(Parse("{}").enabled());
  config = Parse("memory: 2GB\ninterval: 1s\nover_for: 10s\nrecover_below: 0.5\nrecover_for: 5s\n");
  EXPECT_EQ(config.memory, 2'000'000'000LL);
  EXPECT_EQ(config.over_for, 10s);
}

TEST_F(ShedTest, SectionErrorsNameTheirPosition) {
  auto error = [](const std::string& yaml) { return ConfigErrorOf([&] { Parse(yaml); }); };
  EXPECT_NE(error("cpu: -1\n").find("limits.yaml:1:6"), std::string::npos) << error("cpu: -1\n");
  EXPECT_NE(error("cpu: 1\nrecover_below: 1.5\n").find("limits.yaml:2:16"), std::string::npos)
      << error("cpu: 1\nrecover_below: 1.5\n");
  std::string message = error("cpu: 1\nmemory: 12 parsecs\n");
  EXPECT_NE(message.find("limits.yaml:2:9"), std::string::npos) << message;
  message = error("cpu: 1\ninterval: 2s\nover_for: 1s\n");
  EXPECT_NE(message.find("limits.yaml:3:11"), std::string::npos) << message;
  EXPECT_NE(message.find("over_for (1s) must be at least interval (2s)"), std::string::npos) << message;
  // The default recover_for (1.5s) under a longer interval: blamed on the interval written.
  message = error("cpu: 1\ninterval: 5s\nover_for: 10s\n");
  EXPECT_NE(message.find("limits.yaml:2:11"), std::string::npos) << message;
  EXPECT_NE(message.find("recover_for"), std::string::npos) << message;
  message = error("cpu: 1\nover_fr: 5s\n");
  EXPECT_NE(message.find("limits.yaml:2:1"), std::string::npos) << message;
  EXPECT_NE(message.find("over_for"), std::string::npos) << message;  // did you mean
  EXPECT_NE(error("interval: 10ms\n").find("limits.yaml:1:11"), std::string::npos) << error("interval: 10ms\n");
}

TEST_F(ShedTest, StatmResidentBytes) {
  EXPECT_EQ(ParseStatmResidentBytes("5000 1234 300 10 0 900 0\n", 4096), 1234 * 4096);
  EXPECT_THROW(ParseStatmResidentBytes("5000\n", 4096), CollectError);
  SelfUsageMeter meter;
  Usage usage = meter.Read();
  EXPECT_GT(usage.rss_bytes, 1 << 20);  // this test binary is resident
  EXPECT_GE(usage.cpu_cores, 0);
}

// --- the LoadShedder on an io_context -----------------------------------------------------

std::map<std::string, double> Scrape(const Source& source) {
  std::string text;
  TextWriter writer(text);
  source.Visit(writer);
  return ParseSamples(text);
}

// Waits (bounded) until the process-wide level is `level`.
bool WaitForLevel(int level, std::chrono::seconds limit = 20s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (ShedLevel() != level) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST_F(ShedTest, LoadShedderPublishesTheLevelMetricsAndOneLogLinePerChange) {
  net::io_context ioc;
  auto work = net::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  std::atomic<double> cores{0.2};
  LoadShedder shedder(ioc, [&] { return Usage{cores.load(), 100 << 20}; });
  LimitsConfig config = Config(1.0, 1LL << 30);
  config.interval = 20ms;
  config.over_for = 40ms;     // 2 measurements
  config.recover_for = 40ms;  // 2 measurements
  auto source = shedder.MetricsSource();

  testing::internal::CaptureStderr();
  shedder.Configure(config);
  auto quiet = Scrape(*source);
  EXPECT_EQ(quiet["metricsd_shed_level"], 0);
  EXPECT_EQ(quiet["metricsd_limits_cpu_cores"], 1);
  EXPECT_EQ(quiet["metricsd_limits_memory_bytes"], 1LL << 30);
  EXPECT_EQ(quiet["metricsd_degraded{component=\"statsd_low\"}"], 0);
  EXPECT_EQ(quiet["metricsd_degraded{component=\"statsd_normal\"}"], 0);

  cores = 3.0;
  EXPECT_TRUE(WaitForLevel(4)) << ShedLevel();
  auto shed = Scrape(*source);
  EXPECT_EQ(shed["metricsd_shed_level"], 4);
  for (const char* component : {"statsd_low", "probes", "history", "statsd_normal"}) {
    EXPECT_EQ((shed["metricsd_degraded{component=\"" + std::string(component) + "\"}"]), 1) << component;
  }
  EXPECT_EQ(shed["metricsd_shed_level_changes_total{direction=\"up\"}"], 4);
  EXPECT_EQ(shed["metricsd_limits_cpu_used_cores"], 3);
  EXPECT_EQ(shed["metricsd_limits_memory_used_bytes"], 100 << 20);
  EXPECT_DOUBLE_EQ(shed["metricsd_limits_pressure"], 3);

  cores = 0.1;
  EXPECT_TRUE(WaitForLevel(0)) << ShedLevel();
  // Settled: a few more intervals change nothing.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ShedLevel(), 0);
  std::string log = testing::internal::GetCapturedStderr();
  auto count = [&](std::string_view text) {
    int n = 0;
    for (std::size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("shedding one more step"), 4) << log;
  EXPECT_EQ(count("one step given back"), 3) << log;
  EXPECT_EQ(count("back to normal"), 1) << log;
  EXPECT_NE(log.find("step=probes"), std::string::npos) << log;
  auto after = Scrape(*source);
  EXPECT_EQ(after["metricsd_shed_level_changes_total{direction=\"down\"}"], 4);
  EXPECT_EQ(after["metricsd_degraded{component=\"statsd_low\"}"], 0);

  // Shedding again, then the budget is removed by a reload: back to 0 at once.
  cores = 3.0;
  EXPECT_TRUE(WaitForLevel(1));
  shedder.Configure(Config(0, 0));
  EXPECT_EQ(ShedLevel(), 0);
  EXPECT_EQ(Scrape(*source).count("metricsd_limits_cpu_used_cores"), 0u);
  shedder.Stop();
  work.reset();
  runner.join();
}

TEST_F(ShedTest, AFailingReaderHoldsTheLevel) {
  net::io_context ioc;
  auto work = net::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  std::atomic<int> calls{0};
  LoadShedder shedder(ioc, [&]() -> Usage {
    ++calls;
    throw CollectError("/proc/self/statm: gone");
  });
  LimitsConfig config = Config();
  config.interval = 10ms;
  config.over_for = 10ms;
  config.recover_for = 10ms;
  testing::internal::CaptureStderr();
  shedder.Configure(config);
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (calls < 5 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  shedder.Stop();
  std::string log = testing::internal::GetCapturedStderr();
  EXPECT_GE(calls.load(), 5);
  EXPECT_EQ(ShedLevel(), 0);
  // Logged once, not once per interval.
  EXPECT_EQ(log.find("cannot measure usage"), log.rfind("cannot measure usage")) << log;
  EXPECT_NE(log.find("cannot measure usage"), std::string::npos) << log;
  work.reset();
  runner.join();
}

// --- the components' steps ----------------------------------------------------------------

struct StatsdFixture {
  StatsdFixture()
      : aggregator(Make()), ingester(*aggregator, aggregator->AddShard()), data(aggregator) {}
  static std::shared_ptr<statsd::Aggregator> Make() {
    ConfigNode root = ParseYaml(R"(
mappings:
  - match: game.chat.*
    name: chat_messages_total
    priority: low
  - match: game.battle.*
    name: battles_total
  - match: game.purchase.*
    name: purchases_total
    priority: critical
    labels: {item: "$1"}
)", "mapping.yaml");
    statsd::IngestSettings settings;
    settings.mapper = std::make_shared<const statsd::Mapper>(
        statsd::ParseMappingConfig(root["defaults"], root["mappings"], statsd::ObserverType::kSummary));
    return std::make_shared<statsd::Aggregator>(std::move(settings), 1000);
  }
  void Send(std::string_view lines) {
    statsd::Ingester::Batch batch(ingester);
    ingester.Lines(lines);
  }
  std::map<std::string, double> Data() { return Scrape(data); }

  std::shared_ptr<statsd::Aggregator> aggregator;
  statsd::Ingester ingester;
  statsd::StatsdSource data;
};

constexpr std::string_view kLines =
    "game.chat.sent:1|c\ngame.battle.won:1|c\ngame.purchase.sword:1|c\nunmapped.thing:1|c\n";

TEST_F(ShedTest, StatsdDropsByPriorityAndCountsEachLine) {
  StatsdFixture f;
  std::uint64_t low0 = ShedDropped(ShedStep::kStatsdLow), normal0 = ShedDropped(ShedStep::kStatsdNormal);
  // Each level twice: the first batch takes the slow path (parse, map), the second the line
  // cache, and both must decide alike.
  for (int i = 0; i < 2; ++i) f.Send(kLines);  // level 0: everything
  SetShedLevel(1);
  for (int i = 0; i < 2; ++i) f.Send(kLines);  // statsd_low: chat dropped
  SetShedLevel(3);
  for (int i = 0; i < 2; ++i) f.Send(kLines);  // probes, history: StatsD as at 1
  SetShedLevel(4);
  for (int i = 0; i < 2; ++i) f.Send(kLines);  // statsd_normal: only the purchase
  auto data = f.Data();
  EXPECT_EQ(data["chat_messages_total"], 2);
  EXPECT_EQ(data["battles_total"], 6);
  EXPECT_EQ(data["unmapped_thing"], 6);
  EXPECT_EQ(data["purchases_total{item=\"sword\"}"], 8) << "critical lines are never shed";
  EXPECT_EQ(ShedDropped(ShedStep::kStatsdLow) - low0, 6u);
  EXPECT_EQ(ShedDropped(ShedStep::kStatsdNormal) - normal0, 4u);
}

TEST_F(ShedTest, ALineFirstSeenWhileShedIsAggregatedOnceShedEnds) {
  StatsdFixture f;
  SetShedLevel(4);
  // First seen while shed: no series is made for it (memory may be what is over budget).
  f.Send("game.battle.lost:1|c\ngame.chat.sent:1|c\n");
  f.Send("game.battle.lost:1|c\ngame.chat.sent:1|c\n");
  EXPECT_EQ(f.aggregator->table().size(), 0u);
  SetShedLevel(0);
  f.Send("game.battle.lost:1|c\ngame.chat.sent:1|c\n");
  f.Send("game.battle.lost:1|c\ngame.chat.sent:1|c\n");
  auto data = f.Data();
  EXPECT_EQ(data["battles_total"], 2);
  EXPECT_EQ(data["chat_messages_total"], 2);
}

TEST_F(ShedTest, MappingPriorityIsCheckedAndShown) {
  auto parse = [](const std::string& yaml) {
    ConfigNode root = ParseYaml(yaml, "mapping.yaml");
    return statsd::ParseMappingConfig(root["defaults"], root["mappings"], statsd::ObserverType::kSummary);
  };
  statsd::MappingConfig config = parse("mappings:\n  - match: a.*\n    name: a\n    priority: critical\n  - match: b.*\n    name: b\n");
  EXPECT_EQ(config.mappings[0].priority, statsd::Priority::kCritical);
  EXPECT_EQ(config.mappings[1].priority, statsd::Priority::kNormal);
  EXPECT_EQ(config.ToJson()["mappings"][0]["priority"], "critical");
  std::string message = ConfigErrorOf([&] { parse("mappings:\n  - match: a.*\n    name: a\n    priority: urgent\n"); });
  EXPECT_NE(message.find("mapping.yaml:4:15"), std::string::npos) << message;
  EXPECT_NE(message.find("must be low, normal or critical, got \"urgent\""), std::string::npos) << message;
}

TEST_F(ShedTest, ProbesRunOnceInStretchIntervalsWhileShed) {
  // A closed port: each probe ends at once (connection refused), whatever its outcome.
  int port;
  {
    net::io_context scratch;
    net::ip::tcp::acceptor closed(scratch, {net::ip::make_address("127.0.0.1"), 0});
    port = closed.local_endpoint().port();
  }
  net::io_context ioc;
  auto work = net::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  auto prober = std::make_shared<probes::Prober>(ioc);
  prober->Configure(probes::ParseProbesConfig(ParseYaml(
      "targets:\n  - {type: tcp, name: t, address: '127.0.0.1:" + std::to_string(port) +
          "', interval: 100ms, timeout: 50ms}\n",
      "probes.yaml")));
  auto source = prober->MakeSource();
  auto runs = [&] {
    double total = 0;
    for (const auto& [key, value] : Scrape(*source)) {
      if (key.rfind("metricsd_probes_total{", 0) == 0) total += value;
    }
    return total;
  };
  auto wait = [](auto done) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    return done();
  };
  ASSERT_TRUE(wait([&] { return runs() >= 1; }));

  SetShedLevel(static_cast<int>(ShedStep::kProbes));
  auto started = std::chrono::steady_clock::now();
  std::uint64_t dropped0 = ShedDropped(ShedStep::kProbes);
  double runs0 = runs();
  ASSERT_TRUE(wait([&] { return ShedDropped(ShedStep::kProbes) - dropped0 >= 9; }));
  double shed_runs = runs() - runs0;
  auto elapsed = std::chrono::steady_clock::now() - started;
  // The prober enforces the spacing itself (a start 3.5 intervals after the previous one at
  // the earliest), so this bound holds however late the ticks come.
  EXPECT_LE(shed_runs, 1 + elapsed / 350ms) << shed_runs << " runs in " << elapsed / 1ms << " ms";
  EXPECT_GE(shed_runs, 1) << "nine ticks skipped in a row: a probe is due by then";
  std::printf("FIGURE probe_ticks_skipped_per_run_while_shed %.2f\n",
              static_cast<double>(ShedDropped(ShedStep::kProbes) - dropped0) / std::max(1.0, shed_runs));

  SetShedLevel(static_cast<int>(ShedStep::kStatsdLow));  // below probes: every tick runs again
  std::uint64_t dropped1 = ShedDropped(ShedStep::kProbes);
  double runs1 = runs();
  ASSERT_TRUE(wait([&] { return runs() >= runs1 + 3; }));
  EXPECT_EQ(ShedDropped(ShedStep::kProbes), dropped1);
  prober->Stop();
  work.reset();
  runner.join();
}

TEST_F(ShedTest, HistoryKeepsOnePassInStretchWhileShed) {
  constexpr storage::Timestamp kInterval = 10'000;
  int kept = 0, kept_unshed = 0;
  std::vector<storage::Timestamp> kept_slots;
  for (storage::Timestamp slot = 1'700'000'000'000; slot < 1'700'000'000'000 + 40 * kInterval; slot += kInterval) {
    if (!storage::ShedSkipsPass(slot, std::chrono::milliseconds(kInterval), true)) {
      ++kept;
      kept_slots.push_back(slot);
    }
    if (!storage::ShedSkipsPass(slot, std::chrono::milliseconds(kInterval), false)) ++kept_unshed;
  }
  EXPECT_EQ(kept, 40 / kShedStretch);
  EXPECT_EQ(kept_unshed, 40);
  for (std::size_t i = 1; i < kept_slots.size(); ++i) {
    EXPECT_EQ(kept_slots[i] - kept_slots[i - 1], kShedStretch * kInterval) << "evenly spaced";
  }
}

}  // namespace
}  // namespace metricsd::limits
