#include "daemon/scaling/scaling_advisor.h"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/analytics_config.h"
#include "daemon/analytics/forecast.h"
#include "daemon/analytics/query_engine.h"
#include "daemon/core/function_source.h"
#include "daemon/core/logging.h"
#include "daemon/core/mutex.h"
#include "daemon/scaling/hpa.h"
#include "daemon/scaling/scaling_hooks.h"

namespace metricsd::scaling {
namespace {

namespace promql = query::promql;
using SteadyClock = std::chrono::steady_clock;

// Hook calls waiting for the hook thread; beyond this a decision's hooks are dropped (counted
// as result="dropped"): a hook that hangs to its timeout must not queue decisions forever.
constexpr std::size_t kHookQueueCapacity = 16;

constexpr Direction kDirections[] = {Direction::kUp, Direction::kDown, Direction::kNone};

promql::Timestamp Millis(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

HpaParams ParamsOf(const ScalingTarget& target) {
  HpaParams params;
  params.target = target.target;
  params.tolerance = target.tolerance;
  params.min_replicas = target.min_replicas;
  params.max_replicas = target.max_replicas;
  params.scale_up_window = target.stabilization.scale_up;
  params.scale_down_window = target.stabilization.scale_down;
  return params;
}

// One number from an instant query, or why not (`*reason` is the error metric's label).
std::optional<double> QueryOne(query::QueryService* service, const std::string& expr,
                               promql::Timestamp t, std::string* reason, std::string* detail) {
  if (service == nullptr) {
    *reason = "unavailable";
    *detail = "no query engine (history disabled)";
    return std::nullopt;
  }
  promql::QueryResult result = service->Instant(expr, t);
  if (!result.ok()) {
    *reason = result.error_type == promql::ErrorType::kUnavailable ? "unavailable" : "query_error";
    *detail = result.error;
    return std::nullopt;
  }
  double value = 0;
  if (const auto* scalar = std::get_if<promql::Scalar>(&result.value)) {
    value = scalar->v;
  } else if (const auto* vector = std::get_if<promql::Vector>(&result.value)) {
    if (vector->empty()) {
      *reason = "no_data";
      *detail = "the expression returned no series";
      return std::nullopt;
    }
    if (vector->size() > 1) {
      *reason = "many_series";
      *detail = "the expression returned " + std::to_string(vector->size()) +
                " series; wrap it in sum(), avg() or max()";
      return std::nullopt;
    }
    value = vector->front().v;
  } else {
    *reason = "not_a_number";
    *detail = "the expression returned neither a scalar nor an instant vector";
    return std::nullopt;
  }
  if (!std::isfinite(value)) {
    *reason = "nan";
    *detail = "the expression returned " + Number(value);
    return std::nullopt;
  }
  return value;
}

}  // namespace

struct LastHook {
  std::string kind, result;
  TimePoint time;
};

// What the advisor knows of one target; survives reloads that keep its name.
struct TargetState {
  ScalingTarget config;
  Stabilizer stabilizer;
  std::optional<Decision> last;
  std::optional<TimePoint> last_decision_time;
  std::optional<TimePoint> last_hook_time;  // of the last call (or dry-run skip): the cooldown
  std::optional<LastHook> last_hook;
  std::string last_error;  // of the last evaluation ("" when it decided)
  std::map<Direction, std::uint64_t> decisions;
  std::map<std::pair<std::string, std::string>, std::uint64_t> hook_calls;  // (hook, result)
  std::map<std::string, std::uint64_t> errors;                              // reason
};

struct HookJob {
  std::string target;
  ScalingHooks hooks;
  HookEvent event;
};

struct ScalingAdvisor::State {
  State(net::io_context& io, std::shared_ptr<query::QueryService> service)
      : ioc(io), query(std::move(service)) {}

  void RunEvaluator();
  void RunHooks();
  void Evaluate(const ScalingTarget& target);
  std::optional<double> Forecast(const ScalingTarget& target, promql::Timestamp t,
                                 std::string* error);
  void Record(const std::string& target, const std::string& hook, const std::string& result,
              const std::string& detail);

  net::io_context& ioc;
  const std::shared_ptr<query::QueryService> query;
  std::atomic<bool> stopping{false};

  mutable Mutex mutex;
  std::condition_variable_any changed;     // config or stop (the evaluator waits on it)
  std::condition_variable_any hook_ready;  // a job or stop (the hook runner waits on it)
  std::shared_ptr<const ScalingConfig> config ABSL_GUARDED_BY(mutex);
  std::uint64_t generation ABSL_GUARDED_BY(mutex) = 0;
  std::map<std::string, TargetState, std::less<>> targets ABSL_GUARDED_BY(mutex);
  std::deque<HookJob> hook_queue ABSL_GUARDED_BY(mutex);
  bool started ABSL_GUARDED_BY(mutex) = false;
  bool stopped ABSL_GUARDED_BY(mutex) = false;
  std::thread evaluator, hook_runner;  // set once under `mutex`, joined by Stop()
};

void ScalingAdvisor::State::RunEvaluator() {
  std::uint64_t seen = 0;
  SteadyClock::time_point next{};
  for (;;) {
    std::shared_ptr<const ScalingConfig> snapshot;
    {
      MutexLock lock(mutex);
      for (;;) {
        if (stopped) return;
        if (generation != seen) {
          // A new config: its first evaluation one interval from now (history needs a sample).
          seen = generation;
          next = SteadyClock::now() + config->interval;
        }
        if (SteadyClock::now() >= next) break;
        changed.wait_until(mutex, next);
      }
      snapshot = config;
    }
    for (const ScalingTarget& target : snapshot->targets) {
      if (stopping.load()) return;
      Evaluate(target);
    }
    // Absolute deadlines; a run that overran skips the slots it missed.
    next += snapshot->interval;
    auto now = SteadyClock::now();
    if (next <= now) next = now + snapshot->interval;
  }
}

std::optional<double> ScalingAdvisor::State::Forecast(const ScalingTarget& target,
                                                      promql::Timestamp t, std::string* error) {
  if (!query) {
    *error = "no query engine";
    return std::nullopt;
  }
  analytics::AnalyticsConfig options;
  options.forecast.history = target.predictive.history;
  options.forecast.step = target.predictive.step;
  std::unique_ptr<analytics::QueryEngine> engine = analytics::MakeLocalQueryEngine(query);
  analytics::AnalysisContext context{.engine = *engine, .config = options, .now = t};
  std::vector<analytics::ForecastResult> results =
      analytics::ForecastExpr(context, target.load, t, target.predictive.lead, error, 1);
  if (results.empty()) {
    if (error->empty()) *error = "no series to forecast";
    return std::nullopt;
  }
  const analytics::ForecastResult& result = results.front();
  if (!result.ok()) {
    *error = result.error;
    return std::nullopt;
  }
  if (result.predicted.empty() || !std::isfinite(result.predicted.back().v)) {
    *error = "the forecast has no value at the lead";
    return std::nullopt;
  }
  return result.predicted.back().v;
}

void ScalingAdvisor::State::Evaluate(const ScalingTarget& target) {
  const TimePoint now = std::chrono::system_clock::now();
  const promql::Timestamp t = Millis(now);
  std::string reason, detail;
  std::optional<double> load = QueryOne(query.get(), target.load, t, &reason, &detail);
  if (!load) reason = "load_" + reason;
  std::optional<int> current;
  if (load) {
    if (target.current_replicas) {
      current = *target.current_replicas;
    } else if (std::optional<double> value =
                   QueryOne(query.get(), target.current_expr, t, &reason, &detail)) {
      if (*value < 0 || *value > 1e6) {
        reason = "current_out_of_range";
        detail = "current_expr returned " + Number(*value);
      } else {
        current = static_cast<int>(std::llround(*value));
      }
    } else {
      reason = "current_" + reason;
    }
  }
  std::optional<double> forecast;
  std::string forecast_error;
  if (current && target.predictive.enabled()) forecast = Forecast(target, t, &forecast_error);

  MutexLock lock(mutex);
  auto it = targets.find(target.name);
  if (it == targets.end() || stopped) return;  // removed by a reload meanwhile
  TargetState& state = it->second;
  if (!current) {
    ++state.errors[reason];
    if (state.last_error != detail) {
      LogWarn("scaling target not evaluated", {{"target", target.name}, {"reason", reason},
                                               {"err", detail}});
    }
    state.last_error = detail;
    return;
  }
  if (!forecast_error.empty()) {
    ++state.errors["forecast_failed"];
    LogDebug("scaling forecast failed", {{"target", target.name}, {"err", forecast_error}});
  }
  state.last_error.clear();
  std::optional<Decision> previous = state.last;
  Decision decision = Decide(*current, *load, forecast, now, ParamsOf(target), state.stabilizer);
  ++state.decisions[decision.direction];
  state.last = decision;
  state.last_decision_time = now;
  const bool news = !previous || previous->desired != decision.desired ||
                    previous->current != decision.current ||
                    previous->direction != decision.direction;
  Log(news ? LogLevel::kInfo : LogLevel::kDebug, "scaling decision",
      {{"target", target.name},
       {"current", std::to_string(decision.current)},
       {"desired", std::to_string(decision.desired)},
       {"direction", std::string(DirectionName(decision.direction))},
       {"load", Number(decision.load)},
       {"forecast", decision.forecast ? Number(*decision.forecast) : ""},
       {"reason", decision.reason},
       {"dry_run", target.dry_run ? "true" : "false"}});

  const bool has_hooks = target.hooks.webhook.configured() || target.hooks.exec.configured();
  if (!has_hooks || !HookDue(decision, state.last_hook_time, now, target.cooldown)) return;
  state.last_hook_time = now;
  HookEvent event{.target = target.name,
                  .current = decision.current,
                  .desired = decision.desired,
                  .reason = decision.reason,
                  .forecast = decision.forecast,
                  .load = decision.load,
                  .target_value = target.target,
                  .direction = decision.direction,
                  .time = now};
  std::vector<std::string> kinds;
  if (target.hooks.webhook.configured()) kinds.push_back("webhook");
  if (target.hooks.exec.configured()) kinds.push_back("exec");
  if (target.dry_run || hook_queue.size() >= kHookQueueCapacity) {
    const std::string result = target.dry_run ? "dry_run" : "dropped";
    for (const std::string& kind : kinds) {
      ++state.hook_calls[{kind, result}];
      state.last_hook = LastHook{kind, result, now};
    }
    Log(target.dry_run ? LogLevel::kInfo : LogLevel::kWarn,
        target.dry_run ? "scaling hooks not called (dry_run)" : "scaling hooks dropped (queue full)",
        {{"target", target.name}, {"desired", std::to_string(decision.desired)}});
    return;
  }
  hook_queue.push_back(HookJob{target.name, target.hooks, std::move(event)});
  hook_ready.notify_one();
}

void ScalingAdvisor::State::Record(const std::string& target, const std::string& hook,
                                   const std::string& result, const std::string& detail) {
  if (result == "success") {
    LogInfo("scaling hook called", {{"target", target}, {"hook", hook}});
  } else {
    LogWarn("scaling hook failed", {{"target", target}, {"hook", hook}, {"result", result},
                                    {"err", detail}});
  }
  MutexLock lock(mutex);
  auto it = targets.find(target);
  if (it == targets.end()) return;
  ++it->second.hook_calls[{hook, result}];
  it->second.last_hook = LastHook{hook, result, std::chrono::system_clock::now()};
}

void ScalingAdvisor::State::RunHooks() {
  for (;;) {
    HookJob job;
    {
      MutexLock lock(mutex);
      while (!stopped && hook_queue.empty()) hook_ready.wait(mutex);
      if (stopped) return;
      job = std::move(hook_queue.front());
      hook_queue.pop_front();
    }
    if (job.hooks.webhook.configured()) {
      HookResult result = PostWebhook(ioc, job.hooks.webhook, job.event, stopping);
      Record(job.target, "webhook", result.result, result.detail);
    }
    if (job.hooks.exec.configured() && !stopping.load()) {
      HookResult result = RunExecHook(job.hooks.exec, job.event, stopping);
      Record(job.target, "exec", result.result, result.detail);
    }
  }
}

ScalingAdvisor::ScalingAdvisor(net::io_context& ioc, std::shared_ptr<query::QueryService> query)
    : state_(std::make_shared<State>(ioc, std::move(query))) {}

ScalingAdvisor::~ScalingAdvisor() { Stop(); }

void ScalingAdvisor::Configure(std::shared_ptr<const ScalingConfig> config) {
  if (!config) return;
  State& s = *state_;
  MutexLock lock(s.mutex);
  if (s.stopped) return;
  std::map<std::string, TargetState, std::less<>> targets;
  for (const ScalingTarget& target : config->targets) {
    auto old = s.targets.find(target.name);
    TargetState state;
    if (old != s.targets.end()) state = std::move(old->second);
    state.config = target;
    targets.emplace(target.name, std::move(state));
  }
  s.targets = std::move(targets);
  s.config = std::move(config);
  ++s.generation;
  s.changed.notify_all();
  if (!s.started && !s.config->targets.empty()) {
    s.started = true;
    // The threads share the state, not the advisor: Stop() joins them before it goes.
    s.evaluator = std::thread([state = state_] { state->RunEvaluator(); });
    s.hook_runner = std::thread([state = state_] { state->RunHooks(); });
  }
}

void ScalingAdvisor::Stop() {
  State& s = *state_;
  {
    MutexLock lock(s.mutex);
    s.stopped = true;
    s.stopping.store(true);
    s.changed.notify_all();
    s.hook_ready.notify_all();
  }
  // Joined outside the lock: the threads take it to finish their step.
  if (s.evaluator.joinable()) s.evaluator.join();
  if (s.hook_runner.joinable()) s.hook_runner.join();
}

nlohmann::json ScalingAdvisor::Status() const {
  const State& s = *state_;
  MutexLock lock(s.mutex);
  nlohmann::json targets = nlohmann::json::array();
  if (!s.config) return {{"targets", targets}};
  for (const ScalingTarget& target : s.config->targets) {
    auto it = s.targets.find(target.name);
    if (it == s.targets.end()) continue;
    const TargetState& state = it->second;
    nlohmann::json row = {{"name", target.name},
                          {"load_expr", target.load},
                          {"target", target.target},
                          {"min_replicas", target.min_replicas},
                          {"max_replicas", target.max_replicas},
                          {"dry_run", target.dry_run},
                          {"load", nullptr},
                          {"current", nullptr},
                          {"desired", nullptr},
                          {"recommended", nullptr},
                          {"direction", nullptr},
                          {"reason", nullptr},
                          {"forecast", nullptr},
                          {"last_decision_time", nullptr},
                          {"last_hook", nullptr},
                          {"last_error", state.last_error}};
    if (!target.current_expr.empty()) row["current_expr"] = target.current_expr;
    if (target.predictive.enabled()) row["forecast_lead"] = FormatDuration(target.predictive.lead);
    if (state.last) {
      const Decision& d = *state.last;
      row["load"] = d.load;
      row["current"] = d.current;
      row["desired"] = d.desired;
      row["recommended"] = d.recommended;
      row["direction"] = DirectionName(d.direction);
      row["reason"] = d.reason;
      if (d.forecast && std::isfinite(*d.forecast)) row["forecast"] = *d.forecast;
    }
    if (state.last_decision_time) row["last_decision_time"] = FormatRfc3339(*state.last_decision_time);
    if (state.last_hook) {
      row["last_hook"] = {{"kind", state.last_hook->kind},
                          {"result", state.last_hook->result},
                          {"time", FormatRfc3339(state.last_hook->time)}};
    }
    targets.push_back(std::move(row));
  }
  return {{"targets", targets}};
}

namespace {

// One target's figures, copied under the lock so the visit streams without it.
struct TargetFigures {
  std::string name;
  std::optional<Decision> last;
  std::map<Direction, std::uint64_t> decisions;
  std::map<std::pair<std::string, std::string>, std::uint64_t> hook_calls;
  std::map<std::string, std::uint64_t> errors;
};

void StreamGauge(FamilyVisitor& visitor, std::string_view name, std::string_view help,
                 const std::vector<TargetFigures>& figures,
                 std::optional<double> (*value_of)(const Decision&)) {
  visitor.Family(name, help, MetricType::kGauge);
  for (const TargetFigures& target : figures) {
    if (!target.last) continue;
    std::optional<double> value = value_of(*target.last);
    if (!value) continue;
    Label labels[] = {{"target", target.name}};
    visitor.Sample(labels, *value);
  }
}

}  // namespace

std::shared_ptr<const Source> ScalingAdvisor::MetricsSource() const {
  std::weak_ptr<const State> weak = state_;
  return MakeFunctionSource("scaling", [weak](FamilyVisitor& visitor) {
    std::shared_ptr<const State> s = weak.lock();
    if (!s) return;
    std::vector<TargetFigures> figures;
    {
      MutexLock lock(s->mutex);
      for (const auto& [name, state] : s->targets) {
        figures.push_back({name, state.last, state.decisions, state.hook_calls, state.errors});
      }
    }
    StreamGauge(visitor, "metricsd_scaling_desired_replicas",
                "Replicas the scaling advisor recommends for the target (after stabilization "
                "and the min/max clamp).",
                figures, [](const Decision& d) -> std::optional<double> { return d.desired; });
    StreamGauge(visitor, "metricsd_scaling_current_replicas",
                "The target's current replicas at the last decision.", figures,
                [](const Decision& d) -> std::optional<double> { return d.current; });
    StreamGauge(visitor, "metricsd_scaling_load",
                "The target's load per replica at the last decision.", figures,
                [](const Decision& d) -> std::optional<double> { return d.load; });
    StreamGauge(visitor, "metricsd_scaling_forecast_load",
                "The forecast load per replica predictive.lead ahead, at the last decision.",
                figures, [](const Decision& d) { return d.forecast; });
    visitor.Family("metricsd_scaling_decisions_total",
                   "Decisions of the scaling advisor, by direction (none: desired equals current).",
                   MetricType::kCounter);
    for (const TargetFigures& target : figures) {
      for (Direction direction : kDirections) {
        auto found = target.decisions.find(direction);
        Label labels[] = {{"direction", DirectionName(direction)}, {"target", target.name}};
        visitor.Sample(labels, found == target.decisions.end() ? 0.0 : static_cast<double>(found->second));
      }
    }
    visitor.Family("metricsd_scaling_hook_calls_total",
                   "Hook calls by hook (webhook, exec) and result (success, failure, timeout; "
                   "dropped: the hook queue was full; dry_run: due but not called).",
                   MetricType::kCounter);
    for (const TargetFigures& target : figures) {
      for (const auto& [key, count] : target.hook_calls) {
        Label labels[] = {{"hook", key.first}, {"result", key.second}, {"target", target.name}};
        visitor.Sample(labels, static_cast<double>(count));
      }
    }
    visitor.Family("metricsd_scaling_evaluation_errors_total",
                   "Evaluations that made no decision (or no forecast), by reason.",
                   MetricType::kCounter);
    for (const TargetFigures& target : figures) {
      for (const auto& [reason, count] : target.errors) {
        Label labels[] = {{"reason", reason}, {"target", target.name}};
        visitor.Sample(labels, static_cast<double>(count));
      }
    }
  });
}

}  // namespace metricsd::scaling
