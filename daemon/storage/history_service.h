// Runs the history store for the daemon: opens it off the start-up path (scrapes and ingestion
// serve while a large database loads), samples the SourceSet every history.interval on wall
// clock slots, and writes on its own thread (flush every flush_interval, then downsampling,
// retention every few minutes), so a slow or failing disk never delays sampling, /metrics or
// the io threads. A store that cannot open leaves the daemon running without history, with
// the reason logged and in status().
//
// Load shedding (daemon/core/shed_state.h, step "history"): while it is shed, the sampler takes
// one pass in kShedStretch (the others are counted in metricsd_shed_dropped_total) and
// downsampling runs at one flush in kShedStretch. Flushes, retention and everything already
// sampled are untouched: shedding thins new history, it never loses stored data. A skipped pass
// is a gap, not a staleness marker, so queries within PromQL's lookback still see the series.
//
// Thread-safety: thread-safe. Start() once; store(), status() and the metrics Source from any
// thread; the destructor stops both threads and writes a last flush.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "daemon/core/mutex.h"
#include "daemon/core/source.h"
#include "daemon/core/source_set.h"
#include "daemon/storage/history_config.h"
#include "daemon/storage/store.h"

namespace metricsd::storage {

// Whether the pass at `slot` (ms, a multiple of `interval`) is skipped while history is shed.
bool ShedSkipsPass(Timestamp slot, Duration interval, bool shed);

class HistoryService {
 public:
  using SourcesGetter = std::function<SourceSetPtr()>;

  // `directory`: the resolved store directory (history.path or --storage.path).
  HistoryService(HistoryConfig config, std::string directory, SourcesGetter sources);
  ~HistoryService();
  HistoryService(const HistoryService&) = delete;
  HistoryService& operator=(const HistoryService&) = delete;

  void Start();

  // The open store; null while loading, when disabled, or when it failed to open.
  std::shared_ptr<Store> store() const { return slot_->Load(); }
  // "loading", "ready", or why history is not running.
  std::string status() const;

  // metricsd_history_* (self metrics). Reads the store's counters only.
  std::shared_ptr<const Source> MetricsSource() const;

 private:
  void SampleLoop();
  void WriteLoop();
  bool WaitUntil(std::chrono::system_clock::time_point deadline);  // false: stopping

  const HistoryConfig config_;
  const std::string directory_;
  const SourcesGetter sources_;
  // Shared with the metrics Source, which may outlive this service in a SourceSet.
  struct StoreSlot {
    std::shared_ptr<Store> Load() const {
      MutexLock lock(mutex);
      return store;
    }
    mutable Mutex mutex;
    std::shared_ptr<Store> store ABSL_GUARDED_BY(mutex);
  };
  const std::shared_ptr<StoreSlot> slot_ = std::make_shared<StoreSlot>();

  mutable Mutex mutex_;
  std::condition_variable_any wake_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool flush_due_ ABSL_GUARDED_BY(mutex_) = false;
  std::string status_ ABSL_GUARDED_BY(mutex_) = "loading";

  std::thread sampler_;
  std::thread writer_;
};

}  // namespace metricsd::storage
