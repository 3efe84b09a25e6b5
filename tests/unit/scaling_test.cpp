// The scaling advisor's pure parts on recorded load shapes (a ramp, a spike, noise within the
// tolerance, a drop that waits for the scale-down window, cooldown, the min/max clamp, a
// forecast ahead of a ramp) with explicit times; its config's errors with their positions;
// its hooks against real processes.
#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <thread>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/analytics/forecast.h"
#include "daemon/core/config_node.h"
#include "daemon/core/asio.h"
#include "daemon/query/promql/memory_queryable.h"
#include "daemon/query/query_service.h"
#include "daemon/scaling/hpa.h"
#include "daemon/scaling/scaling_advisor.h"
#include "daemon/scaling/scaling_config.h"
#include "daemon/scaling/scaling_hooks.h"
#include "tests/unit/support/config_error_of.h"

namespace metricsd::scaling {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

const TimePoint kStart = TimePoint(std::chrono::hours(24 * 365 * 56));  // ~2026
constexpr auto kInterval = seconds(15);

HpaParams Params(double target = 100, int min = 1, int max = 20) {
  HpaParams params;
  params.target = target;
  params.min_replicas = min;
  params.max_replicas = max;
  return params;  // tolerance 0.1, scale_up 0s, scale_down 5m: HPA's defaults
}

// ---- the formula ----

TEST(HpaTest, FormulaIsCeilOfCurrentTimesRatio) {
  EXPECT_EQ(Recommend(2, 400, Params()).replicas, 8);   // ceil(2 x 400 / 100)
  EXPECT_EQ(Recommend(3, 150, Params()).replicas, 5);   // ceil(4.5)
  EXPECT_EQ(Recommend(10, 85, Params()).replicas, 9);   // ceil(8.5): a scale-down
  EXPECT_EQ(Recommend(7, 300, Params(300)).replicas, 7);
  // Values whose division rounds up in binary must not gain a replica.
  EXPECT_EQ(Recommend(3, 0.7, Params(0.1)).replicas, 21);
}

TEST(HpaTest, WithinToleranceKeepsCurrent) {
  for (double load : {90.0, 95.0, 100.0, 105.0, 110.0}) {
    Recommendation r = Recommend(4, load, Params());
    EXPECT_TRUE(r.within_tolerance) << load;
    EXPECT_EQ(r.replicas, 4) << load;
  }
  EXPECT_FALSE(Recommend(4, 111, Params()).within_tolerance);
  EXPECT_EQ(Recommend(4, 111, Params()).replicas, 5);
  EXPECT_FALSE(Recommend(4, 89, Params()).within_tolerance);
  EXPECT_EQ(Recommend(4, 89, Params()).replicas, 4);  // ceil(3.56): the ceiling keeps 4
}

TEST(HpaTest, ClampsToMinAndMax) {
  Stabilizer stabilizer;
  HpaParams params = Params(100, 2, 6);
  Decision up = Decide(3, 1000, std::nullopt, kStart, params, stabilizer);
  EXPECT_EQ(up.recommended, 30);
  EXPECT_EQ(up.desired, 6);
  EXPECT_EQ(up.direction, Direction::kUp);
  EXPECT_THAT(up.reason, HasSubstr("clamped to max_replicas 6"));

  params.scale_down_window = seconds(0);
  Stabilizer down_stabilizer;
  Decision down = Decide(3, 1, std::nullopt, kStart, params, down_stabilizer);
  EXPECT_EQ(down.desired, 2);
  EXPECT_EQ(down.direction, Direction::kDown);
  EXPECT_THAT(down.reason, HasSubstr("clamped to min_replicas 2"));

  // From zero replicas the formula gives zero: the clamp lifts it to min_replicas.
  Stabilizer zero_stabilizer;
  Decision zero = Decide(0, 500, std::nullopt, kStart, params, zero_stabilizer);
  EXPECT_EQ(zero.desired, 2);
  EXPECT_THAT(zero.reason, HasSubstr("cannot scale from zero"));
}

// ---- recorded load shapes through Decide, one sample per 15 s ----

// A workload whose replicas follow the hooks: the total load is a shape over time, the load
// per replica is that total over the current replicas, and a hook (when due) sets current to
// desired.
struct Simulation {
  HpaParams params = Params();
  Duration cooldown = minutes(0);
  int current = 2;
  Stabilizer stabilizer;
  std::optional<TimePoint> last_hook;
  std::vector<int> replicas;  // after each step
  int hooks = 0;

  Decision Step(TimePoint now, double total_load, std::optional<double> forecast_total = {}) {
    double per_replica = total_load / current;
    std::optional<double> forecast;
    if (forecast_total) forecast = *forecast_total / current;
    Decision d = Decide(current, per_replica, forecast, now, params, stabilizer);
    if (HookDue(d, last_hook, now, cooldown)) {
      last_hook = now;
      current = d.desired;
      ++hooks;
    }
    replicas.push_back(current);
    return d;
  }
};

TEST(HpaShapeTest, RampIsFollowedAtOnceOnTheWayUp) {
  Simulation sim;
  // 200 -> 1000 total over 5 minutes, 100 per replica wanted.
  for (int i = 0; i <= 20; ++i) {
    double total = 200 + 40.0 * i;
    sim.Step(kStart + i * kInterval, total);
    // Scale-up window 0: never behind the load by more than the tolerance.
    EXPECT_GE(sim.current * 100 * 1.1, total) << "step " << i;
  }
  EXPECT_EQ(sim.current, 10);
  // Never scaled down on a monotone ramp.
  for (std::size_t i = 1; i < sim.replicas.size(); ++i) EXPECT_GE(sim.replicas[i], sim.replicas[i - 1]);
  std::printf("FIGURE scaling_ramp_hook_calls %d\n", sim.hooks);
}

TEST(HpaShapeTest, SpikeScalesUpAtOnceWithoutAnUpWindow) {
  Simulation sim;
  sim.Step(kStart, 200);
  Decision spike = sim.Step(kStart + kInterval, 1000);
  EXPECT_EQ(spike.direction, Direction::kUp);
  EXPECT_EQ(sim.current, 10);
  // Back to normal: the scale-down waits for the 5m window.
  for (int i = 2; i < 20; ++i) sim.Step(kStart + i * kInterval, 200);
  EXPECT_EQ(sim.current, 10);  // 18 x 15 s = 4.5 min after the spike
  for (int i = 20; i < 24; ++i) sim.Step(kStart + i * kInterval, 200);
  EXPECT_EQ(sim.current, 2);
}

TEST(HpaShapeTest, OneSampleSpikeIsIgnoredWithAnUpWindow) {
  Simulation sim;
  sim.params.scale_up_window = minutes(1);
  for (int i = 0; i < 4; ++i) sim.Step(kStart + i * kInterval, 200);
  Decision spike = sim.Step(kStart + 4 * kInterval, 1000);
  EXPECT_EQ(spike.recommended, 10);
  EXPECT_EQ(spike.desired, 2);
  EXPECT_EQ(spike.direction, Direction::kNone);
  EXPECT_THAT(spike.reason, HasSubstr("scale-up stabilized"));
  for (int i = 5; i < 12; ++i) sim.Step(kStart + i * kInterval, 200);
  EXPECT_EQ(sim.hooks, 0);
  // A sustained rise gets through once the whole window agrees.
  for (int i = 12; i < 20; ++i) sim.Step(kStart + i * kInterval, 600);
  EXPECT_EQ(sim.current, 6);
}

TEST(HpaShapeTest, NoiseWithinToleranceChangesNothing) {
  Simulation sim;
  sim.current = 5;
  std::mt19937 random(42);
  std::uniform_real_distribution<double> noise(-0.09, 0.09);
  for (int i = 0; i < 200; ++i) {
    Decision d = sim.Step(kStart + i * kInterval, 500 * (1 + noise(random)));
    EXPECT_EQ(d.direction, Direction::kNone) << "step " << i;
    EXPECT_THAT(d.reason, HasSubstr("within 10%"));
  }
  EXPECT_EQ(sim.hooks, 0);
  EXPECT_EQ(sim.current, 5);
}

TEST(HpaShapeTest, DropWaitsForTheScaleDownWindow) {
  HpaParams params = Params();
  Stabilizer stabilizer;
  // Static current 8 (no hook changes it): 800 total until the drop, then 200.
  const TimePoint drop = kStart + minutes(10);
  for (TimePoint t = kStart; t < drop; t += kInterval) {
    EXPECT_EQ(Decide(8, 100, std::nullopt, t, params, stabilizer).direction, Direction::kNone);
  }
  // The last 8 was recorded 15 s before the drop; HPA's window keeps what is strictly newer
  // than now - 5m, so that 8 holds the count until 5m - 15s after the drop.
  const TimePoint last_eight = drop - kInterval;
  TimePoint t = drop;
  for (; t < last_eight + minutes(5); t += kInterval) {
    Decision d = Decide(8, 25, std::nullopt, t, params, stabilizer);
    EXPECT_EQ(d.recommended, 2);
    EXPECT_EQ(d.desired, 8) << "at +" << std::chrono::duration_cast<seconds>(t - drop).count() << "s";
    EXPECT_EQ(d.direction, Direction::kNone);
    EXPECT_THAT(d.reason, HasSubstr("scale-down stabilized"));
  }
  Decision after = Decide(8, 25, std::nullopt, t, params, stabilizer);
  EXPECT_EQ(after.desired, 2);
  EXPECT_EQ(after.direction, Direction::kDown);
  // Memory stays bounded by the windows.
  EXPECT_LE(stabilizer.size(), 21u);
}

TEST(HpaShapeTest, GradualDropStepsDownByTheWindowMaximum) {
  HpaParams params = Params();
  params.scale_down_window = minutes(1);
  Stabilizer stabilizer;
  // Per-replica load 100 -> 50 in steps over 2 minutes at current 10.
  std::vector<int> desired;
  for (int i = 0; i < 14; ++i) {
    double load = std::max(50.0, 100.0 - 6.0 * i);
    desired.push_back(Decide(10, load, std::nullopt, kStart + i * kInterval, params, stabilizer).desired);
  }
  // Each desired is the highest recommendation of the minute before it: never below a later one.
  for (std::size_t i = 1; i < desired.size(); ++i) EXPECT_LE(desired[i], desired[i - 1]);
  EXPECT_EQ(desired.back(), 5);
  EXPECT_GT(desired[5], 5);
}

TEST(HpaShapeTest, CooldownSpacesHookCalls) {
  Simulation sim;
  sim.cooldown = minutes(2);
  // Fast ramp: the recommendation rises every step; hooks at most every 2 minutes.
  std::vector<TimePoint> calls;
  for (int i = 0; i <= 40; ++i) {
    int before = sim.hooks;
    sim.Step(kStart + i * kInterval, 200 + 50.0 * i);
    if (sim.hooks != before) calls.push_back(kStart + i * kInterval);
  }
  ASSERT_GE(calls.size(), 3u);
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i] - calls[i - 1], minutes(2));
  EXPECT_LE(sim.current, 20);
  // Held at 2200 total: the next call (a cooldown later) reaches the max of 20.
  for (int i = 41; i <= 50; ++i) sim.Step(kStart + i * kInterval, 2200);
  EXPECT_EQ(sim.current, 20);

  Decision none;
  none.current = none.desired = 3;
  EXPECT_FALSE(HookDue(none, std::nullopt, kStart, minutes(0)));
  Decision up;
  up.current = 3;
  up.desired = 5;
  EXPECT_TRUE(HookDue(up, std::nullopt, kStart, minutes(5)));
  EXPECT_FALSE(HookDue(up, kStart, kStart + minutes(4), minutes(5)));
  EXPECT_TRUE(HookDue(up, kStart, kStart + minutes(5), minutes(5)));
}

TEST(HpaShapeTest, ForecastScalesUpAheadOfARamp) {
  // A recorded ramp, one point a minute: 100 -> 190 per replica at 2 replicas.
  std::vector<query::promql::Point> history;
  const std::int64_t step = 60'000;
  for (int i = 0; i < 60; ++i) history.push_back({i * step, 100 + 1.5 * i});
  analytics::ForecastOptions options;
  analytics::ForecastResult forecast =
      analytics::ForecastPoints({}, history, step, 15 * step, options);
  ASSERT_TRUE(forecast.ok()) << forecast.error;
  ASSERT_FALSE(forecast.predicted.empty());
  double ahead = forecast.predicted.back().v;
  std::printf("FIGURE scaling_forecast_15m_ahead_of_188.5 %.2f\n", ahead);
  EXPECT_GT(ahead, 200);  // the trend goes on: about 211 after 15 more minutes
  EXPECT_LT(ahead, 225);

  HpaParams params = Params();
  Stabilizer without, with;
  Decision now_only = Decide(2, history.back().v, std::nullopt, kStart, params, without);
  Decision predictive = Decide(2, history.back().v, ahead, kStart, params, with);
  EXPECT_EQ(now_only.desired, 4);                      // ceil(2 x 1.885)
  EXPECT_EQ(predictive.desired, static_cast<int>(std::ceil(2 * ahead / 100)));  // 5
  EXPECT_GT(predictive.desired, now_only.desired);
  EXPECT_THAT(predictive.reason, HasSubstr("forecast load"));

  // A forecast below the current load never scales down: the higher recommendation wins.
  Stabilizer falling;
  Decision fall = Decide(4, 150, 20.0, kStart, params, falling);
  EXPECT_EQ(fall.desired, 6);
  EXPECT_EQ(fall.direction, Direction::kUp);
}

// ---- config ----

ScalingConfig Load(const std::string& yaml) {
  ConfigNode root = ParseYaml(yaml, "scaling.yaml");
  root.ExpectKeys({"scaling"});
  return ScalingSection().Parse(root["scaling"]);
}

std::string ErrorOf(const std::string& yaml) {
  return ConfigErrorOf([&] { Load(yaml); });
}

// One target with `extra` lines (indented 6) after its required keys.
std::string OneTarget(const std::string& extra = "", const std::string& load = "avg(game_load)") {
  return "scaling:\n"
         "  targets:\n"
         "    - name: game\n"
         "      load: '" + load + "'\n"
         "      target: 100\n" + extra;
}

TEST(ScalingConfigTest, DefaultsFollowHpa) {
  ScalingConfig config = Load(OneTarget("      current_replicas: 3\n"));
  ASSERT_EQ(config.targets.size(), 1u);
  const ScalingTarget& t = config.targets[0];
  EXPECT_EQ(config.interval, seconds(15));
  EXPECT_EQ(t.current_replicas, 3);
  EXPECT_DOUBLE_EQ(t.tolerance, 0.1);
  EXPECT_EQ(t.stabilization.scale_up, seconds(0));
  EXPECT_EQ(t.stabilization.scale_down, minutes(5));
  EXPECT_TRUE(t.dry_run);
  EXPECT_FALSE(t.predictive.enabled());
  EXPECT_FALSE(t.hooks.webhook.configured());
  EXPECT_FALSE(t.hooks.exec.configured());
}

TEST(ScalingConfigTest, FullTargetAndSecretsMasked) {
  ScalingConfig config = Load(OneTarget(
      "      current_expr: 'count(up{job=\"game\"})'\n"
      "      min_replicas: 2\n"
      "      max_replicas: 40\n"
      "      stabilization: {scale_up: 30s, scale_down: 10m}\n"
      "      cooldown: 1m\n"
      "      predictive: {lead: 15m}\n"
      "      dry_run: false\n"
      "      hooks:\n"
      "        webhook:\n"
      "          url: https://scaler.example/hook\n"
      "          bearer_token: tok-123\n"
      "          headers: {X-Api-Key: key-456}\n"
      "          timeout: 5s\n"
      "        exec:\n"
      "          argv: [/usr/local/bin/scale, --cluster, prod]\n"
      "          env: {KUBECONFIG: /etc/kube.conf}\n"));
  const ScalingTarget& t = config.targets[0];
  EXPECT_EQ(t.current_expr, "count(up{job=\"game\"})");
  EXPECT_EQ(t.stabilization.scale_up, seconds(30));
  EXPECT_EQ(t.predictive.lead, minutes(15));
  EXPECT_TRUE(t.hooks.webhook.configured());
  EXPECT_EQ(t.hooks.exec.argv.size(), 3u);
  EXPECT_FALSE(t.dry_run);
  std::string rendered = ScalingSection().Render(config).dump();
  EXPECT_THAT(rendered, Not(HasSubstr("tok-123")));
  EXPECT_THAT(rendered, Not(HasSubstr("key-456")));
  EXPECT_THAT(rendered, HasSubstr("<secret>"));
  EXPECT_THAT(rendered, HasSubstr("/usr/local/bin/scale"));
}

TEST(ScalingConfigTest, ErrorsNameTheirPosition) {
  // A PromQL syntax error names the key's line and column and the position in the expression.
  EXPECT_THAT(ErrorOf(OneTarget("      current_replicas: 2\n", "rate(game_load[5m]")),
              HasSubstr("scaling.yaml:4:13: scaling.targets[0].load"));
  EXPECT_THAT(ErrorOf(OneTarget("      current_replicas: 2\n", "rate(game_load[5m]")),
              HasSubstr("parse error"));
  EXPECT_THAT(ErrorOf(OneTarget()), HasSubstr("needs current_replicas (a number) or current_expr"));
  EXPECT_THAT(ErrorOf(OneTarget("      current_replicas: 2\n      current_expr: up\n")),
              HasSubstr("scaling.yaml:7:21: scaling.targets[0].current_expr: set current_replicas or current_expr, not both"));
  EXPECT_THAT(ErrorOf(OneTarget("      current_expr: 'sum(up'\n")),
              HasSubstr("scaling.yaml:6:21"));
  EXPECT_THAT(ErrorOf(OneTarget("      current_replicas: 2\n      min_replicas: 5\n      max_replicas: 3\n")),
              HasSubstr("scaling.yaml:7:21: scaling.targets[0].min_replicas: is above max_replicas (3)"));
  EXPECT_THAT(ErrorOf(OneTarget("      current_replicas: 2\n      tolerence: 0.2\n")),
              HasSubstr("did you mean tolerance?"));
  EXPECT_THAT(ErrorOf(OneTarget("      current_replicas: 2\n      hooks: {webhook: {timeout: 5s}}\n")),
              HasSubstr("needs a url"));
  EXPECT_THAT(ErrorOf(OneTarget("      current_replicas: 2\n      hooks: {webhook: {url: 'ftp://x'}}\n")),
              HasSubstr("invalid URL"));
  EXPECT_THAT(ErrorOf(OneTarget("      current_replicas: 2\n      hooks: {exec: {argv: []}}\n")),
              HasSubstr("must name a program"));
  EXPECT_THAT(ErrorOf(OneTarget("      current_replicas: 2\n      predictive: {lead: 15m, history: 2m}\n")),
              HasSubstr("must hold at least 3 steps"));
  EXPECT_THAT(ErrorOf("scaling:\n  targets:\n    - {name: a, load: x, target: 0, current_replicas: 1}\n"),
              HasSubstr("target: must be > 0"));
  EXPECT_THAT(ErrorOf("scaling:\n  targets:\n    - {name: a, load: x, target: 1, current_replicas: 1}\n"
                      "    - {name: a, load: y, target: 1, current_replicas: 1}\n"),
              HasSubstr("scaling.yaml:4:14: scaling.targets[1].name: target \"a\" is defined twice"));
  EXPECT_THAT(ErrorOf("scaling:\n  targets:\n    - {load: x, target: 1, current_replicas: 1}\n"),
              HasSubstr("needs a name"));
}

// ---- hooks ----

HookEvent Event() {
  HookEvent event;
  event.target = "game";
  event.current = 2;
  event.desired = 8;
  event.reason = "load 400 vs target 100";
  event.load = 400;
  event.target_value = 100;
  event.direction = Direction::kUp;
  event.time = kStart;
  return event;
}

TEST(ScalingHooksTest, EventJson) {
  nlohmann::json json = HookEventJson(Event());
  EXPECT_EQ(json["target"], "game");
  EXPECT_EQ(json["current"], 2);
  EXPECT_EQ(json["desired"], 8);
  EXPECT_EQ(json["direction"], "up");
  EXPECT_TRUE(json["forecast"].is_null());
  EXPECT_EQ(json["load"], 400.0);
  EXPECT_EQ(json["target_value"], 100.0);
  EXPECT_THAT(json["time"].get<std::string>(), ::testing::MatchesRegex("20[0-9-]+T[0-9:.]+Z"));
}

class ExecHookTest : public ::testing::Test {
 protected:
  std::string OutPath() {
    return ::testing::TempDir() + "scaling_exec_" + std::to_string(::getpid()) + ".env";
  }
  std::atomic<bool> stopping_{false};
};

TEST_F(ExecHookTest, PassesTheDecisionInTheEnvironmentWithoutAShell) {
  ExecHook hook;
  std::string out = OutPath();
  // sh is the program here (argv, not a shell line of ours): it dumps its environment.
  hook.argv = {"/bin/sh", "-c",
               "env > \"$1\"; ls /proc/self/fd >> \"$1\"; echo 'to stdout'; echo 'to stderr' >&2",
               "sh", out};
  // A descriptor of the daemon's without O_CLOEXEC (as Asio opens sockets) stays out.
  int opened = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(opened, 0);
  int inherited = ::fcntl(opened, F_DUPFD, 50);  // above anything ls opens itself
  ::close(opened);
  ASSERT_GE(inherited, 50);
  hook.env = {{"EXTRA", "yes; $(not run)"}};
  HookEvent event = Event();
  event.forecast = 512.5;
  HookResult result = RunExecHook(hook, event, stopping_);
  ::close(inherited);
  EXPECT_EQ(result.result, "success") << result.detail;
  std::ifstream file(out);
  std::stringstream text;
  text << file.rdbuf();
  std::remove(out.c_str());
  // ls lists its own 0, 1, 2 and the directory it reads; never the daemon's descriptor.
  EXPECT_THAT(text.str(), HasSubstr("\n2\n"));
  EXPECT_THAT(text.str(), Not(HasSubstr("\n" + std::to_string(inherited) + "\n")));
  EXPECT_THAT(text.str(), HasSubstr("METRICSD_SCALING_TARGET=game\n"));
  EXPECT_THAT(text.str(), HasSubstr("METRICSD_SCALING_CURRENT=2\n"));
  EXPECT_THAT(text.str(), HasSubstr("METRICSD_SCALING_DESIRED=8\n"));
  EXPECT_THAT(text.str(), HasSubstr("METRICSD_SCALING_REASON=load 400 vs target 100\n"));
  EXPECT_THAT(text.str(), HasSubstr("METRICSD_SCALING_FORECAST=512.5\n"));
  EXPECT_THAT(text.str(), HasSubstr("EXTRA=yes; $(not run)\n"));
  EXPECT_THAT(text.str(), Not(HasSubstr("GTEST")));  // the daemon's environment stays out
}

TEST_F(ExecHookTest, FailuresAndTimeoutsAreResults) {
  ExecHook hook;
  hook.argv = {"/bin/sh", "-c", "exit 3"};
  HookResult failed = RunExecHook(hook, Event(), stopping_);
  EXPECT_EQ(failed.result, "failure");
  EXPECT_THAT(failed.detail, HasSubstr("exited with status 3"));

  hook.argv = {"/nonexistent/scale-it"};
  HookResult missing = RunExecHook(hook, Event(), stopping_);
  EXPECT_EQ(missing.result, "failure");
  // glibc reports the exec's error; under valgrind (fork, then exec) it is the shell's 127.
  EXPECT_THAT(missing.detail, ::testing::AnyOf(HasSubstr("cannot run /nonexistent/scale-it"),
                                               HasSubstr("exited with status 127")));

  // A hook that hangs (and its child holding the pipe) is killed at the timeout.
  hook.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30"};
  hook.timeout = std::chrono::milliseconds(300);
  auto began = std::chrono::steady_clock::now();
  HookResult slow = RunExecHook(hook, Event(), stopping_);
  EXPECT_EQ(slow.result, "timeout");
  std::printf("FIGURE scaling_exec_timeout_300ms_took_ms %lld\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - began)
                                         .count()));

  // Output beyond the bound is counted, not kept (and the hook still succeeds).
  hook.argv = {"/bin/sh", "-c", "head -c 100000 /dev/zero"};
  hook.timeout = seconds(10);
  EXPECT_EQ(RunExecHook(hook, Event(), stopping_).result, "success");
}

// ---- the advisor over a real engine (a MemoryQueryable), on its own threads ----

// Collects the counter and gauge samples of a Source as "name{k=\"v\",...}" -> value.
class SampleMap final : public FamilyVisitor {
 public:
  void Family(std::string_view name, std::string_view, MetricType) override { family_ = name; }
  void Sample(Labels labels, double value) override {
    std::string key = family_ + "{";
    for (std::size_t i = 0; i < labels.size(); ++i) {
      key += (i ? "," : "") + std::string(labels[i].name) + "=\"" + std::string(labels[i].value) + "\"";
    }
    samples[key + "}"] = value;
  }
  void Histogram(Labels, std::span<const double>, std::span<const std::uint64_t>, double,
                 std::uint64_t) override {}
  void Summary(Labels, std::span<const Quantile>, double, std::uint64_t) override {}
  std::map<std::string, double> samples;

 private:
  std::string family_;
};

class AdvisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto queryable = std::make_shared<query::promql::MemoryQueryable>();
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    // Ten minutes of samples around now, every second (the advisor queries at wall time).
    auto series = [&](query::promql::Labels labels, double value) {
      std::vector<query::promql::Point> points;
      for (std::int64_t t = now - 300'000; t <= now + 300'000; t += 1000) points.push_back({t, value});
      queryable->Add(std::move(labels), std::move(points));
    };
    series({{"__name__", "game_load"}}, 400);
    series({{"__name__", "replicas"}}, 3);
    series({{"__name__", "multi"}, {"i", "1"}}, 1);
    series({{"__name__", "multi"}, {"i", "2"}}, 2);
    series({{"__name__", "broken"}}, std::nan(""));
    query_ = std::make_shared<query::QueryService>(
        [queryable] { return std::static_pointer_cast<query::promql::Queryable>(queryable); },
        query::promql::EngineOptions{});
    advisor_ = std::make_unique<ScalingAdvisor>(ioc_, query_);
  }

  std::shared_ptr<ScalingConfig> Config(const std::string& targets) {
    auto config = std::make_shared<ScalingConfig>(
        Load("scaling:\n  interval: 20ms\n  targets:\n" + targets));
    return config;
  }

  // Waits (bounded) until `done` holds of the advisor's status.
  bool WaitFor(const std::function<bool(const nlohmann::json&)>& done) {
    for (int i = 0; i < 1000; ++i) {
      if (done(advisor_->Status())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  static nlohmann::json Target(const nlohmann::json& status, const std::string& name) {
    for (const nlohmann::json& t : status["targets"]) {
      if (t["name"] == name) return t;
    }
    return nullptr;
  }

  std::map<std::string, double> Samples() {
    SampleMap map;
    advisor_->MetricsSource()->Visit(map);
    return map.samples;
  }

  net::io_context ioc_;
  std::shared_ptr<query::QueryService> query_;
  std::unique_ptr<ScalingAdvisor> advisor_;
};

TEST_F(AdvisorTest, DecidesExposesAndCountsWhatItCannotDecide) {
  advisor_->Configure(Config(
      "    - {name: static, load: game_load, target: 100, current_replicas: 2}\n"
      "    - {name: queried, load: game_load, target: 100, current_expr: replicas, max_replicas: 10}\n"
      "    - {name: many, load: multi, target: 1, current_replicas: 1}\n"
      "    - {name: nan, load: broken, target: 1, current_replicas: 1}\n"
      "    - {name: none, load: absent_metric, target: 1, current_replicas: 1}\n"
      "    - {name: badcurrent, load: game_load, target: 1, current_expr: multi}\n"));
  // Every target evaluated once: decided, or failed with a reason.
  ASSERT_TRUE(WaitFor([](const nlohmann::json& s) {
    for (const nlohmann::json& t : s["targets"]) {
      if (t["desired"].is_null() && t["last_error"] == "") return false;
    }
    return true;
  })) << advisor_->Status().dump(2);
  nlohmann::json status = advisor_->Status();
  nlohmann::json fixed = Target(status, "static");
  EXPECT_EQ(fixed["current"], 2);
  EXPECT_EQ(fixed["desired"], 8);
  EXPECT_EQ(fixed["direction"], "up");
  EXPECT_EQ(fixed["load"], 400.0);
  EXPECT_EQ(fixed["dry_run"], true);
  EXPECT_TRUE(fixed["last_hook"].is_null());  // no hooks configured
  EXPECT_THAT(fixed["reason"].get<std::string>(), HasSubstr("ceil(2 x 4) = 8"));
  nlohmann::json queried = Target(status, "queried");
  EXPECT_EQ(queried["current"], 3);
  EXPECT_EQ(queried["desired"], 10);  // ceil(3 x 4) = 12, clamped
  EXPECT_THAT(queried["reason"].get<std::string>(), HasSubstr("clamped to max_replicas 10"));
  for (const char* name : {"many", "nan", "none", "badcurrent"}) {
    EXPECT_TRUE(Target(status, name)["desired"].is_null()) << name;
    EXPECT_NE(Target(status, name)["last_error"], "") << name;
  }
  EXPECT_THAT(Target(status, "many")["last_error"].get<std::string>(), HasSubstr("2 series"));

  std::map<std::string, double> samples = Samples();
  EXPECT_EQ(samples["metricsd_scaling_desired_replicas{target=\"static\"}"], 8);
  EXPECT_EQ(samples["metricsd_scaling_current_replicas{target=\"queried\"}"], 3);
  EXPECT_EQ(samples["metricsd_scaling_load{target=\"static\"}"], 400);
  EXPECT_GE(samples["metricsd_scaling_decisions_total{direction=\"up\",target=\"static\"}"], 1);
  EXPECT_EQ(samples.count("metricsd_scaling_decisions_total{direction=\"down\",target=\"static\"}"), 1u);
  EXPECT_GE(samples["metricsd_scaling_evaluation_errors_total{reason=\"load_many_series\",target=\"many\"}"], 1);
  EXPECT_GE(samples["metricsd_scaling_evaluation_errors_total{reason=\"load_nan\",target=\"nan\"}"], 1);
  EXPECT_GE(samples["metricsd_scaling_evaluation_errors_total{reason=\"load_no_data\",target=\"none\"}"], 1);
  EXPECT_GE(samples["metricsd_scaling_evaluation_errors_total{reason=\"current_many_series\",target=\"badcurrent\"}"], 1);
  EXPECT_EQ(samples.count("metricsd_scaling_desired_replicas{target=\"nan\"}"), 0u);
  advisor_->Stop();
}

TEST_F(AdvisorTest, HooksRunUnlessDryRunAndReloadsKeepState) {
  std::string out = ::testing::TempDir() + "scaling_advisor_" + std::to_string(::getpid()) + ".log";
  std::remove(out.c_str());
  const std::string hook = "{exec: {argv: [/bin/sh, -c, 'echo $METRICSD_SCALING_DESIRED >> \"$0\"', " + out + "]}}";
  advisor_->Configure(Config(
      "    - {name: live, load: game_load, target: 100, current_replicas: 2, dry_run: false,\n"
      "       cooldown: 1h, hooks: " + hook + "}\n"
      "    - {name: rehearsal, load: game_load, target: 100, current_replicas: 2, hooks: " + hook + "}\n"));
  ASSERT_TRUE(WaitFor([](const nlohmann::json& s) {
    return Target(s, "live")["last_hook"].is_object() && Target(s, "rehearsal")["last_hook"].is_object();
  })) << advisor_->Status().dump(2);
  nlohmann::json status = advisor_->Status();
  EXPECT_EQ(Target(status, "live")["last_hook"]["kind"], "exec");
  EXPECT_EQ(Target(status, "live")["last_hook"]["result"], "success");
  EXPECT_EQ(Target(status, "rehearsal")["last_hook"]["result"], "dry_run");
  std::ifstream file(out);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(file, line)) lines.push_back(line);
  EXPECT_EQ(lines, std::vector<std::string>{"8"});  // one call: the cooldown is an hour

  // A reload that keeps "live" keeps its cooldown and counters; "rehearsal" goes.
  double decisions = Samples()["metricsd_scaling_decisions_total{direction=\"up\",target=\"live\"}"];
  advisor_->Configure(Config(
      "    - {name: live, load: game_load, target: 100, current_replicas: 2, dry_run: false,\n"
      "       cooldown: 1h, hooks: " + hook + "}\n"));
  ASSERT_TRUE(WaitFor([](const nlohmann::json& s) { return s["targets"].size() == 1; }));
  std::map<std::string, double> samples = Samples();
  EXPECT_GE(samples["metricsd_scaling_decisions_total{direction=\"up\",target=\"live\"}"], decisions);
  EXPECT_EQ(samples["metricsd_scaling_hook_calls_total{hook=\"exec\",result=\"success\",target=\"live\"}"], 1);
  EXPECT_EQ(samples.count("metricsd_scaling_decisions_total{direction=\"up\",target=\"rehearsal\"}"), 0u);
  advisor_->Stop();
  std::remove(out.c_str());
}

}  // namespace
}  // namespace metricsd::scaling
