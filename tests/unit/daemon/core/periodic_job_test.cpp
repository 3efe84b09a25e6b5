#include "daemon/core/periodic_job.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace metricsd {
namespace {

using namespace std::chrono_literals;
using Clock = PeriodicJob::Clock;

// An io_context served by one thread for the test's duration.
class Loop {
 public:
  Loop() : work_(net::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}
  ~Loop() {
    work_.reset();
    ioc_.stop();
    thread_.join();
  }
  net::any_io_executor executor() { return ioc_.get_executor(); }

 private:
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread thread_;
};

// Counts runs; Wait() gives up after a bound, so a broken job fails the test instead of hanging.
class Runs {
 public:
  void Add() {
    std::lock_guard lock(mutex_);
    times_.push_back(Clock::now());
    changed_.notify_all();
  }
  bool WaitFor(std::size_t count, std::chrono::milliseconds bound = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, bound, [&] { return times_.size() >= count; });
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return times_.size();
  }
  std::vector<Clock::time_point> times() {
    std::lock_guard lock(mutex_);
    return times_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Clock::time_point> times_;
};

// What a run sees of its own schedule: the slot it stands for and the slots skipped so far.
struct Seen {
  Clock::duration since_first;
  std::uint64_t missed;
};

// Every run stands for a slot first + k x interval, and every slot before it was either run or
// skipped: the schedule is absolute.
void ExpectOnGrid(const std::vector<Seen>& seen, Duration interval) {
  for (std::size_t run = 0; run < seen.size(); ++run) {
    EXPECT_EQ(seen[run].since_first % interval, Clock::duration::zero()) << "run " << run;
    EXPECT_EQ(static_cast<std::uint64_t>(seen[run].since_first / interval), run + seen[run].missed)
        << "run " << run;
  }
}

// Records what each run of `job` sees (call from its callback).
class Recorder {
 public:
  void Record(const PeriodicJob& job, Clock::time_point first) {
    std::lock_guard lock(mutex_);
    seen_.push_back({job.next_run() - first, job.missed()});
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::vector<Seen> seen_;
};

TEST(PeriodicJobTest, RunsEveryIntervalFromTheFirstDeadlineNeverEarly) {
  Loop loop;
  Runs runs;
  Recorder recorder;
  std::shared_ptr<PeriodicJob> job;
  auto first = Clock::now() + 30ms;
  job = PeriodicJob::Create(loop.executor(), 20ms, [&] {
    recorder.Record(*job, first);
    runs.Add();
  });
  job->Start(first);
  ASSERT_TRUE(runs.WaitFor(5));
  job->Stop();
  std::vector<Clock::time_point> times = runs.times();
  std::vector<Seen> seen = recorder.seen();
  for (std::size_t k = 0; k < 5; ++k) {
    EXPECT_GE(times[k], first + seen[k].since_first) << "run " << k << " came before its slot";
  }
  ExpectOnGrid(seen, 20ms);
}

TEST(PeriodicJobTest, ARunThatTakesTimeDoesNotShiftTheSchedule) {
  Loop loop;
  Runs runs;
  Recorder recorder;
  std::shared_ptr<PeriodicJob> job;
  auto first = Clock::now() + 10ms;
  // Each run takes 6 ms of a 20 ms interval: with relative timers the schedule would slip
  // 6 ms a run; with absolute deadlines every run stays on first + k x interval.
  job = PeriodicJob::Create(loop.executor(), 20ms, [&] {
    recorder.Record(*job, first);
    runs.Add();
    std::this_thread::sleep_for(6ms);
  });
  job->Start(first);
  ASSERT_TRUE(runs.WaitFor(6));
  job->Stop();
  ExpectOnGrid(recorder.seen(), 20ms);
}

TEST(PeriodicJobTest, AnOverrunSkipsTheSlotsItMissedAndCountsThem) {
  Loop loop;
  Runs runs;
  Recorder recorder;
  std::atomic<bool> slow{true};
  std::shared_ptr<PeriodicJob> job;
  auto first = Clock::now() + 5ms;
  job = PeriodicJob::Create(loop.executor(), 10ms, [&] {
    recorder.Record(*job, first);
    runs.Add();
    // The first run overruns slots 1, 2 and 3 (it ends at 35 ms).
    if (slow.exchange(false)) std::this_thread::sleep_for(35ms);
  });
  job->Start(first);
  ASSERT_TRUE(runs.WaitFor(2));
  job->Stop();
  std::vector<Seen> seen = recorder.seen();
  EXPECT_GE(seen[1].missed, 3u);
  EXPECT_GE(job->missed(), 3u);
  std::vector<Clock::time_point> times = runs.times();
  // Not caught up back to back: the second run waits for the first slot after the overrun.
  EXPECT_GE(times[1], first + 40ms);
  ExpectOnGrid(seen, 10ms);
}

TEST(PeriodicJobTest, NoRunsAfterStopAndAStartRestartsIt) {
  Loop loop;
  Runs runs;
  auto job = PeriodicJob::Create(loop.executor(), 5ms, [&] { runs.Add(); });
  job->Start(Clock::now());
  ASSERT_TRUE(runs.WaitFor(2));
  job->Stop();
  std::this_thread::sleep_for(10ms);  // a run already past its check may still finish
  std::size_t stopped_at = runs.count();
  std::this_thread::sleep_for(40ms);
  EXPECT_EQ(runs.count(), stopped_at);

  job->Start(Clock::now());
  EXPECT_TRUE(runs.WaitFor(stopped_at + 2));
  job->Stop();
}

TEST(PeriodicJobTest, DestroyingAStartedJobCancelsItsRuns) {
  Loop loop;
  std::atomic<int> runs{0};
  auto job = PeriodicJob::Create(loop.executor(), 5ms, [&] { ++runs; });
  job->Start(Clock::now() + 20ms);
  job.reset();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(runs.load(), 0);
}

TEST(PeriodicJobTest, PhaseIsStableAndWithinTheInterval) {
  EXPECT_EQ(PhaseFor("group a", 60s), PhaseFor("group a", 60s));
  EXPECT_NE(PhaseFor("group a", 60s), PhaseFor("group b", 60s));
  for (const char* key : {"", "a", "node", "a much longer key than the others"}) {
    EXPECT_GE(PhaseFor(key, 15s), Duration::zero());
    EXPECT_LT(PhaseFor(key, 15s), 15s);
  }
}

TEST(PeriodicJobTest, WallSlotsAreThePhasePlusWholeIntervals) {
  Duration interval = 1s, phase = 250ms;
  auto wall_before = std::chrono::system_clock::now();
  auto steady_before = Clock::now();
  Clock::time_point slot = NextWallSlot(phase, interval);
  // At most one interval ahead, never in the past.
  EXPECT_GE(slot, steady_before);
  EXPECT_LE(slot, Clock::now() + interval);
  // On the wall clock, the slot falls at .250 of a second (within the clocks' read skew).
  auto wall_slot = wall_before + (slot - steady_before);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall_slot.time_since_epoch()) % 1000;
  EXPECT_NEAR(static_cast<double>(ms.count()), 250.0, 5.0);
}

}  // namespace
}  // namespace metricsd
