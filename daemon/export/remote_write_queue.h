// One remote_write endpoint's queue: reads the history store in time slices from the
// endpoint's position, relabels, splits the slice by series into shards, sends each shard's
// batches in order, and advances (and persists) the position only when every batch of the
// slice was acknowledged or permanently refused.
//
// The cycle, on the queue's strand:
//   1. slice = (position, min(now - read_lag, position + span)]; `span` adapts so a slice holds
//      about capacity × max_shards samples (Prometheus's own memory ceiling: max_shards
//      queues of `capacity` samples), never less than one second of data. A queue whose
//      receiver is down therefore holds at most one slice in memory, however long the outage.
//   2. each series of the slice: labels from its key, external_labels added where the series
//      lacks them, then write_relabel_configs (as Prometheus: external labels first); dropped
//      series count in samples_dropped_total. The result is cached per series reference.
//   3. shard = FNV-1a(labels) mod shards; each shard sends batches of at most
//      max_samples_per_send samples, one request in flight per shard, so a series' samples
//      reach the receiver in order.
//   4. a 2xx acknowledges the batch; 5xx, 429 (with retry_on_http_429) and connection errors or
//      timeouts are retried with the same body after min_backoff doubling up to max_backoff,
//      or after Retry-After when the response carries one (capped at 1 h); any other status
//      drops the batch (samples_failed_total). Retries block only this queue.
//   5. every shard done: position = slice end, written atomically to the position file; the
//      next cycle starts at once when the store holds more (catching up), else after
//      batch_send_deadline.
// Shards are re-computed after each slice with Prometheus's formula (queue_manager.go
// calculateDesiredShards, see DesiredShards below).
//
// A new endpoint (no position file) starts from now, as Prometheus does, not from the start of
// history. Staleness markers are samples of the store and are sent as they are.
//
// Thread-safety: thread-safe. The slice being sent is touched only on the queue's strand;
// the configuration and the counters are guarded by mutex_, so Start(), Stop(),
// Reconfigure() and Stats() may run on any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/core/asio.h"
#include "daemon/core/duration.h"
#include "daemon/core/histogram.h"
#include "daemon/core/mutex.h"
#include "daemon/export/relabel.h"
#include "daemon/export/remote_write_config.h"
#include "daemon/export/write_request.h"
#include "daemon/storage/sample.h"

namespace metricsd::storage {
class Store;
}

namespace metricsd::remote {

// What came back for one request.
struct SendResult {
  bool completed = false;   // a whole response arrived (else: connection error or timeout)
  unsigned status = 0;
  std::string error;        // why it did not complete
  std::string retry_after;  // the response's Retry-After header, as sent ("" when absent)
};

// Posts encoded WriteRequest bodies to one endpoint.
// Thread-safety: implementations are thread-safe; `done` runs once, on any thread.
class BatchSender {
 public:
  virtual ~BatchSender() = default;
  virtual void Send(std::string body, std::function<void(SendResult)> done) = 0;
};

// How a response is handled.
enum class SendVerdict { kAcknowledged, kRetry, kDrop };
SendVerdict Classify(const SendResult& result, bool retry_on_http_429);

// The wait a Retry-After value asks for (delay-seconds or an HTTP-date, RFC 9110 10.2.3),
// nullopt when absent or unparsable; `now` is the wall clock for an HTTP-date.
std::optional<Duration> ParseRetryAfter(const std::string& value, std::chrono::system_clock::time_point now);

// The shard of a series: FNV-1a 64 over its final labels, modulo `shards` (deterministic
// across runs and hosts).
std::size_t ShardOf(const Labels& labels, std::size_t shards);

// Prometheus's calculateDesiredShards, per slice instead of every 10 s:
//   desired = time_per_sample × (in_rate + 0.05 × backlog), backlog = delay × in_rate;
// unchanged within ±30 % of `current`, never lower while more than 10 s behind, clamped to
// [min_shards, max_shards].
struct ShardInputs {
  double in_rate = 0;          // samples per second the store produces (kept by relabelling)
  double time_per_sample = 0;  // request seconds per sample acknowledged, over the slice
  double delay_seconds = 0;    // how far the position is behind what the store can give
};
int DesiredShards(const ShardInputs& inputs, int current, int min_shards, int max_shards,
                  double* raw_desired);

// Counters and gauges of one queue (metricsd_remote_storage_*).
struct QueueStats {
  std::uint64_t samples_sent = 0;      // acknowledged
  std::uint64_t samples_failed = 0;    // refused for good (non-retryable status)
  std::uint64_t samples_retried = 0;   // in requests that were retried
  std::uint64_t samples_dropped = 0;   // by write_relabel_configs
  std::uint64_t bytes_sent = 0;        // request bodies acknowledged, compressed
  std::uint64_t samples_pending = 0;   // of the current slice, not yet acknowledged or dropped
  std::uint64_t slices = 0;            // completed slices
  double read_seconds = 0;             // spent reading slices from the history store
  double build_seconds = 0;            // spent relabelling and batching what was read
  double highest_timestamp_seconds = 0;       // newest sample read from the store
  double highest_sent_timestamp_seconds = 0;  // newest sample acknowledged
  double position_seconds = 0;                // everything up to it is done
  int shards = 1;
  double shards_desired = 1;
  int shards_min = 1, shards_max = 1;
  int capacity = 0, max_samples_per_send = 0;
  Histogram send_duration;             // seconds per request (each attempt)
  QueueStats();
};

// The buckets of sent_batch_duration_seconds: Prometheus's DefBuckets plus 25, 60, 120, 300.
std::vector<double> SendDurationBuckets();

class RemoteWriteQueue : public std::enable_shared_from_this<RemoteWriteQueue> {
 public:
  using StoreGetter = std::function<std::shared_ptr<storage::Store>()>;
  // Makes the sender for an endpoint (again after a reload changed it); null with `error`
  // when it cannot (an unreadable CA file): the queue waits and tries again.
  using SenderFactory =
      std::function<std::shared_ptr<BatchSender>(const RemoteWriteEndpoint&, std::string* error)>;

  struct Options {
    // The wall clock in milliseconds (tests drive their own).
    std::function<storage::Timestamp()> now;
    // How far behind now the queue reads, so the sampler's pass stamped t has finished
    // appending before t is read (a pass starts at its timestamp and takes far less).
    Duration read_lag = std::chrono::seconds(2);
    // Samples per slice; 0: capacity × max_shards.
    std::size_t slice_samples = 0;
  };

  RemoteWriteQueue(net::io_context& ioc, RemoteWriteEndpoint endpoint, StoreGetter store,
                   std::string position_file, SenderFactory senders, Options options);
  ~RemoteWriteQueue();
  RemoteWriteQueue(const RemoteWriteQueue&) = delete;
  RemoteWriteQueue& operator=(const RemoteWriteQueue&) = delete;

  // Loads the position and starts the cycle.
  void Start();
  // Stops: in-flight requests are ignored when they return, the slice is not acknowledged
  // (it is sent again after the next start). Once Stop() returns the position file is not
  // written any more.
  void Stop();
  // A reload with the same url and name: the new settings apply from the next slice.
  void Reconfigure(RemoteWriteEndpoint endpoint);

  QueueStats Stats() const;
  std::string remote_name() const;
  std::string url() const;
  // The position (ms), nullopt before the first cycle decided it.
  std::optional<storage::Timestamp> position() const;

 private:
  struct Batch {
    std::vector<OutgoingSeries> series;
    std::size_t samples = 0;
    storage::Timestamp max_t = 0;
  };
  struct Shard {
    std::vector<Batch> batches;
    std::size_t next = 0;        // batch being sent
    std::string body;            // its encoded body (kept for retries)
    Duration backoff{};
    std::unique_ptr<net::steady_timer> retry_timer;
    WriteRequestEncoder encoder;
  };
  // What the strand owns while a slice is out.
  struct Slice {
    storage::Timestamp from = 0;  // the position it started at (exclusive)
    storage::Timestamp end = 0;   // inclusive
    std::vector<std::unique_ptr<Shard>> shards;
    std::size_t shards_running = 0;
    std::size_t samples = 0;
    double send_seconds = 0;
    std::uint64_t sent = 0;
    bool more = false;           // the store holds data past `end`
    std::chrono::steady_clock::time_point started;
  };
  struct CachedLabels {
    bool kept = false;
    Labels labels;
    std::uint64_t hash = 0;
  };

  void ScheduleCycle(Duration after);
  void Cycle();
  // Reads (position, end] into `slice`; false when there is nothing to read yet.
  void ReadSlice(storage::Store& store, storage::Timestamp from, storage::Timestamp to,
                 const RemoteWriteEndpoint& config, Slice& slice);
  void SendNext(std::size_t shard_index);
  void Post(std::size_t shard_index);
  void OnResult(std::size_t shard_index, SendResult result,
                std::chrono::steady_clock::time_point started);
  void FinishSlice();
  void UpdateShards(const Slice& slice, const RemoteWriteEndpoint& config);
  bool stopped() const;

  net::io_context& ioc_;
  net::strand<net::io_context::executor_type> strand_;
  StoreGetter store_;
  const std::string position_file_;
  SenderFactory senders_;
  Options options_;

  mutable Mutex mutex_;
  RemoteWriteEndpoint config_ ABSL_GUARDED_BY(mutex_);
  bool config_changed_ ABSL_GUARDED_BY(mutex_) = true;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  bool started_ ABSL_GUARDED_BY(mutex_) = false;
  std::optional<storage::Timestamp> position_ ABSL_GUARDED_BY(mutex_);
  QueueStats stats_ ABSL_GUARDED_BY(mutex_);
  std::string last_error_ ABSL_GUARDED_BY(mutex_);

  // Strand-only state.
  std::unique_ptr<Slice> slice_;
  std::shared_ptr<BatchSender> sender_;
  RemoteWriteEndpoint active_;          // the config of the slice being read and sent
  std::unordered_map<std::uint32_t, CachedLabels> label_cache_;  // by SeriesRef
  double slice_rate_ = 0;               // samples per ms of data in the last slice
  bool failing_ = false;                // logged the current failure already
  std::optional<std::chrono::steady_clock::time_point> waiting_for_store_since_;
  bool waiting_for_store_logged_ = false;
  net::steady_timer cycle_timer_;
  // Held while the position file is written, so Stop() can wait for a write in progress.
  Mutex file_mutex_;
};

}  // namespace metricsd::remote
