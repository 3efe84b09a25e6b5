#include "daemon/core/periodic_job.h"

#include <functional>
#include <string>

namespace metricsd {

std::shared_ptr<PeriodicJob> PeriodicJob::Create(const net::any_io_executor& executor,
                                                 Duration interval, Callback callback) {
  return std::shared_ptr<PeriodicJob>(new PeriodicJob(executor, interval, std::move(callback)));
}

PeriodicJob::PeriodicJob(const net::any_io_executor& executor, Duration interval,
                         Callback callback)
    : strand_(net::make_strand(executor)),
      interval_(interval),
      callback_(std::move(callback)),
      timer_(strand_) {}

// The timer goes with the job; its pending handler, if any, finds the job gone.
PeriodicJob::~PeriodicJob() = default;

void PeriodicJob::Start(Clock::time_point first) {
  std::uint64_t generation;
  {
    MutexLock lock(mutex_);
    next_ = first;
    running_ = true;
    generation = ++generation_;
  }
  net::post(strand_, [weak = weak_from_this(), generation] {
    if (auto self = weak.lock()) self->Arm(generation);
  });
}

void PeriodicJob::Stop() {
  {
    MutexLock lock(mutex_);
    running_ = false;
    ++generation_;
  }
  net::post(strand_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->timer_.cancel();
  });
}

std::uint64_t PeriodicJob::missed() const {
  MutexLock lock(mutex_);
  return missed_;
}

PeriodicJob::Clock::time_point PeriodicJob::next_run() const {
  MutexLock lock(mutex_);
  return next_;
}

// On strand_.
void PeriodicJob::Arm(std::uint64_t generation) {
  Clock::time_point next;
  {
    MutexLock lock(mutex_);
    if (!running_ || generation != generation_) return;
    next = next_;
  }
  timer_.expires_at(next);
  timer_.async_wait([weak = weak_from_this(), generation](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->Fire(generation);
  });
}

// On strand_.
void PeriodicJob::Fire(std::uint64_t generation) {
  {
    MutexLock lock(mutex_);
    if (!running_ || generation != generation_) return;
  }
  callback_();
  {
    MutexLock lock(mutex_);
    if (generation != generation_) return;  // stopped or restarted during the run
    // Absolute deadlines: the run's own length does not shift the next one. Slots the run
    // overran are skipped, not caught up back to back, and counted.
    next_ += interval_;
    Clock::time_point now = Clock::now();
    if (next_ <= now) {
      auto behind = static_cast<std::uint64_t>((now - next_) / interval_) + 1;
      next_ += behind * interval_;
      missed_ += behind;
    }
  }
  Arm(generation);
}

Duration PhaseFor(std::string_view key, Duration interval) {
  // Parts per million of the interval: the same spread for every interval length.
  auto millionths = static_cast<double>(std::hash<std::string_view>{}(key) % 1000000) / 1e6;
  return std::chrono::duration_cast<Duration>(interval * millionths);
}

PeriodicJob::Clock::time_point NextWallSlot(Duration phase, Duration interval) {
  using Nanos = std::chrono::nanoseconds;
  auto steady_now = PeriodicJob::Clock::now();
  Nanos wall_now = std::chrono::system_clock::now().time_since_epoch();
  Nanos since_phase = wall_now - Nanos(phase);
  Nanos step = interval;
  // Round up to the next slot; a slot exactly now is the next one.
  auto slots = since_phase / step + (since_phase % step > Nanos::zero() ? 1 : 0);
  Nanos slot = Nanos(phase) + slots * step;
  return steady_now + std::chrono::duration_cast<PeriodicJob::Clock::duration>(slot - wall_now);
}

}  // namespace metricsd
