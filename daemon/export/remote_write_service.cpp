#include "daemon/export/remote_write_service.h"

#include <map>

#include "daemon/client/url.h"
#include "daemon/core/function_source.h"
#include "daemon/core/logging.h"
#include "daemon/core/mutex.h"
#include "daemon/export/queue_position.h"
#include "daemon/export/remote_write_queue.h"
#include "daemon/export/remote_write_sender.h"

namespace metricsd::remote {

// Queues by remote_name, guarded by `mutex`; each queue is thread-safe on its own.
struct RemoteWriteService::State {
  State(net::io_context& io, StoreGetter getter, std::string directory)
      : ioc(io), store(std::move(getter)), state_directory(std::move(directory)) {}
  net::io_context& ioc;
  const StoreGetter store;
  const std::string state_directory;
  mutable Mutex mutex;
  std::map<std::string, std::shared_ptr<RemoteWriteQueue>> queues ABSL_GUARDED_BY(mutex);
  bool stopped ABSL_GUARDED_BY(mutex) = false;
};

RemoteWriteService::RemoteWriteService(net::io_context& ioc, StoreGetter store,
                                       std::string state_directory)
    : state_(std::make_shared<State>(ioc, std::move(store), std::move(state_directory))) {}

RemoteWriteService::~RemoteWriteService() { Stop(); }

void RemoteWriteService::Configure(const std::vector<RemoteWriteEndpoint>& endpoints) {
  State& s = *state_;
  std::vector<std::shared_ptr<RemoteWriteQueue>> gone, started;
  {
    MutexLock lock(s.mutex);
    if (s.stopped) return;
    std::map<std::string, std::shared_ptr<RemoteWriteQueue>> next;
    for (const RemoteWriteEndpoint& endpoint : endpoints) {
      std::string name = endpoint.RemoteName();
      if (next.contains(name)) {
        LogWarn("remote_write endpoint ignored: its remote_name is taken", {{"remote_name", name}});
        continue;
      }
      auto it = s.queues.find(name);
      if (it != s.queues.end() && it->second->url() == endpoint.url) {
        it->second->Reconfigure(endpoint);  // same endpoint: keeps position, shards, counters
        next.emplace(name, it->second);
        s.queues.erase(it);
        continue;
      }
      RemoteWriteQueue::Options options;
      auto queue = std::make_shared<RemoteWriteQueue>(
          s.ioc, endpoint, s.store, PositionFilePath(s.state_directory, name),
          [&ioc = s.ioc](const RemoteWriteEndpoint& e, std::string* error) {
            return MakeHttpSender(ioc, e, error);
          },
          options);
      next.emplace(name, queue);
      started.push_back(queue);
    }
    for (auto& [name, queue] : s.queues) gone.push_back(queue);
    s.queues.swap(next);
  }
  // A replaced queue stops (and stops writing its position file) before its successor reads it.
  for (const auto& queue : gone) queue->Stop();
  for (const auto& queue : started) queue->Start();
}

void RemoteWriteService::Stop() {
  std::map<std::string, std::shared_ptr<RemoteWriteQueue>> queues;
  {
    MutexLock lock(state_->mutex);
    state_->stopped = true;
    queues = state_->queues;
  }
  for (auto& [name, queue] : queues) queue->Stop();
}

std::shared_ptr<const Source> RemoteWriteService::MetricsSource() const {
  return MakeFunctionSource("remote_write", [state = state_](FamilyVisitor& visitor) {
    struct Row {
      std::string name, url;
      QueueStats stats;
    };
    std::vector<Row> rows;
    {
      MutexLock lock(state->mutex);
      for (const auto& [name, queue] : state->queues) {
        rows.push_back({name, RedactUrl(queue->url()), queue->Stats()});
      }
    }
    auto family = [&](std::string_view name, std::string_view help, MetricType type, auto value) {
      visitor.Family(name, help, type);
      for (const Row& row : rows) {
        Label labels[] = {{"remote_name", row.name}, {"url", row.url}};
        visitor.Sample(metricsd::Labels(labels, 2), static_cast<double>(value(row.stats)));
      }
    };
    using MT = MetricType;
    const char* p = "metricsd_remote_storage_";
    auto n = [p](const char* suffix) { return std::string(p) + suffix; };
    family(n("samples_total"), "Total number of samples sent to remote storage (acknowledged).",
           MT::kCounter, [](const QueueStats& q) { return q.samples_sent; });
    family(n("samples_failed_total"),
           "Total number of samples which failed on send to remote storage, non-recoverable errors (a 4xx other than a retried 429).",
           MT::kCounter, [](const QueueStats& q) { return q.samples_failed; });
    family(n("samples_retried_total"),
           "Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.",
           MT::kCounter, [](const QueueStats& q) { return q.samples_retried; });
    family(n("samples_dropped_total"),
           "Total number of samples which were dropped after being read from the history store before being sent via remote write, by write_relabel_configs.",
           MT::kCounter, [](const QueueStats& q) { return q.samples_dropped; });
    family(n("samples_pending"),
           "The number of samples of the current slice not yet acknowledged by the remote storage.",
           MT::kGauge, [](const QueueStats& q) { return q.samples_pending; });
    family(n("bytes_total"),
           "The total number of bytes of data sent by the queue after compression (acknowledged requests).",
           MT::kCounter, [](const QueueStats& q) { return q.bytes_sent; });
    family(n("highest_timestamp_in_seconds"),
           "Highest timestamp read from the history store by this queue, in seconds since epoch.",
           MT::kGauge, [](const QueueStats& q) { return q.highest_timestamp_seconds; });
    family(n("queue_highest_sent_timestamp_seconds"),
           "Highest timestamp successfully sent by this queue, in seconds since epoch. 0 when nothing was sent yet.",
           MT::kGauge, [](const QueueStats& q) { return q.highest_sent_timestamp_seconds; });
    family(n("position_timestamp_seconds"),
           "Every sample of the history store up to this time (seconds since epoch) was acknowledged or dropped; persisted, a restart resumes after it.",
           MT::kGauge, [](const QueueStats& q) { return q.position_seconds; });
    family(n("read_seconds_total"),
           "Time spent reading slices of samples from the history store (metricsd only: Prometheus reads its WAL).",
           MT::kCounter, [](const QueueStats& q) { return q.read_seconds; });
    family(n("build_seconds_total"),
           "Time spent relabelling and batching the samples read, before encoding (metricsd only).",
           MT::kCounter, [](const QueueStats& q) { return q.build_seconds; });
    family(n("shards"), "The number of shards used for parallel sending to the remote storage.",
           MT::kGauge, [](const QueueStats& q) { return q.shards; });
    family(n("shards_desired"),
           "The number of shards that the queues shard calculation wants to run based on the rate of samples in vs. samples out.",
           MT::kGauge, [](const QueueStats& q) { return q.shards_desired; });
    family(n("shards_min"), "The minimum number of shards that the queue is allowed to run.",
           MT::kGauge, [](const QueueStats& q) { return q.shards_min; });
    family(n("shards_max"), "The maximum number of shards that the queue is allowed to run.",
           MT::kGauge, [](const QueueStats& q) { return q.shards_max; });
    family(n("shard_capacity"),
           "The capacity of each shard: a slice read from the history store holds at most shard_capacity × shards_max samples.",
           MT::kGauge, [](const QueueStats& q) { return q.capacity; });
    family(n("max_samples_per_send"),
           "The maximum number of samples to be sent, in a single request, to the remote storage.",
           MT::kGauge, [](const QueueStats& q) { return q.max_samples_per_send; });
    // The visitor keeps the family name's view until the family's samples are written.
    const std::string duration_name = n("sent_batch_duration_seconds");
    visitor.Family(duration_name, "Duration of send calls to the remote storage.", MT::kHistogram);
    for (const Row& row : rows) {
      Label labels[] = {{"remote_name", row.name}, {"url", row.url}};
      row.stats.send_duration.Visit(visitor, metricsd::Labels(labels, 2));
    }
  });
}

}  // namespace metricsd::remote
