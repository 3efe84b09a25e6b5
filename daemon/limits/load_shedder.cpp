#include "daemon/limits/load_shedder.h"

#include <array>
#include <cstdio>
#include <optional>
#include <string>

#include "daemon/core/function_source.h"
#include "daemon/core/logging.h"
#include "daemon/core/mutex.h"
#include "daemon/core/periodic_job.h"
#include "daemon/core/shed_state.h"
#include "daemon/limits/shed_policy.h"

namespace metricsd::limits {
namespace {

std::string Fixed(double value, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

std::string_view StepName(int level) {
  if (level <= 0) return "none";
  return kShedStepNames.Name(static_cast<ShedStep>(level));
}

}  // namespace

struct LoadShedder::State {
  State(net::io_context& ioc, UsageReader reader) : ioc(ioc), reader(std::move(reader)) {}

  void Tick() {
    MutexLock lock(mutex);
    if (!job) return;  // stopped meanwhile
    Usage usage;
    try {
      usage = reader();
    } catch (const std::exception& e) {
      ++measure_errors;
      if (!measure_failed) LogWarn("load shedding: cannot measure usage; the level holds", {{"err", e.what()}});
      measure_failed = true;
      return;
    }
    measure_failed = false;
    last_usage = usage;
    ShedDecision decision = policy.Observe(usage);
    last_pressure = decision.pressure;
    if (!decision.changed()) return;
    SetShedLevel(decision.level);
    bool up = decision.level > decision.previous;
    ++changes[up ? 0 : 1];
    std::string budget = decision.cause == "memory" ? std::to_string(config.memory) : Fixed(config.cpu);
    std::string used = decision.cause == "memory" ? std::to_string(usage.rss_bytes) : Fixed(usage.cpu_cores);
    if (up) {
      LogWarn("load shedding: over budget, shedding one more step",
              {{"level", std::to_string(decision.level)},
               {"step", std::string(StepName(decision.level))},
               {"cause", std::string(decision.cause)},
               {"used", used},
               {"budget", budget},
               {"pressure_avg", Fixed(decision.average)},
               {"recover_wait", FormatDuration(config.recover_for * decision.recover_backoff)}});
    } else {
      LogInfo(decision.level == 0 ? "load shedding: under budget, back to normal"
                                  : "load shedding: under budget, one step given back",
              {{"level", std::to_string(decision.level)},
               {"restored", std::string(StepName(decision.previous))},
               {"cause", std::string(decision.cause)},
               {"used", used},
               {"budget", budget}});
    }
  }

  net::io_context& ioc;
  const UsageReader reader;
  mutable Mutex mutex;
  LimitsConfig config ABSL_GUARDED_BY(mutex);
  ShedPolicy policy ABSL_GUARDED_BY(mutex){LimitsConfig{}};
  std::shared_ptr<PeriodicJob> job ABSL_GUARDED_BY(mutex);
  std::optional<Usage> last_usage ABSL_GUARDED_BY(mutex);
  double last_pressure ABSL_GUARDED_BY(mutex) = 0;
  std::array<std::uint64_t, 2> changes ABSL_GUARDED_BY(mutex){};  // up, down
  std::uint64_t measure_errors ABSL_GUARDED_BY(mutex) = 0;
  bool measure_failed ABSL_GUARDED_BY(mutex) = false;
};

LoadShedder::LoadShedder(net::io_context& ioc)
    : LoadShedder(ioc, [meter = std::make_shared<SelfUsageMeter>()] { return meter->Read(); }) {}

LoadShedder::LoadShedder(net::io_context& ioc, UsageReader reader)
    : state_(std::make_shared<State>(ioc, std::move(reader))) {}

LoadShedder::~LoadShedder() { Stop(); }

void LoadShedder::Configure(const LimitsConfig& config) {
  State& s = *state_;
  MutexLock lock(s.mutex);
  bool retime = !s.job || s.config.interval != config.interval;
  s.config = config;
  int before = s.policy.level();
  s.policy.Configure(config);
  if (!config.enabled()) {
    if (s.job) s.job->Stop();
    s.job.reset();
    s.last_usage.reset();
    s.last_pressure = 0;
    SetShedLevel(0);
    if (before > 0) LogInfo("load shedding: no budget any more, back to normal");
    return;
  }
  if (!retime) return;
  if (s.job) s.job->Stop();
  s.job = PeriodicJob::Create(s.ioc.get_executor(), config.interval,
                              [weak = std::weak_ptr<State>(state_)] {
                                if (auto state = weak.lock()) state->Tick();
                              });
  s.job->Start(PeriodicJob::Clock::now() + config.interval);
}

void LoadShedder::Stop() {
  MutexLock lock(state_->mutex);
  if (state_->job) state_->job->Stop();
  state_->job.reset();
  if (state_->policy.level() > 0) SetShedLevel(0);
}

std::shared_ptr<const Source> LoadShedder::MetricsSource() const {
  return MakeFunctionSource("limits", [weak = std::weak_ptr<State>(state_)](FamilyVisitor& visitor) {
    auto state = weak.lock();
    if (!state) return;
    LimitsConfig config;
    std::optional<Usage> usage;
    double pressure;
    std::array<std::uint64_t, 2> changes;
    {
      MutexLock lock(state->mutex);
      config = state->config;
      usage = state->last_usage;
      pressure = state->last_pressure;
      changes = state->changes;
    }
    auto gauge = [&](std::string_view name, std::string_view help, double value) {
      visitor.Family(name, help, MetricType::kGauge);
      visitor.Sample({}, value);
    };
    int level = ShedLevel();
    gauge("metricsd_shed_level",
          "How many load-shedding steps are in effect (0: none; 1 statsd_low, 2 probes, 3 history, "
          "4 statsd_normal; each level includes the ones below).",
          level);
    visitor.Family("metricsd_degraded",
                   "1 while a load-shedding step is in effect (metricsd is over its limits budget).",
                   MetricType::kGauge);
    for (int step = 1; step <= kShedSteps; ++step) {
      Label label{"component", kShedStepNames.Name(static_cast<ShedStep>(step))};
      visitor.Sample(Labels(&label, 1), level >= step ? 1 : 0);
    }
    visitor.Family("metricsd_shed_dropped_total",
                   "What load shedding dropped, by step (component) and unit (reason): StatsD lines "
                   "by priority, probe runs skipped, history passes skipped.",
                   MetricType::kCounter);
    for (int step = 1; step <= kShedSteps; ++step) {
      auto s = static_cast<ShedStep>(step);
      std::array<Label, 2> labels{Label{"component", kShedStepNames.Name(s)},
                                  Label{"reason", kShedDropReasons.Name(s)}};
      visitor.Sample(labels, static_cast<double>(ShedDropped(s)));
    }
    visitor.Family("metricsd_shed_level_changes_total",
                   "Changes of the load-shedding level, by direction (up: one more step shed).",
                   MetricType::kCounter);
    Label up{"direction", "up"}, down{"direction", "down"};
    visitor.Sample(Labels(&up, 1), static_cast<double>(changes[0]));
    visitor.Sample(Labels(&down, 1), static_cast<double>(changes[1]));
    gauge("metricsd_limits_cpu_cores", "The CPU budget (limits.cpu) in cores; 0: none.", config.cpu);
    gauge("metricsd_limits_memory_bytes", "The resident memory budget (limits.memory); 0: none.",
          static_cast<double>(config.memory));
    if (usage) {
      gauge("metricsd_limits_cpu_used_cores",
            "metricsd's CPU use over the last limits.interval, in cores, as load shedding measured it.",
            usage->cpu_cores);
      gauge("metricsd_limits_memory_used_bytes",
            "metricsd's resident memory at the last measurement, as load shedding measured it.",
            static_cast<double>(usage->rss_bytes));
      gauge("metricsd_limits_pressure",
            "The last measurement over its budget (the larger of CPU and memory): over 1 is over budget.",
            pressure);
    }
  });
}

}  // namespace metricsd::limits
