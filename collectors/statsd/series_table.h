// The StatsD series every receiver shares: which families and series exist, their types,
// labels and where their values live. Receivers consult it only when they meet a series for
// the first time (under its lock); per line they touch only their own shard.
//
// It enforces statsd_exporter's rules: one type and one label-name set per family name (a
// conflicting sample is dropped), client_golang's suffix rule (no family `x_count`, `x_sum`
// or `x_bucket` next to a summary or histogram `x`: Prometheus would read their lines as one
// family and fail the scrape), statsd.max_series and statsd.max_series_bytes (a new series
// over either cap is dropped, existing ones keep updating).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>

#include "collectors/statsd/mapping.h"
#include "collectors/statsd/record_arena.h"
#include "daemon/core/mutex.h"
#include "daemon/core/source.h"

namespace metricsd::statsd {

struct FamilyMeta;
struct SeriesMeta;

// The label pairs of a series, as views into its key.
void LabelsOf(const SeriesMeta& series, std::vector<Label>& out);
// The same from the labels part of a key (what follows the family name), e.g. a copy of it.
void LabelsOfKey(std::string_view labels_part, std::vector<Label>& out);

// Debian's absl has its own string_view type; keys cross over through this.
inline absl::string_view AbslView(std::string_view view) { return {view.data(), view.size()}; }

// What families of one mapping have in common, interned by the table. Immutable once
// interned, and never freed while the table lives (not even when its families expire), so a
// scrape may keep a pointer to it after releasing the table's lock.
struct FamilyOptions {
  std::string help;
  std::vector<double> buckets;  // histograms
  SummaryOptions summary;       // summaries
};

// What families sharing a mapping, a type and a label-name set have in common, interned by the
// table (few exist) and, like FamilyOptions, never freed while the table lives.
struct FamilyShape {
  const FamilyOptions* options = nullptr;
  const std::vector<std::string>* label_names = nullptr;  // sorted; interned
  MetricType type = MetricType::kUntyped;
  std::uint32_t width = 0;  // SlotWidth of the type and buckets: every series of the family's
};

// One series. Counters, histograms and summaries keep their values in the shards (width()
// slots in each shard that saw it); a gauge keeps its value here, because "set" does not merge
// across shards and an atomic store is as cheap as a slot write.
//
// Records are kept small: StatsD may hold 100,000 series, most of them an unlabelled name each.
// - What families share (help, buckets, quantiles, label names, slot width) is interned once,
//   as a FamilyShape.
// - A family without labels has one series only (a second would have the same key), so it has
//   no FamilyMeta: its series stands for it, and the table finds it by name in its series index.
// - The key's bytes follow the record in one allocation from the table's RecordArena.
// - What only some series use is laid out in theirs alone: a gauge's value (the others keep
//   theirs in the shards), and a ttl with the last update (series whose mapping has a ttl).
// An unlabelled counter without a ttl is a 20-byte header and its key. Packed to 4 bytes; the
// arena aligns records to 8, which the gauge's atomic double needs.
struct __attribute__((packed, aligned(4))) SeriesMeta {
  std::uint32_t id = 0;
  std::uint32_t list_index = 0;  // an unlabelled series: its family's place in families()

  // The family record; null for an unlabelled series, which stands for its own family.
  FamilyMeta* family() const {
    return unlabelled() ? nullptr : reinterpret_cast<FamilyMeta*>(family_bits_);
  }
  bool unlabelled() const { return (family_bits_ & kUnlabelled) != 0; }
  const FamilyShape& shape() const;
  std::string_view name() const;  // the family's: a prefix of key()
  std::uint32_t width() const { return shape().width; }

  // A gauge's value (gauges only).
  std::atomic<double>& gauge() const {
    return *std::launder(reinterpret_cast<std::atomic<double>*>(Bytes() + GaugeAt()));
  }

  static std::uint32_t Deciseconds(std::int64_t steady_ms) {
    return static_cast<std::uint32_t>(steady_ms / 100);
  }
  // A mapping's ttl as stored: rounded up (a 1 ms ttl still expires) and capped at 13 years.
  static std::uint32_t TtlDeciseconds(std::int64_t ttl_ms) {
    if (ttl_ms <= 0) return 0;
    return static_cast<std::uint32_t>(std::min<std::int64_t>((ttl_ms + 99) / 100, 0xffffffff));
  }
  // Deciseconds, rounded up; 0: never expires.
  std::uint32_t ttl_ds() const {
    if (!(size_flags_ & kHasTtl)) return 0;
    std::uint32_t ttl;
    std::memcpy(&ttl, Bytes() + kTtlAt, sizeof ttl);
    return ttl;
  }
  // The steady clock in deciseconds (Deciseconds) when a sample last arrived, refreshed when
  // one arrives in a later decisecond; series with a ttl only. It wraps after 13 years;
  // Expired compares differences, which stay right.
  std::atomic<std::uint32_t>& last_update_ds() const {
    return *std::launder(reinterpret_cast<std::atomic<std::uint32_t>*>(Bytes() + kLastUpdateAt));
  }
  void Touch(std::int64_t now_ms) {
    if (size_flags_ & kHasTtl) last_update_ds().store(Deciseconds(now_ms), std::memory_order_relaxed);
  }
  bool Expired(std::int64_t now_ms) const {
    std::uint32_t ttl = ttl_ds();
    return ttl > 0 &&
           Deciseconds(now_ms) - last_update_ds().load(std::memory_order_relaxed) >= ttl;
  }

  // The family name, then each label as '\xff' name '\xfe' value, sorted by name. Lines are
  // valid UTF-8, where those two bytes never occur, so the labels are parsed back from it.
  std::string_view key() const { return {Bytes() + KeyAt(), size_flags_ & kSizeMask}; }

  // A record of `family` (null: the series is unlabelled, of `shape`) with `key` after it,
  // from `arena`; freed by Delete only, to the same arena. A gauge's value starts at 0.
  static SeriesMeta* New(RecordArena& arena, std::string_view key, FamilyMeta* family,
                         const FamilyShape* shape, std::uint32_t ttl_ds);
  static void Delete(RecordArena& arena, SeriesMeta* series);

 private:
  SeriesMeta() = default;
  static constexpr std::uintptr_t kUnlabelled = 1;  // in family_bits_: a FamilyShape*
  static constexpr std::uint32_t kHasTtl = 1u << 31;
  static constexpr std::uint32_t kHasGauge = 1u << 30;
  static constexpr std::uint32_t kSizeMask = kHasGauge - 1;
  // The optional parts after the 20-byte header: a ttl and the last update, then (8-aligned)
  // a gauge's value, then the key.
  static constexpr std::uint32_t kTtlAt = 20;
  static constexpr std::uint32_t kLastUpdateAt = 24;
  static std::uint32_t GaugeAt(std::uint32_t flags) { return flags & kHasTtl ? 32 : 24; }
  static std::uint32_t KeyAt(std::uint32_t flags) {
    if (flags & kHasGauge) return GaugeAt(flags) + 8;
    return flags & kHasTtl ? 28 : 20;
  }
  std::uint32_t GaugeAt() const { return GaugeAt(size_flags_); }
  std::uint32_t KeyAt() const { return KeyAt(size_flags_); }
  char* Bytes() const { return reinterpret_cast<char*>(const_cast<SeriesMeta*>(this)); }

  std::uintptr_t family_bits_ = 0;  // a FamilyMeta*, or a FamilyShape* | kUnlabelled
  std::uint32_t size_flags_ = 0;    // the key's size | kHasTtl | kHasGauge
};
static_assert(sizeof(SeriesMeta) == 20);

// A labelled family's series, in the order they came. Many families have one series: it is
// held in the list's own word; more go to a vector on the heap, the pointer's low bit telling
// which (records are at least 4-aligned, vectors 8). 8 bytes, where a vector is 24.
// Thread-safety: not thread-safe; the table's lock guards it.
class SeriesList {
 public:
  SeriesList() = default;
  ~SeriesList() {
    if (many()) delete vector();
  }
  SeriesList(const SeriesList&) = delete;
  SeriesList& operator=(const SeriesList&) = delete;

  std::size_t size() const { return many() ? vector()->size() : bits_ == 0 ? 0 : 1; }
  SeriesMeta* operator[](std::size_t i) const { return many() ? (*vector())[i] : one(); }
  SeriesMeta* front() const { return (*this)[0]; }
  void push_back(SeriesMeta* series);
  // Removes `series`, which must be in the list; the others keep their order.
  void erase(const SeriesMeta* series);

 private:
  static constexpr std::uintptr_t kMany = 1;
  bool many() const { return (bits_ & kMany) != 0; }
  SeriesMeta* one() const { return reinterpret_cast<SeriesMeta*>(bits_); }
  std::vector<SeriesMeta*>* vector() const {
    return reinterpret_cast<std::vector<SeriesMeta*>*>(bits_ & ~kMany);
  }
  std::uintptr_t bits_ = 0;
};

// A family with labels: 24 bytes. Its name is not stored: it is the first name_size bytes of
// any of its series' keys, and a family in the table always has a series.
struct FamilyMeta {
  const FamilyShape* shape = nullptr;
  SeriesList series;
  std::uint32_t name_size = 0;
  std::uint32_t list_index = 0;  // in the table's families()

  std::string_view name() const { return series.front()->key().substr(0, name_size); }
};

inline const FamilyShape& SeriesMeta::shape() const {
  if (unlabelled()) return *reinterpret_cast<const FamilyShape*>(family_bits_ & ~kUnlabelled);
  return *family()->shape;
}
inline std::string_view SeriesMeta::name() const {
  return unlabelled() ? key() : key().substr(0, family()->name_size);
}

// A family as families() lists it: a FamilyMeta, or an unlabelled series standing for its
// family. 8 bytes; null when default-constructed.
class FamilyRef {
 public:
  FamilyRef() = default;
  explicit FamilyRef(FamilyMeta* family) : bits_(reinterpret_cast<std::uintptr_t>(family)) {}
  explicit FamilyRef(SeriesMeta* series)
      : bits_(reinterpret_cast<std::uintptr_t>(series) | kSeries) {}

  explicit operator bool() const { return bits_ != 0; }
  std::string_view name() const { return is_series() ? series()->key() : family()->name(); }
  const FamilyShape& shape() const { return is_series() ? series()->shape() : *family()->shape; }
  std::size_t series_count() const { return is_series() ? 1 : family()->series.size(); }
  SeriesMeta* series(std::size_t i) const { return is_series() ? series() : family()->series[i]; }
  // Null for an unlabelled series.
  FamilyMeta* family() const { return is_series() ? nullptr : reinterpret_cast<FamilyMeta*>(bits_); }
  std::uint32_t list_index() const {
    return is_series() ? series()->list_index : family()->list_index;
  }
  void set_list_index(std::uint32_t index) const {
    if (is_series()) series()->list_index = index;
    else family()->list_index = index;
  }

 private:
  static constexpr std::uintptr_t kSeries = 1;
  bool is_series() const { return (bits_ & kSeries) != 0; }
  SeriesMeta* series() const { return reinterpret_cast<SeriesMeta*>(bits_ & ~kSeries); }
  std::uintptr_t bits_ = 0;
};

// Everything a new series needs; the labels must be sorted by name, and the key must start
// with the name (as a series key does).
struct SeriesSpec {
  std::string_view key;
  std::string_view name;
  std::string_view help;
  MetricType type;
  std::span<const std::pair<std::string, std::string>> labels;
  const std::vector<double>* buckets;
  const SummaryOptions* summary;
  std::int64_t ttl_ms;
};

enum class InternError { kNone, kConflict, kMaxSeries, kMaxBytes };

// statsd.max_series_bytes's default: 64 MiB holds the default 100,000 series with ~500 bytes
// of names and labels each, and keeps a scrape's exposition to a size Prometheus reads
// within its default 10 s timeout.
inline constexpr std::size_t kDefaultMaxSeriesBytes = std::size_t{64} << 20;

// What a series is charged against statsd.max_series_bytes: its record and slots, plus its key
// once per exposition line it renders (a histogram repeats its labels on every bucket), so
// the budget bounds both the table's memory and a scrape's size.
std::size_t SeriesCost(std::size_t key_size, MetricType type, std::size_t buckets,
                       std::size_t quantiles);

// Slots a series of `type` with `buckets` takes in a shard: a counter 1 (value); a histogram
// one count per bucket plus +Inf, then the sum; a summary its sum and count; a gauge none.
std::uint32_t SlotWidth(MetricType type, std::size_t buckets);

// Thread-safety: thread-safe; receivers look up and intern in parallel, scrapes walk the
// families under mutex() held shared.
class SeriesTable {
 public:
  explicit SeriesTable(std::size_t max_series, std::size_t max_bytes = kDefaultMaxSeriesBytes)
      : max_series_(max_series), max_bytes_(max_bytes) {}
  ~SeriesTable();
  SeriesTable(const SeriesTable&) = delete;
  SeriesTable& operator=(const SeriesTable&) = delete;

  void SetMaxSeries(std::size_t max_series) { max_series_.store(max_series); }
  void SetMaxBytes(std::size_t max_bytes) { max_bytes_.store(max_bytes); }
  // The SeriesCost of every series held.
  std::size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

  // The series with this key, or null (under the shared lock: receivers look up in parallel).
  SeriesMeta* Find(std::string_view key) const;
  // The series for `spec`, created if new; null with the reason when it must be dropped.
  SeriesMeta* Intern(const SeriesSpec& spec, InternError& error);

  // Calls `remove(series)` for every series whose ttl has passed and then forgets them. The
  // caller holds every shard's lock (shards point at series), so receivers cannot race it.
  template <typename RemoveFromShards>
  std::size_t Expire(std::int64_t now_ms, RemoveFromShards remove);
  // Whether any series could expire at now_ms (a cheap check before taking every lock).
  bool AnyExpired(std::int64_t now_ms) const;

  // Readers (scrapes) hold this shared while they walk families().
  SharedMutex& mutex() const ABSL_LOCK_RETURNED(mutex_) { return mutex_; }
  // Every family, in no particular order. A new family is appended; only an expiry (which bumps
  // generation()) removes or reorders. So a reader may release the lock and, if generation()
  // has not moved, go on from the index where it stopped: the families before it are the same,
  // and so are the series of each (a family's series likewise only grow at the end).
  std::span<const FamilyRef> families() const ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
    return {family_list_.data(), family_list_.size()};
  }
  // Whether a thread is waiting to take mutex() exclusively (a receiver interning a series, an
  // expiry). std::shared_mutex lets readers in ahead of a waiting writer, so a reader that
  // takes the lock again and again (a scrape copying in short holds) steps aside while this is
  // true.
  bool writer_waiting() const { return writers_waiting_.load(std::memory_order_relaxed) > 0; }
  // Bumped whenever series are removed, so a reader can tell its merged slots went stale.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::size_t size() const;
  // Series per family type, for metricsd_statsd_series{type}.
  void CountByType(std::size_t& counters, std::size_t& gauges, std::size_t& histograms,
                   std::size_t& summaries) const;

 private:
  void Forget(SeriesMeta* series) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The family named `name`, or null: a FamilyMeta, or an unlabelled series of that key.
  FamilyRef FindFamily(std::string_view name) const ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  void Unlist(FamilyRef family) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  static void DeleteFamily(RecordArena& arena, FamilyMeta* family);

  mutable SharedMutex mutex_;
  std::atomic<std::size_t> max_series_;
  std::atomic<std::size_t> max_bytes_;
  std::atomic<std::size_t> bytes_{0};
  bool SuffixCollision(std::string_view name, MetricType type) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  const FamilyOptions* InternOptions(const SeriesSpec& spec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  const std::vector<std::string>* InternLabelNames(const SeriesSpec& spec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  const FamilyShape* InternShape(const SeriesSpec& spec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Records keyed by their own name (a family) or key (a series), looked up by string_view:
  // a slot is one pointer, not a key view and a pointer (open addressing, one slot per series
  // or family, so 16 bytes saved per slot add up at 100,000 series). Owned by the table.
  static absl::string_view KeyOf(const FamilyMeta* family) { return AbslView(family->name()); }
  static absl::string_view KeyOf(const SeriesMeta* series) { return AbslView(series->key()); }
  template <typename Record>
  struct ByKey {
    using is_transparent = void;
    static absl::string_view Of(absl::string_view key) { return key; }
    static absl::string_view Of(const Record* record) { return KeyOf(record); }
    template <typename T>
    std::size_t operator()(const T& x) const { return absl::Hash<absl::string_view>{}(Of(x)); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const { return Of(a) == Of(b); }
  };
  using FamilySet = absl::flat_hash_set<FamilyMeta*, ByKey<FamilyMeta>, ByKey<FamilyMeta>>;
  using SeriesSet = absl::flat_hash_set<SeriesMeta*, ByKey<SeriesMeta>, ByKey<SeriesMeta>>;
  // Labelled families only: an unlabelled one is found by name in series_ (its key).
  FamilySet families_ ABSL_GUARDED_BY(mutex_);
  std::vector<FamilyRef> family_list_ ABSL_GUARDED_BY(mutex_);  // see families()
  std::vector<std::unique_ptr<FamilyOptions>> options_ ABSL_GUARDED_BY(mutex_);  // one per mapping in use
  std::map<std::vector<std::string>, std::unique_ptr<std::vector<std::string>>> label_name_sets_
      ABSL_GUARDED_BY(mutex_);
  using ShapeKey = std::tuple<const FamilyOptions*, const std::vector<std::string>*, MetricType>;
  absl::flat_hash_map<ShapeKey, std::unique_ptr<FamilyShape>> shapes_ ABSL_GUARDED_BY(mutex_);
  SeriesSet series_ ABSL_GUARDED_BY(mutex_);
  RecordArena records_ ABSL_GUARDED_BY(mutex_);  // every SeriesMeta and FamilyMeta
  std::vector<std::uint32_t> free_ids_ ABSL_GUARDED_BY(mutex_);
  std::uint32_t next_id_ ABSL_GUARDED_BY(mutex_) = 0;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> writers_waiting_{0};
  std::size_t with_ttl_ ABSL_GUARDED_BY(mutex_) = 0;
};

template <typename RemoveFromShards>
std::size_t SeriesTable::Expire(std::int64_t now_ms, RemoveFromShards remove) {
  writers_waiting_.fetch_add(1, std::memory_order_relaxed);
  WriterMutexLock lock(mutex_);
  writers_waiting_.fetch_sub(1, std::memory_order_relaxed);
  std::vector<SeriesMeta*> expired;
  for (SeriesMeta* series : series_) {
    if (series->Expired(now_ms)) expired.push_back(series);
  }
  for (SeriesMeta* series : expired) {
    remove(*series);
    Forget(series);
  }
  if (!expired.empty()) generation_.fetch_add(1, std::memory_order_acq_rel);
  return expired.size();
}

}  // namespace metricsd::statsd
