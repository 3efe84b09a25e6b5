#include "collectors/probes/prober.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>

#include "collectors/probes/ao.h"
#include "daemon/core/histogram.h"

namespace metricsd::probes {

using SystemClock = std::chrono::system_clock;

// One target's config, schedule and what its probes found. Guarded by the Prober's mutex.
struct Prober::Target {
  // Swapped whole on reload; a probe in flight keeps the one it started with.
  std::shared_ptr<const TargetConfig> config;
  // Ticks every config->interval; owned here only (its runs hold weak references).
  std::shared_ptr<PeriodicJob> job;
  bool running = false;
  bool queued = false;
  bool removed = false;
  std::uint64_t sequence = 0;

  // The last probe.
  bool has_result = false;
  Outcome outcome = Outcome::kOk;
  std::string error;
  double duration = 0;
  SystemClock::time_point last_run;
  ExchangeResult exchange;
  bool failed_due_to_regex = false;

  // Over time.
  std::array<std::uint64_t, kOutcomes> counts{};
  std::array<std::unique_ptr<Histogram>, kOutcomes> histograms;
  std::uint64_t skipped = 0;

  // ao_dryrun
  std::optional<double> gas_used;
  double gas_used_total = 0;
  std::optional<double> messages;

  // ao_unit
  std::string unit_address;
  std::optional<double> clock_skew;
  std::optional<double> block_height;
};

namespace {

double UnixSeconds(SystemClock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string Rfc3339(SystemClock::time_point t) {
  std::time_t seconds = SystemClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

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
  std::lock_guard lock(mutex_);
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
  std::lock_guard lock(mutex_);
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
  std::lock_guard lock(mutex_);
  if (target->removed || stopped_) return;
  // The job keeps absolute deadlines: the schedule does not drift by the time probes take
  // (a probe runs asynchronously; the tick itself is short).
  if (target->running || target->queued) {
    ++target->skipped;
    return;
  }
  if (in_flight_ >= max_concurrency_) {
    target->queued = true;
    waiting_.push_back(target);
    return;
  }
  Launch(target);
}

void Prober::Launch(const std::shared_ptr<Target>& target) {
  // mutex_ held. The probe itself starts outside the lock, on the io_context.
  target->running = true;
  running_.insert(target);  // a target removed by a reload still completes its last probe
  ++in_flight_;
  ++target->sequence;
  std::shared_ptr<const TargetConfig> config = target->config;
  net::post(ioc_, [weak = weak_from_this(), weak_target = std::weak_ptr<Target>(target), config] {
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

template <typename Handler>
ExchangeCallback Prober::Bind(const std::shared_ptr<Target>& target, Handler handler) {
  // Weak references: an exchange still pending when the io_context stops must not keep the
  // Prober or the target (and its timer) alive past it. While the Prober lives, running_
  // keeps the target.
  return [weak = weak_from_this(), weak_target = std::weak_ptr<Target>(target),
          handler = std::move(handler)](ExchangeResult result) mutable {
    auto self = weak.lock();
    auto live = weak_target.lock();
    if (self && live) handler(self, live, std::move(result));
  };
}

void Prober::RecordUnit(Target& target, const UnitVerdict& verdict, std::optional<double> block_height) {
  std::lock_guard lock(mutex_);
  target.unit_address = verdict.address;
  target.clock_skew.reset();
  if (verdict.timestamp_ms) target.clock_skew = *verdict.timestamp_ms / 1000 - UnixSeconds(SystemClock::now());
  target.block_height = block_height;
}

void Prober::RunHttp(const std::shared_ptr<Target>& launched,
                    std::shared_ptr<const TargetConfig> config) {
  ExchangeRequest request = RequestFor(*config, *config->url);
  request.method = config->http.method;
  request.headers = config->http.headers;
  request.body = config->http.body;
  request.follow_redirects = config->http.follow_redirects;
  RunExchange(ioc_, std::move(request), Bind(launched, [](const std::shared_ptr<Prober>& self,
                                                        const std::shared_ptr<Target>& target,
                                                        ExchangeResult result) {
    const HttpOptions& http = target->config->http;
    Outcome outcome = result.outcome;
    std::string error = result.error;
    bool regex_failed = false;
    if (outcome == Outcome::kOk && !http.ValidStatus(result.status)) {
      outcome = Outcome::kHttpError;
      error = "status " + std::to_string(result.status) + " is not a valid status code";
    }
    if (outcome == Outcome::kOk) {
      for (const auto& regex : http.fail_if_body_matches) {
        if (RE2::PartialMatch(result.body, *regex)) {
          regex_failed = true;
          error = "body matched " + regex->pattern();
        }
      }
      for (const auto& regex : http.fail_if_body_not_matches) {
        if (!RE2::PartialMatch(result.body, *regex)) {
          regex_failed = true;
          error = "body did not match " + regex->pattern();
        }
      }
      if (regex_failed) outcome = Outcome::kExpectationFailed;
    }
    {
      std::lock_guard lock(self->mutex_);
      target->failed_due_to_regex = regex_failed;
    }
    self->Complete(target, outcome, std::move(error), result);
  }));
}

void Prober::RunTcp(const std::shared_ptr<Target>& launched,
                    std::shared_ptr<const TargetConfig> config) {
  ExchangeRequest request;
  request.host = config->tcp_host;
  request.port = config->tcp_port;
  request.http = false;
  request.use_tls = config->tcp_tls;
  request.tls = config->tls_context;
  request.server_name = config->tls.server_name;
  request.timeout = config->timeout;
  RunExchange(ioc_, std::move(request), Bind(launched, [](const std::shared_ptr<Prober>& self,
                                                        const std::shared_ptr<Target>& target,
                                                        ExchangeResult result) {
    self->Complete(target, result.outcome, result.error, result);
  }));
}

void Prober::RunDryrun(const std::shared_ptr<Target>& launched,
                    std::shared_ptr<const TargetConfig> config) {
  Url url = *config->url;
  url.target = DryrunTarget(url, config->dryrun.process_id);
  ExchangeRequest request = RequestFor(*config, url);
  request.method = "POST";
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  std::uint64_t sequence;
  {
    std::lock_guard lock(mutex_);
    sequence = launched->sequence;
  }
  request.body = DryrunBody(config->dryrun, sequence);
  RunExchange(ioc_, std::move(request), Bind(launched, [](const std::shared_ptr<Prober>& self,
                                                        const std::shared_ptr<Target>& target,
                                                        ExchangeResult result) {
    Outcome outcome = result.outcome;
    std::string error = result.error;
    if (outcome == Outcome::kOk) {
      DryrunVerdict verdict = JudgeDryrun(result.status, result.body, target->config->dryrun.expect);
      outcome = verdict.outcome;
      error = verdict.error;
      std::lock_guard lock(self->mutex_);
      target->gas_used = verdict.gas_used;
      if (verdict.gas_used && *verdict.gas_used > 0) target->gas_used_total += *verdict.gas_used;
      target->messages = verdict.messages;
    }
    self->Complete(target, outcome, std::move(error), result);
  }));
}

void Prober::RunUnit(const std::shared_ptr<Target>& launched,
                    std::shared_ptr<const TargetConfig> config) {
  Url url = *config->url;
  ExchangeRequest request = RequestFor(*config, url);
  RunExchange(ioc_, request, Bind(launched, [request](const std::shared_ptr<Prober>& self,
                                                    const std::shared_ptr<Target>& target,
                                                    ExchangeResult result) mutable {
    AoUnit unit = target->config->unit;
    if (result.outcome != Outcome::kOk) {
      return self->Complete(target, result.outcome, result.error, result);
    }
    UnitVerdict verdict = JudgeUnitHealth(unit, result.status, result.body);
    if (verdict.outcome != Outcome::kOk || unit != AoUnit::kSu) {
      self->RecordUnit(*target, verdict, std::nullopt);
      return self->Complete(target, verdict.outcome, verdict.error, result);
    }
    // The SU also tells its block height at /timestamp.
    std::string path = request.url.target.substr(0, request.url.target.find('?'));
    if (path.empty() || path.back() != '/') path += '/';
    request.url.target = path + "timestamp";
    ExchangeResult first = result;
    RunExchange(self->ioc_, request, self->Bind(target, [verdict, first](const std::shared_ptr<Prober>& prober,
                                                                         const std::shared_ptr<Target>& su,
                                                                         ExchangeResult second) mutable {
      std::optional<double> height;
      Outcome outcome = second.outcome;
      std::string error = second.error;
      if (outcome == Outcome::kOk && second.status != 200) {
        outcome = Outcome::kHttpError;
        error = "GET /timestamp: HTTP " + std::to_string(second.status);
      } else if (outcome == Outcome::kOk) {
        std::optional<double> timestamp = verdict.timestamp_ms;
        height = SuBlockHeight(second.body, timestamp);
        if (!height) {
          outcome = Outcome::kBadResponse;
          error = "GET /timestamp: no block_height";
        }
        verdict.timestamp_ms = timestamp;
      }
      prober->RecordUnit(*su, verdict, height);
      second.total += first.total;
      prober->Complete(su, outcome, std::move(error), second);
    }));
  }));
}

void Prober::Complete(const std::shared_ptr<Target>& target, Outcome outcome, std::string error,
                      const ExchangeResult& exchange) {
  std::lock_guard lock(mutex_);
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
  std::lock_guard lock(mutex_);
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

// Streams every family, each across all targets (families must be contiguous).
class Prober::ProbeSource : public Source {
 public:
  explicit ProbeSource(std::weak_ptr<const Prober> prober) : weak_(std::move(prober)) {}
  std::string_view Name() const override { return "probes"; }

  void Visit(FamilyVisitor& v) const override {
    std::shared_ptr<const Prober> prober = weak_.lock();
    if (!prober) return;
    std::lock_guard lock(prober->mutex_);
    const auto& targets = prober->targets_;
    auto each = [&](auto&& emit) {
      for (const auto& [name, target] : targets) emit(*target);
    };
    auto gauge = [&](std::string_view family, std::string_view help, auto&& value) {
      v.Family(family, help, MetricType::kGauge);
      each([&](const Target& t) {
        std::optional<double> x = value(t);
        if (!x) return;
        Label labels[] = {{"target", t.config->name}, {"type", TypeName(t.config->type)}};
        v.Sample(labels, *x);
      });
    };
    auto has = [](const Target& t) { return t.has_result; };
    auto web = [](const Target& t) { return t.has_result && t.config->type != ProbeType::kTcp; };

    gauge("probe_success", "Whether the probe succeeded.",
          [&](const Target& t) -> std::optional<double> { return has(t) ? std::optional<double>(t.outcome == Outcome::kOk) : std::nullopt; });
    gauge("probe_duration_seconds", "How long the probe took to complete in seconds.",
          [&](const Target& t) -> std::optional<double> { return has(t) ? std::optional<double>(t.duration) : std::nullopt; });
    gauge("probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds.",
          [&](const Target& t) -> std::optional<double> { return has(t) ? std::optional<double>(t.exchange.resolve) : std::nullopt; });
    gauge("probe_http_status_code", "Response HTTP status code.",
          [&](const Target& t) -> std::optional<double> { return web(t) ? std::optional<double>(t.exchange.status) : std::nullopt; });
    gauge("probe_http_content_length", "Length of http content response.",
          [&](const Target& t) -> std::optional<double> { return web(t) ? std::optional<double>(static_cast<double>(t.exchange.content_length)) : std::nullopt; });
    gauge("probe_failed_due_to_regex", "Indicates if probe failed due to regex.",
          [&](const Target& t) -> std::optional<double> {
            return has(t) && t.config->type == ProbeType::kHttp ? std::optional<double>(t.failed_due_to_regex) : std::nullopt;
          });
    gauge("probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime.",
          [&](const Target& t) -> std::optional<double> { return has(t) ? t.exchange.cert_expiry : std::nullopt; });

    v.Family("probe_http_duration_seconds", "Duration of http request by phase, summed over all redirects.",
             MetricType::kGauge);
    each([&](const Target& t) {
      if (!web(t)) return;
      const ExchangeResult& e = t.exchange;
      std::pair<std::string_view, double> phases[] = {{"resolve", e.resolve}, {"connect", e.connect}, {"tls", e.tls},
                                                      {"processing", e.processing}, {"transfer", e.transfer}};
      for (auto [phase, seconds] : phases) {
        Label labels[] = {{"target", t.config->name}, {"type", TypeName(t.config->type)}, {"phase", phase}};
        v.Sample(labels, seconds);
      }
    });

    v.Family("metricsd_probe_duration_seconds", "Probe durations over time, by outcome.", MetricType::kHistogram);
    each([&](const Target& t) {
      for (int i = 0; i < kOutcomes; ++i) {
        if (!t.histograms[i]) continue;
        Label labels[] = {{"target", t.config->name}, {"type", TypeName(t.config->type)},
                          {"outcome", OutcomeName(static_cast<Outcome>(i))}};
        t.histograms[i]->Visit(v, labels);
      }
    });
    v.Family("metricsd_probes_total", "Probes run, by outcome.", MetricType::kCounter);
    each([&](const Target& t) {
      for (int i = 0; i < kOutcomes; ++i) {
        if (t.counts[i] == 0) continue;
        Label labels[] = {{"target", t.config->name}, {"type", TypeName(t.config->type)},
                          {"outcome", OutcomeName(static_cast<Outcome>(i))}};
        v.Sample(labels, static_cast<double>(t.counts[i]));
      }
    });
    v.Family("metricsd_probe_skipped_total",
             "Scheduled probes skipped because the previous one of the target was still running.",
             MetricType::kCounter);
    each([&](const Target& t) {
      Label labels[] = {{"target", t.config->name}};
      v.Sample(labels, static_cast<double>(t.skipped));
    });

    // AO dry-runs: the same numbers under AO's own names, by process and Action.
    auto dryrun = [](const Target& t) { return t.config->type == ProbeType::kAoDryrun; };
    v.Family("ao_dryrun_duration_seconds", "AO Compute Unit dry-run round trip, by process, Action and outcome.",
             MetricType::kHistogram);
    each([&](const Target& t) {
      if (!dryrun(t)) return;
      for (int i = 0; i < kOutcomes; ++i) {
        if (!t.histograms[i]) continue;
        Label labels[] = {{"target", t.config->name}, {"process", t.config->dryrun.process_id},
                          {"action", t.config->dryrun.action}, {"outcome", OutcomeName(static_cast<Outcome>(i))}};
        t.histograms[i]->Visit(v, labels);
      }
    });
    v.Family("ao_dryrun_requests_total", "AO dry-runs sent, by outcome.", MetricType::kCounter);
    each([&](const Target& t) {
      if (!dryrun(t)) return;
      for (int i = 0; i < kOutcomes; ++i) {
        if (t.counts[i] == 0) continue;
        Label labels[] = {{"target", t.config->name}, {"process", t.config->dryrun.process_id},
                          {"action", t.config->dryrun.action}, {"outcome", OutcomeName(static_cast<Outcome>(i))}};
        v.Sample(labels, static_cast<double>(t.counts[i]));
      }
    });
    auto ao_gauge = [&](std::string_view family, std::string_view help, MetricType type, auto&& value) {
      v.Family(family, help, type);
      each([&](const Target& t) {
        if (!dryrun(t)) return;
        std::optional<double> x = value(t);
        if (!x) return;
        Label labels[] = {{"target", t.config->name}, {"process", t.config->dryrun.process_id},
                          {"action", t.config->dryrun.action}};
        v.Sample(labels, *x);
      });
    };
    ao_gauge("ao_dryrun_gas_used", "GasUsed of the last dry-run.", MetricType::kGauge,
             [](const Target& t) { return t.gas_used; });
    ao_gauge("ao_dryrun_gas_used_total", "GasUsed summed over dry-runs.", MetricType::kCounter,
             [](const Target& t) -> std::optional<double> { return t.has_result ? std::optional<double>(t.gas_used_total) : std::nullopt; });
    ao_gauge("ao_dryrun_messages", "Messages in the last dry-run's answer.", MetricType::kGauge,
             [](const Target& t) { return t.messages; });

    auto unit = [](const Target& t) { return t.config->type == ProbeType::kAoUnit && t.has_result; };
    v.Family("ao_unit_info", "What an AO unit says of itself at GET /.", MetricType::kGauge);
    each([&](const Target& t) {
      if (!unit(t) || t.outcome != Outcome::kOk) return;
      Label labels[] = {{"target", t.config->name}, {"unit", UnitName(t.config->unit)}, {"address", t.unit_address}};
      v.Sample(labels, 1);
    });
    v.Family("ao_unit_clock_skew_seconds", "The AO unit's clock minus ours, from its timestamp.", MetricType::kGauge);
    each([&](const Target& t) {
      if (!unit(t) || !t.clock_skew) return;
      Label labels[] = {{"target", t.config->name}, {"unit", UnitName(t.config->unit)}};
      v.Sample(labels, *t.clock_skew);
    });
    v.Family("ao_unit_block_height", "The Arweave block height an AO Scheduler Unit reports.", MetricType::kGauge);
    each([&](const Target& t) {
      if (!unit(t) || !t.block_height) return;
      Label labels[] = {{"target", t.config->name}};
      v.Sample(labels, *t.block_height);
    });
  }

 private:
  // Weak: a SourceSet outliving the daemon's shutdown must not keep the Prober (and its
  // timers) alive past the io_context.
  std::weak_ptr<const Prober> weak_;
};

std::shared_ptr<const Source> Prober::MakeSource() {
  return std::make_shared<ProbeSource>(weak_from_this());
}

}  // namespace metricsd::probes
