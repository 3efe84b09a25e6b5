// The history store: every sample the sampler takes, kept compressed in memory (the head) and
// durable in SQLite (history_db.h), with 1-minute and 1-hour tiers kept longer than raw
// samples, and retention by age per tier and by total size.
//
// Data flow: the sampler appends one pass at a time through an Appender (one timestamp per
// pass); a flush job writes what changed since the last flush in one transaction; a retention
// job deletes what is too old or over the size budget. Readers (the HTTP API, the PromQL engine)
// select series by matchers and read their samples over [mint, maxt], merged from the database
// and the head.
//
// Faults: the store never throws into its callers. A write that fails (disk full, read-only)
// is counted by reason and retried at the next flush with the data still in memory (bounded by
// max_pending_chunks: past it the oldest pending chunks are dropped and counted), so history
// resumes when the fault clears and /metrics never notices.
//
// Thread-safety: thread-safe. One Appender at a time (the sampler's); reads, Flush(),
// EnforceRetention() and Import() may run concurrently with it and with each other.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/duration.h"
#include "daemon/storage/chunk.h"
#include "daemon/storage/history_db.h"
#include "daemon/storage/label_index.h"
#include "daemon/storage/sample.h"

namespace metricsd::storage {

struct MemSeries;

struct StoreOptions {
  std::string directory;                      // holds metricsd.db
  Duration raw_retention = std::chrono::hours(24 * 15);
  Duration minute_retention = std::chrono::hours(24 * 90);
  Duration hour_retention = std::chrono::hours(24 * 730);
  std::uint64_t max_bytes = std::uint64_t{2} << 30;  // over all tiers, 0 = no limit
  std::size_t max_series = 1'000'000;         // new series beyond it are dropped and counted
  // Sealed chunks kept in memory while the disk refuses writes; past it the oldest are dropped.
  std::uint64_t max_pending_bytes = std::uint64_t{64} << 20;
};

// What the store did, for metricsd_history_* (self_metrics reads it).
struct StoreStats {
  std::uint64_t series = 0;
  std::uint64_t samples_appended = 0;
  std::uint64_t samples_out_of_order = 0;     // dropped: not newer than the series' last sample
  std::uint64_t series_dropped_max_series = 0;
  std::uint64_t series_dropped_invalid = 0;   // labels with no key (invalid UTF-8)
  std::uint64_t chunks = 0;                   // closed chunks in memory awaiting flush + head chunks
  std::uint64_t head_bytes = 0;               // chunk bytes in memory
  std::uint64_t index_bytes = 0;
  std::uint64_t disk_bytes = 0;               // database + WAL
  std::uint64_t tier_bytes[3] = {0, 0, 0};    // chunk bytes on disk per tier
  std::uint64_t write_errors[7] = {};         // by WriteError
  std::uint64_t retention_deleted[3] = {};    // chunks, by tier
  std::uint64_t pending_chunks_dropped = 0;   // closed chunks dropped while the disk failed
  double last_flush_duration_seconds = 0;
  double last_flush_timestamp_seconds = 0;    // wall clock of the last successful flush
  std::uint64_t flushes = 0;
  bool loading = false;                       // start-up load still running
};

// One series as imported or exported.
struct SeriesSamples {
  std::string key;               // series_key.h
  std::vector<Sample> samples;   // ascending by t
};

class Store {
 public:
  // Opens the database under options.directory and loads the index and heads. nullptr with
  // `error` set when history cannot run; `warning` set when a corrupt database was moved aside.
  static std::shared_ptr<Store> Open(const StoreOptions& options, std::string* error,
                                     std::string* warning);
  ~Store();

  // Appends one sampler pass. Thread-safety: one Appender at a time.
  class Appender {
   public:
    // `key` from SeriesKeyBuilder; out-of-order samples and new series over max_series are
    // dropped and counted.
    void Append(std::string_view key, double v);
    // Counts a sample whose labels have no key (invalid UTF-8), dropped by the caller.
    void DropInvalid();
    // Ends the pass: every series appended in the previous pass but not in this one gets a
    // staleness marker at this pass's timestamp.
    void Commit();

   private:
    friend class Store;
    Appender(Store* store, Timestamp t) : store_(store), t_(t) {}
    Store* store_;
    Timestamp t_;
  };
  Appender StartPass(Timestamp t);

  // Writes what changed since the last flush; false when the write failed (counted).
  bool Flush();
  // Deletes data past each tier's retention and, while over max_bytes, the oldest chunks.
  void EnforceRetention(Timestamp now);
  // Computes the tiers' points for every hour window that has passed (run after a flush).
  void Downsample(Timestamp now);

  // Reads. Series any selector (a list of matchers) matches that have data in [mint, maxt],
  // ascending by ref.
  std::vector<SeriesRef> Select(const std::vector<Matchers>& selectors, Timestamp mint,
                                Timestamp maxt) const;
  std::string Key(SeriesRef ref) const;
  // The series with this key (series_key.h), if stored.
  std::optional<SeriesRef> Find(std::string_view key) const;
  // Raw samples of a series in [mint, maxt], ascending, staleness markers included.
  void RawSamples(SeriesRef ref, Timestamp mint, Timestamp maxt, std::vector<Sample>& out) const;
  // Points of a tier in [mint, maxt], ascending.
  void TierPoints(SeriesRef ref, Tier tier, Timestamp mint, Timestamp maxt,
                  std::vector<AggregatePoint>& out) const;
  // Label names and values of the series the selectors match in [mint, maxt] (all series
  // when `selectors` is empty); sorted.
  std::vector<std::string> LabelNames(const std::vector<Matchers>& selectors, Timestamp mint,
                                      Timestamp maxt) const;
  std::vector<std::string> LabelValues(std::string_view name,
                                       const std::vector<Matchers>& selectors, Timestamp mint,
                                       Timestamp maxt) const;

  // Stores imported series, all or nothing: false with `error` when anything would not be
  // stored (then nothing is). Samples older than a series' head go into closed chunks (merged
  // with what is there); a sample at a timestamp already stored is a duplicate and skipped.
  bool Import(std::vector<SeriesSamples> series, std::string* error);

  StoreStats Stats() const;
  const StoreOptions& options() const { return options_; }

 private:
  explicit Store(StoreOptions options);
  // With the series' stripe held.
  void AppendLocked(SeriesRef ref, MemSeries& series, Timestamp t, double v);
  void SealHeadLocked(SeriesRef ref, MemSeries& series);
  void DropPendingOverBudget();
  // Tiers (store_tiers.cpp): computes the 1-minute and 1-hour points of every hour window
  // that has fully passed, from the raw samples.
  void DownsampleLocked(Timestamp now);
  // The minute and hour points of `ref` over hour window [start, start + 1 h), added to batch.
  void DownsampleWindow(SeriesRef ref, Timestamp start, FlushBatch& batch);
  void MergeTierRow(SeriesRef ref, Tier tier, Timestamp row_start, Timestamp from, Timestamp to,
                    std::span<const AggregatePoint> points, FlushBatch& batch);
  // Merges `ref`'s raw chunks starting in the 6-hour window at `start` into one row.
  void CompactRaw(SeriesRef ref, Timestamp start, FlushBatch& batch);
  struct State;
  StoreOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace metricsd::storage
