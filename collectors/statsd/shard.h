// One receiver's share of the StatsD aggregation: the values of the series it has seen, and its
// counters. Only its receiver writes it; the receiver takes the shard's lock once per batch of
// datagrams (not per line) and a scrape takes it briefly to merge. Values are flat arrays of
// doubles, so merging shards is a sum over slots.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <absl/container/inlined_vector.h>

#include "collectors/statsd/event.h"
#include "collectors/statsd/label_rules.h"
#include "collectors/statsd/parser.h"
#include "collectors/statsd/series_table.h"
#include "daemon/core/mutex.h"

namespace metricsd::statsd {

// Why a line or sample was not aggregated; each is exactly one metricsd_statsd_* counter.
// The parser's reasons, then line_too_long.
inline constexpr std::size_t kLineTooLong = static_cast<std::size_t>(SampleError::kMalformedContainerId) + 1;
inline constexpr std::size_t kSampleErrorKinds = kLineTooLong + 1;
std::string_view SampleErrorLabel(std::size_t index);

struct ShardStats {
  std::uint64_t udp_packets = 0;
  std::uint64_t unixgram_packets = 0;
  std::uint64_t tcp_connections = 0;
  std::uint64_t http_requests = 0;
  std::uint64_t lines = 0;
  std::uint64_t samples = 0;
  std::uint64_t tags = 0;
  std::uint64_t tag_errors = 0;
  std::array<std::uint64_t, kSampleErrorKinds> sample_errors{};
  std::array<std::uint64_t, 3> events{};           // by MetricKind
  std::array<std::uint64_t, 3> events_conflict{};  // by MetricKind
  std::uint64_t events_unmapped = 0;
  std::uint64_t events_dropped_by_mapping = 0;
  std::uint64_t events_empty_name = 0;
  std::uint64_t events_negative_counter = 0;  // after mapping and scale, as statsd_exporter checks
  std::uint64_t series_dropped_max_series = 0;
  std::uint64_t series_dropped_max_bytes = 0;
  std::array<std::uint64_t, kLabelErrorKinds> events_label_errors{};  // by LabelError
  std::uint64_t tcp_connections_rejected = 0;  // over statsd.tcp.max_connections
  std::uint64_t tcp_connections_idle_closed = 0;  // statsd.tcp.idle_timeout
  std::uint64_t dogstatsd_events = 0;  // well-formed ones
  std::array<std::uint64_t, kEventErrorKinds> dogstatsd_event_errors{};  // by EventError
  std::uint64_t dogstatsd_service_checks = 0;

  void Add(const ShardStats& other);
};

// A summary's recent observations in one shard: `age_buckets` rotating buckets spanning
// `max_age`, each a uniform reservoir of at most `buf_cap` samples, so memory is bounded
// however fast observations arrive. Quantiles are taken over the union of live buckets of
// every shard at scrape time.
//
// A full reservoir is kept by Algorithm R while it is young (each observation draws a slot in
// [0, seen) and replaces the sample there if the slot is in range: one cheap random number),
// then, from kYoung times its size on, by Li's Algorithm L, which draws how many observations
// to pass over before the next one replaces a random sample (most observations only count;
// each kept one costs a few logarithms, dearer than R's draw until few are kept). The handover
// draws L's running weight from its distribution at that point, Beta(k, n - k + 1), so the
// sample stays uniform throughout.
//
// Windows are stored by value in their shard, with up to five bucket headers inline (the
// default age_buckets), so an observation reaches its bucket without chasing pointers.
// Thread-safety: not thread-safe; it lives in a Shard and is used under that shard's lock.
class SummaryWindow {
 public:
  static constexpr std::uint64_t kYoung = 32;

  // Each window draws from its own random stream, the next of a process-wide sequence.
  explicit SummaryWindow(const SummaryOptions& options);
  // Stream `stream` of that sequence: tests choose theirs, so a statistical check sees the
  // same samples in every run whatever other windows the process made first.
  SummaryWindow(const SummaryOptions& options, std::uint64_t stream);
  void Observe(double value, std::int64_t now_ms);
  void AppendLive(std::int64_t now_ms, std::vector<double>& out) const;

 private:
  struct Bucket {
    std::int64_t epoch = -1;
    std::uint64_t seen = 0;
    std::uint64_t next = 0;  // Algorithm L's next kept observation (by `seen`); 0: still R
    double w = 0;            // Algorithm L's running weight
    std::vector<double> samples;
  };
  // std::gamma_distribution's source of bits: this window's stream.
  struct Bits {
    using result_type = std::uint64_t;
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return ~result_type{0}; }
    result_type operator()() { return window->Random(); }
    SummaryWindow* window;
  };
  std::int64_t Epoch(std::int64_t now_ms) const { return now_ms / span_ms_; }
  Bucket& BucketAt(std::int64_t now_ms);
  std::uint64_t Random();
  double Uniform();  // in (0, 1)
  std::uint64_t Gap(double w);  // observations passed over before the next kept one
  void StartAlgorithmL(Bucket& bucket);

  // The bucket of [epoch_start_, epoch_start_ + span_ms_), so most observations divide nothing.
  static constexpr std::size_t kNoBucket = ~std::size_t{0};
  std::int64_t epoch_start_ = -1;
  std::int64_t span_ms_;
  std::size_t current_ = kNoBucket;
  std::size_t capacity_;
  std::uint64_t random_;
  absl::InlinedVector<Bucket, 5> buckets_;
};

// One series a scrape wants merged, and where its sums go (see Aggregator::Merge).
struct MergeItem {
  static constexpr std::uint32_t kNoSummary = ~0u;
  std::uint32_t id = 0;         // the series' id when the scrape planned the merge
  std::uint32_t width = 0;      // its slots
  std::uint32_t values_at = 0;  // where its slots are summed in MergeResult::values
  std::uint32_t summary = kNoSummary;  // a summary: the tag of its sample runs
};

// A summary's window samples from one shard: samples[begin, begin + size).
struct SampleRun {
  std::uint32_t summary = 0;  // the MergeItem's tag
  std::uint32_t begin = 0;
  std::uint32_t size = 0;
};

// What a merge produces; a scrape keeps one and reuses its buffers.
struct MergeResult {
  std::vector<double> values;  // sized and zeroed by the caller (MergeItem::values_at)
  std::vector<double> samples;
  std::vector<SampleRun> runs;  // in shard order, then item order
};

// Thread-safety: every member but mutex() requires the shard's lock (checked by the compiler).
class Shard {
 public:
  // 12 bytes per series seen (packed: 100,000 of them add up). A summary's window, which few
  // series have, is found through a third slot after its sum and count (see kWindowSlot).
  struct __attribute__((packed, aligned(4))) Local {
    SeriesMeta* series = nullptr;
    std::uint32_t offset = 0;  // into this shard's slots
  };
  static_assert(sizeof(Local) == 12);

  Mutex& mutex() ABSL_LOCK_RETURNED(mutex_) { return mutex_; }
  // The receiver counts itself here while it waits for mutex() (Ingester::Batch), so a scrape
  // merging in slices lets it in between them: std::mutex does not queue, and a merge taking
  // the lock back at once could keep the receiver out for its whole pass.
  std::atomic<int>& waiting() { return waiting_; }
  ShardStats& stats() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stats_; }

  // The local entry of a series, or -1.
  std::int64_t Find(const SeriesMeta& series) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (series.id >= local_of_id_.size() || local_of_id_[series.id] == kNone) return -1;
    return local_of_id_[series.id];
  }
  std::uint32_t Add(SeriesMeta* series) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Forgets a series (it expired); its slots are zeroed for reuse.
  void Remove(const SeriesMeta& series) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Counts Remove() calls: a receiver's line cache holds local indexes, which a removal may
  // hand to another series, so it starts over when this changes.
  std::uint64_t removals() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return removals_; }

  Local& local(std::uint32_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return locals_[index]; }
  double* slots(std::uint32_t offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return slots_.data() + offset;
  }
  SummaryWindow& window(const Local& local) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return *windows_[WindowIndex(local)];
  }

  // Adds the slots of each of `items` this shard holds into `out.values` (at the item's
  // values_at) and appends a summary item's live window samples to `out.samples`, as one run.
  // Visits only the items asked for, not every series of the shard. Returns the items found.
  std::size_t MergeInto(std::span<const MergeItem> items, std::int64_t now_ms,
                        MergeResult& out) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

 private:
  Mutex mutex_;
  std::atomic<int> waiting_{0};
  ShardStats stats_ ABSL_GUARDED_BY(mutex_);
  // Local entry by series id (ids are dense and reused): 4 bytes a series, no hash map.
  static constexpr std::uint32_t kNone = ~0u;
  // A summary's slots in a shard: its sum and count, which merges add up, then the index of
  // its window in windows_ (a double holds it exactly), which nothing adds.
  static constexpr std::uint32_t kWindowSlot = 2;
  static std::uint32_t ShardWidth(const SeriesMeta& series) {
    return series.width() + (series.shape().type == MetricType::kSummary ? 1 : 0);
  }
  std::uint32_t WindowIndex(const Local& local) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return static_cast<std::uint32_t>(slots_[local.offset + kWindowSlot]);
  }
  std::vector<std::uint32_t> local_of_id_ ABSL_GUARDED_BY(mutex_);
  std::uint64_t removals_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<Local> locals_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::optional<SummaryWindow>> windows_ ABSL_GUARDED_BY(mutex_);  // empty: free
  std::vector<std::uint32_t> free_windows_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::uint32_t> free_locals_ ABSL_GUARDED_BY(mutex_);
  std::vector<double> slots_ ABSL_GUARDED_BY(mutex_);
  // by width
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> free_slots_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace metricsd::statsd
