// The StatsD aggregation: a SeriesTable, one Shard per receiver, the settings every receiver
// follows (mapper, dialects, limits), and the Ingester that turns text into shard updates.
//
// Data flow per line: the receiver's line cache maps the line minus its value (name, type,
// rate and tags exactly as sent) to what it resolved to the first time: the series' entry in
// the receiver's own shard, and how to scale the value. A repeated line costs a hash lookup
// and a number parse. A line not seen before takes the slow path: the full parser, the mapper,
// labels, the series key, the shard's index and, for a new series, the shared table under
// its lock. Nothing is locked per line.
//
// Load shedding (daemon/core/shed_state.h) is read once per batch: a line whose mapping's
// priority is shed is dropped after the cache lookup (or, first seen, after mapping and before
// any series is made for it) and counted at the batch's end.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "collectors/statsd/event.h"
#include "collectors/statsd/label_rules.h"
#include "collectors/statsd/line_cache.h"
#include "collectors/statsd/line_split.h"
#include "collectors/statsd/mapper.h"
#include "collectors/statsd/parser.h"
#include "collectors/statsd/series_table.h"
#include "collectors/statsd/shard.h"
#include "daemon/core/snapshot.h"

namespace metricsd::statsd {

struct IngestSettings {
  std::shared_ptr<const Mapper> mapper;
  ParseOptions parse;
  std::size_t max_line_length = 4096;
  std::size_t line_cache_size = 100000;  // line identities remembered per receiver
  LabelLimits limits;                   // statsd.max_name_length, max_label_value_length
};

// Milliseconds of the steady clock: series ttl and summary windows use it.
inline std::int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Thread-safety: thread-safe; receivers ingest through their own Ingester while scrapes Merge().
class Aggregator {
 public:
  // `max_series_bytes` bounds what the series table holds (see SeriesTable).
  Aggregator(IngestSettings settings, std::size_t max_series,
             std::size_t max_series_bytes = kDefaultMaxSeriesBytes);

  // New settings take effect at each receiver's next batch; series already aggregated stay.
  void Configure(IngestSettings settings, std::size_t max_series,
                 std::size_t max_series_bytes = kDefaultMaxSeriesBytes);
  std::shared_ptr<const IngestSettings> settings() const { return settings_.Load(); }
  std::uint64_t settings_generation() const { return generation_.load(std::memory_order_acquire); }

  // Where well-formed DogStatsD events go (see event.h): called once per event on the thread
  // that received it, under that receiver's shard lock, so it must be cheap (queue, not write).
  // Null: events are counted only.
  using EventSink = std::function<void(StatsdEvent)>;
  void SetEventSink(EventSink sink);
  std::shared_ptr<const EventSink> event_sink() const { return event_sink_.Load(); }

  // A new shard for one more receiver; it lives as long as the Aggregator.
  Shard& AddShard();

  SeriesTable& table() { return table_; }
  const SeriesTable& table() const { return table_; }

  // Removes series whose ttl has passed. Takes every shard's lock; cheap when nothing expired.
  std::size_t ExpireStale(std::int64_t now_ms);

  // Merges `items` (and only them) from every shard into `out` (see Shard::MergeInto), so a
  // scrape that wants a few families pays for those only. Takes each shard's lock in turn,
  // never the table's. Returns the table generation the merge ran at: no series expired
  // during it, so if that is the generation the items were planned at, their ids are theirs.
  std::uint64_t Merge(std::span<const MergeItem> items, std::int64_t now_ms, MergeResult& out) const;
  ShardStats Stats() const;
  // Shard entries Merge has summed over the Aggregator's life: what scrapes cost in merging
  // (tests check a scrape merges only what its visitor wants).
  std::uint64_t series_merged() const { return series_merged_.load(std::memory_order_relaxed); }

 private:
  SeriesTable table_;
  Snapshot<IngestSettings> settings_;
  Snapshot<EventSink> event_sink_;
  std::atomic<std::uint64_t> generation_{0};
  mutable std::atomic<std::uint64_t> series_merged_{0};
  mutable Mutex shards_mutex_;  // guards the list; each shard's contents have their own lock
  std::vector<std::unique_ptr<Shard>> shards_ ABSL_GUARDED_BY(shards_mutex_);
};

// Feeds text into one shard. One per receiver thread (or one shared under the shard's lock).
// Thread-safety: every call but Batch's constructor requires the shard's lock, which a Batch
// holds (checked by the compiler); Ingesters of different shards run in parallel.
class Ingester {
 public:
  Ingester(Aggregator& aggregator, Shard& shard);

  // Locks the shard for a batch: every Lines() call in between goes into it.
  class ABSL_SCOPED_LOCKABLE Batch {
   public:
    explicit Batch(Ingester& ingester) ABSL_EXCLUSIVE_LOCK_FUNCTION(ingester.shard_.mutex());
    ~Batch() ABSL_UNLOCK_FUNCTION();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    Ingester& ingester_;
  };

  // Ingests a buffer of '\n'-separated lines (a datagram, a stream chunk's complete lines, an
  // HTTP body). Must be inside a Batch. Returns the lines accepted (at least one sample
  // aggregated) and rejected (not one sample aggregated).
  struct Counts {
    std::size_t accepted = 0;
    std::size_t rejected = 0;
  };
  Counts Lines(std::string_view buffer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard_.mutex());

  ShardStats& stats() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard_.mutex()) { return shard_.stats(); }
  // Inside a Batch: the current statsd.max_line_length.
  std::size_t max_line_length() const { return settings_->max_line_length; }

 private:
  // How a line's value is applied, apart from the series it goes to: what the parser and the
  // mapping made of the line's identity (rate, type, tags) and the family's shape. Few
  // distinct ones exist (most lines share one), so the line cache keeps an index into an
  // interned table of them, and each cached line costs a slot and its identity's bytes.
  struct Treatment {
    const std::vector<double>* bounds = nullptr;  // histograms: the family's (interned for good)
    double divisor = 1;   // the parser's: sample rate (counters), 1000 (timers)
    double scale = 1;     // the mapping's
    std::int32_t repeat = 1;
    std::int32_t summary_cap = 0;
    std::uint16_t tags = 0;  // 1 when the line carries tags (metricsd_statsd_tags_total)
    std::uint16_t tag_errors = 0;
    MetricType metric_type = MetricType::kCounter;
    MetricKind kind = MetricKind::kCounter;
    SampleType type = SampleType::kCounter;
    Priority priority = Priority::kNormal;  // the mapping's (unmapped lines: normal)
    bool ttl = false;       // refresh the series' last-update stamp
    bool drop = false;
    bool unmapped = false;
    // Resolved while load shedding dropped its priority: no series behind it; the line takes
    // the slow path again once its priority is no longer shed.
    bool shed_only = false;

    bool operator==(const Treatment&) const = default;
    template <typename H>
    friend H AbslHashValue(H state, const Treatment& t) {
      return H::combine(std::move(state), t.bounds, t.divisor, t.scale, t.repeat, t.summary_cap,
                        t.tags, t.tag_errors, t.metric_type, t.kind, t.type, t.priority, t.ttl,
                        t.drop, t.unmapped, t.shed_only);
    }
  };
  // What a line resolved to: its treatment and the series' entry in this receiver's shard
  // (whose slots, window and series it points at). Entries stay valid until the shard removes
  // a series, which clears the cache.
  static constexpr std::uint32_t kNoLocal = ~0u;  // dropped or shed: no series
  struct Resolved {
    Treatment how;
    std::uint32_t local = kNoLocal;
  };
  // 6 bytes, 2-aligned: the line cache's slot is 16 bytes (100,000 of them by default).
  struct CachedLine {
    std::uint16_t local_low = 0xffff;  // kNoLocal's halves
    std::uint16_t local_high = 0xffff;
    std::uint16_t treatment = 0;  // index into treatments_
    CachedLine() = default;
    CachedLine(std::uint32_t local, std::uint16_t treatment_index)
        : local_low(static_cast<std::uint16_t>(local)),
          local_high(static_cast<std::uint16_t>(local >> 16)),
          treatment(treatment_index) {}
    std::uint32_t local() const { return local_low | std::uint32_t{local_high} << 16; }
  };
  static_assert(sizeof(CachedLine) == 6 && alignof(CachedLine) == 2);

  // Whether load shedding drops a line of `priority` in this batch (counted per batch).
  bool Shed(Priority priority) {
    if (priority >= shed_below_) return false;
    ++shed_pending_[static_cast<std::size_t>(priority)];
    return true;
  }
  void FlushShedCounts();

  void Refresh() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard_.mutex());
  // A line seen before: true when it was aggregated (or dropped by mapping) from the cache.
  bool FastLine(const LineParts& parts, bool& aggregated) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard_.mutex());
  // One line, split by TakeLine; returns whether at least one sample was aggregated.
  bool Line(const LineParts& parts) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard_.mutex());
  // The slow path: mapping, labels, series key, the shard's index and the table. Returns
  // false (counted) when the sample must be dropped.
  bool Resolve(const Sample& sample, MetricKind kind, Resolved& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard_.mutex());
  void Apply(const Treatment& how, std::uint32_t local, double value, bool relative, int repeat)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard_.mutex());
  void Count(const Treatment& how) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard_.mutex());
  // Caches a clean one-sample line's resolution under its identity.
  void Remember(const LineIdentity& identity, std::uint64_t hash, const Resolved& resolved)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard_.mutex());
  void ForgetLines();

  Aggregator& aggregator_;
  Shard& shard_;
  std::uint64_t settings_generation_ = ~0ULL;
  std::uint64_t shard_removals_ = 0;
  std::shared_ptr<const IngestSettings> settings_;
  LineCache<CachedLine> lines_;
  std::vector<Treatment> treatments_;
  absl::flat_hash_map<Treatment, std::uint16_t> treatment_index_;
  MapResult mapped_;      // scratch
  std::int64_t now_ms_ = 0;
  // Lines of a priority below this are dropped (load shedding, read once per batch from
  // daemon/core/shed_state.h: no atomic per line). kLow: nothing is shed.
  Priority shed_below_ = Priority::kLow;
  std::array<std::uint64_t, 2> shed_pending_{};  // low, normal: counted at the batch's end
  ParsedLine parsed_;
  std::vector<std::pair<std::string, std::string>> labels_;  // scratch, sorted
  std::size_t label_count_ = 0;
  std::string key_;                                           // scratch
  std::string escaped_;                                       // scratch
};

}  // namespace metricsd::statsd
