// Runs every configured probe on its own schedule on the io_context and keeps what the probes
// found: the last result (blackbox_exporter's probe_* gauges), latency distributions and
// counts per outcome (metricsd_probe_*, ao_dryrun_*), and AO unit facts (ao_unit_*).
//
// Each target runs every `interval` on absolute deadlines, starting at an offset spread over
// the interval; it never overlaps itself (a tick that finds it running is skipped and
// counted), and at most probes.max_concurrency probes are in flight (the rest wait their
// turn; the wait list holds each target at most once, so it is bounded by the target count).
// While load shedding sheds probes (daemon/core/shed_state.h), a target that has a result runs
// at one tick in kShedStretch; the others are skipped and counted in
// metricsd_shed_dropped_total{component="probes"}. A reload keeps the state of targets whose
// name and type stay, so their histograms and counters continue.
//
// Thread-safety: every method may be called from any thread. Lifetime: the Prober owns its
// targets, their timers and the targets of probes in flight; handlers left in the io_context
// and the Source hold weak references, so destroying the (last) Prober before the io_context
// destroys every I/O object it made in time.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "collectors/probes/ao.h"
#include "collectors/probes/probe_config.h"
#include "daemon/client/exchange.h"
#include "absl/base/thread_annotations.h"
#include "daemon/core/asio.h"
#include "daemon/core/mutex.h"
#include "daemon/core/periodic_job.h"
#include "daemon/core/route.h"
#include "daemon/core/source.h"

namespace metricsd::probes {

class Prober : public std::enable_shared_from_this<Prober> {
 public:
  explicit Prober(net::io_context& ioc) : ioc_(ioc) {}

  // Applies a (validated) config: new targets start, removed ones stop, kept ones keep their
  // state. Never throws.
  void Configure(const ProbesConfig& config);
  // Cancels every schedule; probes in flight end at their deadline.
  void Stop();

  // probe_*, metricsd_probe_*, ao_dryrun_*, ao_unit_* (reads nothing once the Prober is gone).
  std::shared_ptr<const Source> MakeSource();
  // GET /api/v1/targets: every target with its last outcome, error, duration and next run.
  nlohmann::json TargetsJson() const;

  struct Target;

 private:
  class ProbeSource;

  void Schedule(const std::shared_ptr<Target>& target, PeriodicJob::Clock::time_point first)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Tick(const std::shared_ptr<Target>& target);
  // Whether load shedding skips this tick of `target` (see the header).
  bool ShedThisTick(const Target& target) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Launch(const std::shared_ptr<Target>& target) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Complete(const std::shared_ptr<Target>& target, Outcome outcome, std::string error,
                const ExchangeResult& exchange);
  void RunHttp(const std::shared_ptr<Target>& target, std::shared_ptr<const TargetConfig> config);
  void RunTcp(const std::shared_ptr<Target>& target, std::shared_ptr<const TargetConfig> config);
  void RunDryrun(const std::shared_ptr<Target>& target, std::shared_ptr<const TargetConfig> config);
  void RunUnit(const std::shared_ptr<Target>& target, std::shared_ptr<const TargetConfig> config);
  ExchangeRequest RequestFor(const TargetConfig& config, const Url& url) const;
  // An exchange's callback that runs `handler(self, target, result)` if both still exist.
  template <typename Handler>
  ExchangeCallback Bind(const std::shared_ptr<Target>& target, Handler handler);
  void RecordUnit(Target& target, const UnitVerdict& verdict, std::optional<double> block_height);

  net::io_context& ioc_;
  // Guards the members below and every Target's state.
  mutable Mutex mutex_;
  std::map<std::string, std::shared_ptr<Target>> targets_ ABSL_GUARDED_BY(mutex_);  // by name
  // Over max_concurrency.
  std::deque<std::shared_ptr<Target>> waiting_ ABSL_GUARDED_BY(mutex_);
  // Probes in flight (owned here only).
  std::set<std::shared_ptr<Target>> running_ ABSL_GUARDED_BY(mutex_);
  int max_concurrency_ ABSL_GUARDED_BY(mutex_) = 64;
  int in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
};

// GET /api/v1/targets. `prober` must outlive every request the routes serve; null only where
// the routes are listed, never served (the README table).
Routes ProberRoutes(const Prober* prober);

}  // namespace metricsd::probes
