// The history store's durable container: one SQLite database in WAL mode holding series keys,
// closed chunks, the open head chunks (the write-ahead of the head) and tier chunks.
//
// Layout (schema version 1):
//   meta(key TEXT PRIMARY KEY, value TEXT)                     schema_version, created_at
//   series(id INTEGER PRIMARY KEY, key BLOB UNIQUE NOT NULL)   key: series_key.h
//   chunks(series_id, tier, min_t, max_t, data BLOB,           closed chunks; tier 0 raw
//          PRIMARY KEY(series_id, tier, min_t)) WITHOUT ROWID   (chunk.h), 1 minute, 2 hour
//   head(series_id, tier, min_t, max_t, data BLOB,             each series' open chunk per
//        PRIMARY KEY(series_id, tier)) WITHOUT ROWID            tier, rewritten every flush
// plus an index on chunks(tier, max_t) for retention.
//
// Every Write() is one transaction: after a crash the database holds either all of a flush or
// none of it, never a half. synchronous=NORMAL in WAL mode: a power cut may lose the last
// transactions, never consistency; kill -9 loses nothing committed.
//
// Thread-safety: not thread-safe; the store calls it from its flush thread and serialises
// readers with its own mutex (SQLite's connection is single-threaded here).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/storage/label_index.h"
#include "daemon/storage/sample.h"

struct sqlite3;

namespace metricsd::storage {

inline constexpr int kHistorySchemaVersion = 1;

// Tier numbers as stored.
enum class Tier : int { kRaw = 0, kMinute = 1, kHour = 2 };

struct ChunkRecord {
  SeriesRef series = 0;
  Tier tier = Tier::kRaw;
  Timestamp min_t = 0;
  Timestamp max_t = 0;
  std::vector<std::uint8_t> data;
};

// One flush: everything since the last one, written atomically.
struct FlushBatch {
  std::vector<std::pair<SeriesRef, std::string>> new_series;  // (ref, key)
  std::vector<ChunkRecord> closed;       // inserted (replacing one with the same primary key)
  std::vector<ChunkRecord> heads;        // upserted: each series' open chunk of a tier
  std::vector<std::pair<SeriesRef, Tier>> heads_closed;  // open chunks that closed with no successor
  bool empty() const { return new_series.empty() && closed.empty() && heads.empty() && heads_closed.empty(); }
};

// Why a write failed, as metricsd_history_write_errors_total{reason} counts it.
enum class WriteError { kNone, kDiskFull, kReadOnly, kIo, kCorrupt, kBusy, kOther };
std::string_view WriteErrorReason(WriteError error);  // "disk_full", "read_only", "io", ...

class HistoryDb {
 public:
  // What Open() found.
  struct OpenResult {
    std::unique_ptr<HistoryDb> db;  // null when the store cannot run (then `error` says why)
    std::string error;              // "history.path /x/y: cannot create: Permission denied"
    // Set when a corrupt file was moved aside (to this path) and a fresh database created;
    // the caller logs it as a warning.
    std::string moved_aside;
  };

  // Opens or creates `directory`/metricsd.db (creating the directory). A file that is not a
  // SQLite database, fails `PRAGMA quick_check`, or misses our tables is corrupt: it is renamed
  // to metricsd.db.corrupt-<unix seconds> (with its -wal and -shm) and a fresh one created. A
  // database of another schema_version is refused with a clear error and left untouched.
  static OpenResult Open(const std::string& directory);
  ~HistoryDb();

  // Reading back at start-up, in ref order.
  void LoadSeries(const std::function<void(SeriesRef, std::string_view key)>& fn);
  void LoadHeads(const std::function<void(const ChunkRecord&)>& fn);
  // The largest series id stored (0 when none).
  SeriesRef MaxSeriesRef();

  // Writes a flush in one transaction; kNone on success. On failure nothing of the batch is
  // stored and `detail` gets SQLite's message.
  WriteError Write(const FlushBatch& batch, std::string* detail);

  // Closed chunks of `series` in `tier` overlapping [mint, maxt], ascending by min_t.
  void ReadChunks(SeriesRef series, Tier tier, Timestamp mint, Timestamp maxt,
                  const std::function<void(const ChunkRecord&)>& fn);

  // Retention: deletes the closed chunks of `tier` whose max_t < before; returns how many.
  // Then deletes series with no chunk and no head left, calling forgotten(ref) for each.
  WriteError DeleteBefore(Tier tier, Timestamp before, std::uint64_t* deleted,
                          const std::function<void(SeriesRef)>& forgotten);
  // The oldest closed chunk's min_t over all tiers and its tier (size-based retention deletes
  // from the oldest), nullopt when there are none.
  std::optional<std::pair<Tier, Timestamp>> OldestChunk();
  // Bytes on disk: the database plus its WAL (for retention.size and metricsd_history_bytes).
  std::uint64_t FileBytes() const;
  // Bytes of chunk data per tier (sum of blob lengths, closed and head), for the benchmark.
  std::uint64_t ChunkBytes(Tier tier);
  // Checkpoints the WAL into the database (truncating it); called after retention deletes.
  void Checkpoint();

  const std::string& path() const { return path_; }

 private:
  explicit HistoryDb(std::string path);
  struct Statements;
  std::string path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> statements_;
};

}  // namespace metricsd::storage
