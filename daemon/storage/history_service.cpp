#include "daemon/storage/history_service.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "daemon/core/logging.h"
#include "daemon/core/shed_state.h"
#include "daemon/storage/history_source.h"
#include "daemon/storage/sampler.h"

namespace metricsd::storage {
namespace {

using SystemClock = std::chrono::system_clock;

// Retention and tier sizes are checked this often (they scan the database).
constexpr auto kRetentionEvery = std::chrono::minutes(5);

Timestamp ToMillis(SystemClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The next multiple of `interval` of the wall clock after `now`: samples land on round
// timestamps (…:00, …:10, …), the same across restarts.
SystemClock::time_point NextSlot(SystemClock::time_point now, Duration interval) {
  auto ms = ToMillis(now);
  auto step = interval.count();
  return SystemClock::time_point(std::chrono::milliseconds((ms / step + 1) * step));
}

}  // namespace

bool ShedSkipsPass(Timestamp slot, Duration interval, bool shed) {
  if (!shed) return false;
  // Slots are multiples of the interval on the wall clock; keeping those that are multiples of
  // kShedStretch intervals keeps passes evenly spaced, the same ones however shedding began.
  auto index = slot / std::max<Duration::rep>(1, interval.count());
  return index % kShedStretch != 0;
}

HistoryService::HistoryService(HistoryConfig config, std::string directory, SourcesGetter sources)
    : config_(std::move(config)), directory_(std::move(directory)), sources_(std::move(sources)) {}

HistoryService::~HistoryService() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (sampler_.joinable()) sampler_.join();
  if (writer_.joinable()) writer_.join();
}

void HistoryService::Start() {
  if (!config_.enabled) {
    MutexLock lock(mutex_);
    status_ = "history is disabled (history.enabled: false)";
    return;
  }
  sampler_ = std::thread([this] { SampleLoop(); });
}

std::string HistoryService::status() const {
  MutexLock lock(mutex_);
  return status_;
}

bool HistoryService::WaitUntil(SystemClock::time_point deadline) {
  MutexLock lock(mutex_);
  while (!stopping_ && SystemClock::now() < deadline) {
    wake_.wait_until(mutex_, deadline);
  }
  return !stopping_;
}

void HistoryService::SampleLoop() {
  StoreOptions options;
  options.directory = directory_;
  options.raw_retention = config_.retention.raw;
  options.minute_retention = config_.retention.minute;
  options.hour_retention = config_.retention.hour;
  options.max_bytes = static_cast<std::uint64_t>(config_.retention.size);
  options.max_series = static_cast<std::size_t>(config_.max_series);
  std::string error, warning;
  auto started = std::chrono::steady_clock::now();
  std::shared_ptr<Store> store = Store::Open(options, &error, &warning);
  if (!warning.empty()) LogWarn(warning);
  if (!store) {
    LogError("history is off: the store cannot open; everything else keeps running",
             {{"path", directory_}, {"err", error}});
    MutexLock lock(mutex_);
    status_ = error;
    return;
  }
  {
    MutexLock lock(slot_->mutex);
    slot_->store = store;
  }
  {
    MutexLock lock(mutex_);
    status_ = "ready";
  }
  // Logged once the store serves: a request after this line finds it.
  StoreStats stats = store->Stats();
  LogInfo("history ready",
          {{"path", directory_}, {"series", std::to_string(stats.series)},
           {"load_seconds", std::to_string(std::chrono::duration<double>(
                                                std::chrono::steady_clock::now() - started).count())}});
  writer_ = std::thread([this] { WriteLoop(); });
  Sampler sampler(store);
  auto next_flush = SystemClock::now() + config_.flush_interval;
  for (auto slot = NextSlot(SystemClock::now(), config_.interval); WaitUntil(slot);
       slot = NextSlot(std::max(slot, SystemClock::now()), config_.interval)) {
    if (ShedSkipsPass(ToMillis(slot), config_.interval, IsShed(ShedStep::kHistory))) {
      CountShedDrop(ShedStep::kHistory);
    } else if (SourceSetPtr sources = sources_()) {
      sampler.SampleOnce(*sources, ToMillis(slot));
    }
    if (SystemClock::now() >= next_flush) {
      next_flush = SystemClock::now() + config_.flush_interval;
      {
        MutexLock lock(mutex_);
        flush_due_ = true;
      }
      wake_.notify_all();
    }
  }
}

void HistoryService::WriteLoop() {
  std::shared_ptr<Store> store = this->store();
  auto next_retention = SystemClock::now();
  std::uint64_t shed_flushes = 0;
  for (;;) {
    bool stopping;
    {
      MutexLock lock(mutex_);
      while (!stopping_ && !flush_due_) wake_.wait(mutex_);
      stopping = stopping_;
      flush_due_ = false;
    }
    store->Flush();  // never shed: it writes what is already sampled
    if (stopping) return;
    auto now = SystemClock::now();
    // Tier work is deferred, not lost: each run downsamples from where the last one stopped.
    bool shed = IsShed(ShedStep::kHistory);
    if (!shed || ++shed_flushes % kShedStretch == 0) store->Downsample(ToMillis(now));
    if (now >= next_retention) {
      next_retention = now + kRetentionEvery;
      store->EnforceRetention(ToMillis(now));
    }
  }
}

std::shared_ptr<const Source> HistoryService::MetricsSource() const {
  return std::make_shared<HistorySource>([slot = slot_] { return slot->Load(); });
}

}  // namespace metricsd::storage
