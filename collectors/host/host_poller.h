// Polls the host collectors every host.interval on a thread of its own and publishes each
// collector's result as an immutable snapshot; a scrape only streams the latest snapshots and
// never reads /proc itself.
//
// Why a thread rather than a timer on the io_context: a collection may wait (statvfs with a
// deadline), and the io_context's threads serve scrapes; blocking one of them would let a
// stale NFS mount slow /metrics down.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "collectors/host/host_collector.h"
#include "collectors/host/host_config.h"
#include "daemon/core/snapshot.h"
#include "daemon/core/source.h"

namespace metricsd::host {

// Thread-safe. Destroying it stops and joins its thread (at most one collection's wait).
class HostPoller : public std::enable_shared_from_this<HostPoller> {
 public:
  explicit HostPoller(const HostConfig& config);
  HostPoller(std::vector<std::unique_ptr<HostCollector>> collectors, Duration interval);
  ~HostPoller();

  // Runs every collector once, now, on the calling thread.
  void CollectOnce();
  // Starts polling every interval (absolute deadlines, so polls do not drift).
  void Start();

  // One Source per collector (its name is the `collector` label); each keeps the poller alive.
  std::vector<std::shared_ptr<const Source>> Sources();

 private:
  class CollectorSource;
  struct Result {
    std::shared_ptr<const FamilySet> families;
    CollectionStatus status;
  };
  struct Slot {
    std::unique_ptr<HostCollector> collector;
    Snapshot<Result> latest;
  };

  void Run();

  std::vector<std::unique_ptr<Slot>> slots_;
  Duration interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace metricsd::host
