// remote_write: every sample the history store holds goes to each configured endpoint
// (Prometheus remote_write 1.0: protobuf + snappy), read from the store itself rather than a
// separate buffer, so an endpoint that is down resumes where it stopped (up to the store's raw
// retention) and loses nothing. Each endpoint has its own queue, shards, position and
// metricsd_remote_storage_* metrics (Prometheus's prometheus_remote_storage_* names).
//
// Queues are keyed by remote_name; each keeps its position in
// <state_directory>/remote_write/<remote_name>.json (queue_position.h), so an endpoint that is
// removed and added back later, or renamed to a new url under the same name, resumes from that
// position (bounded by the store's raw retention) rather than from now.
//
// Thread-safety: thread-safe; Configure() and Stop() may run on any thread (reload, shutdown)
// while the queues send on the io_context. The queue map is guarded by a Mutex; each queue
// sends on a strand of its own and guards its counters with its own Mutex
// (remote_write_queue.h), so MetricsSource() never waits for a send.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/asio.h"
#include "daemon/core/source.h"
#include "daemon/export/remote_write_config.h"

namespace metricsd::storage {
class Store;
}

namespace metricsd::remote {

class RemoteWriteService {
 public:
  using StoreGetter = std::function<std::shared_ptr<storage::Store>()>;
  // `store` is null until history has opened (and when it cannot run); `state_directory`
  // keeps each endpoint's position across restarts.
  RemoteWriteService(net::io_context& ioc, StoreGetter store, std::string state_directory);
  ~RemoteWriteService();
  RemoteWriteService(const RemoteWriteService&) = delete;
  RemoteWriteService& operator=(const RemoteWriteService&) = delete;

  // Endpoints that stay (same url and name) keep their queue, position and counters.
  void Configure(const std::vector<RemoteWriteEndpoint>& endpoints);
  // Stops sending; what was not acknowledged is sent after the next start.
  void Stop();

  // metricsd_remote_storage_* per endpoint (labels remote_name, url).
  std::shared_ptr<const Source> MetricsSource() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace metricsd::remote
