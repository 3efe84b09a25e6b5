// Runs a callback every interval on an Asio executor, on absolute deadlines: run k is due at
// first + k x interval, whatever the runs take, so the schedule never drifts. A run that
// overruns one or more later slots skips them (no catching up back to back) and counts them in
// missed(), as Prometheus's rule_group_iterations_missed_total. Runs of one job never overlap:
// they are serialised on a strand of the executor.
//
// Thread-safety: every method may be called from any thread. Lifetime: the owner holds the
// job (a shared_ptr); pending handlers hold only a weak reference, so destroying the job
// before its io_context destroys its timer in time, and a stopped or destroyed job never runs
// its callback again.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "daemon/core/asio.h"
#include "daemon/core/duration.h"
#include "daemon/core/mutex.h"

namespace metricsd {

class PeriodicJob : public std::enable_shared_from_this<PeriodicJob> {
 public:
  using Clock = std::chrono::steady_clock;
  using Callback = std::function<void()>;

  // `interval` > 0. The job does nothing until Start().
  static std::shared_ptr<PeriodicJob> Create(const net::any_io_executor& executor,
                                             Duration interval, Callback callback);
  ~PeriodicJob();

  // First run at `first`, then every interval after it. Start on a started job restarts it
  // from `first`.
  void Start(Clock::time_point first);
  // Cancels the schedule; a run in progress finishes, no run starts after Stop() returns.
  void Stop();

  // Slots skipped because a run overran them.
  std::uint64_t missed() const;
  // When the next run is due (meaningless before Start()).
  Clock::time_point next_run() const;
  Duration interval() const { return interval_; }

 private:
  PeriodicJob(const net::any_io_executor& executor, Duration interval, Callback callback);
  void Arm(std::uint64_t generation);
  void Fire(std::uint64_t generation);

  net::strand<net::any_io_executor> strand_;
  const Duration interval_;
  const Callback callback_;
  net::steady_timer timer_;  // touched on strand_ only

  mutable Mutex mutex_;
  Clock::time_point next_ ABSL_GUARDED_BY(mutex_);
  std::uint64_t missed_ ABSL_GUARDED_BY(mutex_) = 0;
  // Bumped by Start() and Stop(): a handler of an older generation does nothing.
  std::uint64_t generation_ ABSL_GUARDED_BY(mutex_) = 0;
  bool running_ ABSL_GUARDED_BY(mutex_) = false;
};

// A phase in [0, interval) derived from `key`: the same key gets the same phase every time, and
// many jobs (rule groups, probe targets) spread over the interval instead of firing together.
Duration PhaseFor(std::string_view key, Duration interval);

// The first slot phase + k x interval of the wall clock at or after now, as a steady time
// point: jobs so aligned run at the same wall-clock instants across restarts.
PeriodicJob::Clock::time_point NextWallSlot(Duration phase, Duration interval);

}  // namespace metricsd
