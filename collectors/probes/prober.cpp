// The prober's schedule and state: targets across reloads, their periodic jobs, the
// concurrency cap, results, and /api/v1/targets. Each probe kind is in its own file
// (http_probe.cpp, tcp_probe.cpp, ao_dryrun_probe.cpp, ao_unit_probe.cpp); the exposition in
// probe_exposition.cpp.
#include "collectors/probes/prober.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "collectors/probes/prober_target.h"
#include "daemon/core/shed_state.h"

namespace metricsd::probes {
namespace {

// When the target's job runs next, on the wall clock.
SystemClock::time_point NextRun(const PeriodicJob* job) {
  if (job == nullptr) return SystemClock::now();
  auto until = job->next_run() - PeriodicJob::Clock::now();
  return SystemClock::now() + std::chrono::duration_cast<SystemClock::duration>(until);
}

bool Same(const TargetConfig& a, const TargetConfig& b) {
  return a.name == b.name && a.type == b.type;
}

}  // namespace

void Prober::Configure(const ProbesConfig& config) {
  MutexLock lock(mutex_);
  max_concurrency_ = config.max_concurrency;
  std::map<std::string, std::shared_ptr<Target>> next;
  std::vector<std::shared_ptr<Target>> to_schedule;
  for (const TargetConfig& target_config : config.targets) {
    auto it = targets_.find(target_config.name);
    std::shared_ptr<Target> target;
    if (it != targets_.end() && Same(*it->second->config, target_config)) {
      target = it->second;
      bool retime = target->config->interval != target_config.interval;
      if (target->config->buckets != target_config.buckets) {
        for (auto& histogram : target->histograms) histogram.reset();  // new bounds, new start
      }
      target->config = std::make_shared<const TargetConfig>(target_config);
      if (retime) to_schedule.push_back(target);
    } else {
      target = std::make_shared<Target>();
      target->config = std::make_shared<const TargetConfig>(target_config);
      to_schedule.push_back(target);
    }
    next[target_config.name] = target;
  }
  for (auto& entry : targets_) {
    std::shared_ptr<Target> target = entry.second;  // a named copy: lambdas cannot capture bindings
    if (next.count(entry.first) && next[entry.first] == target) continue;
    target->removed = true;
    if (target->job) target->job->Stop();
  }
  std::erase_if(waiting_, [](const auto& target) { return target->removed; });
  targets_ = std::move(next);
  if (stopped_) return;
  for (auto& target : to_schedule) {
    auto now = PeriodicJob::Clock::now();
    // A target that has run waits a whole (new) interval; a new one starts at an offset spread
    // over the interval, the same offset for the same name every time.
    PeriodicJob::Clock::time_point first =
        target->has_result || target->running ? now + target->config->interval
        : target->job                         ? target->job->next_run()
                                              : now + PhaseFor(target->config->name, target->config->interval);
    Schedule(target, first);
  }
}

void Prober::Stop() {
  MutexLock lock(mutex_);
  stopped_ = true;
  waiting_.clear();
  for (auto& entry : targets_) {
    if (entry.second->job) entry.second->job->Stop();
  }
}

void Prober::Schedule(const std::shared_ptr<Target>& target, PeriodicJob::Clock::time_point first) {
  // Called with mutex_ held. The job's runs hold weak references only: the Prober owns its
  // targets and their jobs, so they all go when it does, before the io_context.
  if (target->job) target->job->Stop();
  target->job = PeriodicJob::Create(
      ioc_.get_executor(), target->config->interval,
      [weak = weak_from_this(), weak_target = std::weak_ptr<Target>(target)] {
        auto self = weak.lock();
        auto ticked = weak_target.lock();
        if (self && ticked) self->Tick(ticked);
      });
  target->job->Start(first);
}

void Prober::Tick(const std::shared_ptr<Target>& target) {
  MutexLock lock(mutex_);
  if (target->removed || stopped_) return;
  // The job keeps absolute deadlines: the schedule does not drift by the time probes take
  // (a probe runs asynchronously; the tick itself is short).
  if (target->running || target->queued) {
    ++target->skipped;
    return;
  }
  if (ShedThisTick(*target)) {
    CountShedDrop(ShedStep::kProbes);
    return;
  }
  if (in_flight_ >= max_concurrency_) {
    target->queued = true;
    waiting_.push_back(target);
    return;
  }
  Launch(target);
}

bool Prober::ShedThisTick(const Target& target) const {
  if (!IsShed(ShedStep::kProbes) || !target.has_result) return false;
  // When the last probe started (its end less its duration): the schedule keeps absolute
  // deadlines, so "kShedStretch intervals since the last start, less half an interval"
  // picks exactly one tick in kShedStretch, however long the probes take.
  auto started = target.last_run - std::chrono::duration_cast<SystemClock::duration>(
                                       std::chrono::duration<double>(target.duration));
  auto stretched = target.config->interval * kShedStretch - target.config->interval / 2;
  return SystemClock::now() - started < std::chrono::duration_cast<SystemClock::duration>(stretched);
}

void Prober::Launch(const std::shared_ptr<Target>& target) {
  // mutex_ held. The probe itself starts outside the lock, on the io_context: deferred, as a
  // continuation of the tick or completion that launches it (on this thread, waking no other).
  target->running = true;
  running_.insert(target);  // a target removed by a reload still completes its last probe
  ++in_flight_;
  ++target->sequence;
  std::shared_ptr<const TargetConfig> config = target->config;
  net::defer(ioc_, [weak = weak_from_this(), weak_target = std::weak_ptr<Target>(target), config] {
    auto self = weak.lock();
    auto live = weak_target.lock();
    if (!self || !live) return;
    switch (config->type) {
      case ProbeType::kHttp: self->RunHttp(live, config); break;
      case ProbeType::kTcp: self->RunTcp(live, config); break;
      case ProbeType::kAoDryrun: self->RunDryrun(live, config); break;
      case ProbeType::kAoUnit: self->RunUnit(live, config); break;
    }
  });
}

ExchangeRequest Prober::RequestFor(const TargetConfig& config, const Url& url) const {
  ExchangeRequest request;
  request.host = url.host;
  request.port = url.port;
  request.url = url;
  request.use_tls = url.https;
  request.tls = config.tls_context;
  request.server_name = config.tls.server_name;
  request.prefer_ip6 = config.http.prefer_ip6;
  request.body_limit = config.http.body_size_limit;
  request.allow_insecure_redirect = config.http.allow_insecure_redirect;
  request.timeout = config.timeout;
  return request;
}

void Prober::Complete(const std::shared_ptr<Target>& target, Outcome outcome, std::string error,
                      const ExchangeResult& exchange) {
  MutexLock lock(mutex_);
  target->running = false;
  running_.erase(target);
  --in_flight_;
  target->has_result = true;
  target->outcome = outcome;
  target->error = std::move(error);
  target->duration = exchange.total;
  target->last_run = SystemClock::now();
  target->exchange = exchange;
  target->exchange.body.clear();  // kept only for the judgement above
  auto index = static_cast<std::size_t>(outcome);
  ++target->counts[index];
  if (!target->histograms[index]) {
    target->histograms[index] = std::make_unique<Histogram>(target->config->buckets);
  }
  target->histograms[index]->Observe(exchange.total);
  while (!waiting_.empty() && in_flight_ < max_concurrency_ && !stopped_) {
    auto next = waiting_.front();
    waiting_.pop_front();
    next->queued = false;
    if (!next->removed) Launch(next);
  }
}

nlohmann::json Prober::TargetsJson() const {
  MutexLock lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, target] : targets_) {
    nlohmann::json entry = target->config->ToJson();
    entry["running"] = target->running;
    entry["skipped"] = target->skipped;
    entry["next_run"] = Rfc3339(NextRun(target->job.get()));
    if (target->has_result) {
      entry["last_outcome"] = OutcomeName(target->outcome);
      entry["last_error"] = target->error;
      entry["last_duration_seconds"] = target->duration;
      entry["last_run"] = Rfc3339(target->last_run);
      if (target->exchange.status != 0) entry["last_status_code"] = target->exchange.status;
    } else {
      entry["last_outcome"] = nullptr;
    }
    list.push_back(std::move(entry));
  }
  return {{"status", "success"}, {"data", list}};
}

}  // namespace metricsd::probes
