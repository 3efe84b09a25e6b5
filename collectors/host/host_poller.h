// Polls the host collectors every host.interval on a thread of its own and publishes each
// collector's result as an immutable snapshot; a scrape only streams the latest snapshots and
// never reads /proc itself.
//
// Why a thread of its own (an io_context of its own, served by one thread) rather than the
// daemon's io_context: a collection may wait (statvfs with a deadline), and the io_context's
// threads serve scrapes; blocking one of them would let a stale NFS mount slow /metrics down.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "collectors/host/host_collector.h"
#include "collectors/host/host_config.h"
#include "daemon/core/asio.h"
#include "daemon/core/periodic_job.h"
#include "daemon/core/snapshot.h"
#include "daemon/core/source.h"

namespace metricsd::host {

// Thread-safety: every method may be called from any thread (Start() once). Destroying it
// stops and joins its thread (at most one collection's wait).
class HostPoller : public std::enable_shared_from_this<HostPoller> {
 public:
  explicit HostPoller(const HostConfig& config);
  HostPoller(std::vector<std::unique_ptr<HostCollector>> collectors, Duration interval);
  ~HostPoller();

  // Runs every collector once, now, on the calling thread.
  void CollectOnce();
  // Starts polling every interval (absolute deadlines, so polls do not drift; a poll that
  // overruns skips the slots it missed).
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

  std::vector<std::unique_ptr<Slot>> slots_;
  Duration interval_;
  net::io_context ioc_{1};
  std::shared_ptr<PeriodicJob> job_;  // destroyed before ioc_
  std::thread thread_;
};

}  // namespace metricsd::host
