// The history store's durable container: one SQLite database in WAL mode holding series keys,
// closed chunks, the open head chunks (the write-ahead of the head) and tier chunks.
//
// Layout (schema version 1):
//   meta(key TEXT PRIMARY KEY, value TEXT)                     schema_version, created_at
//   series(id INTEGER PRIMARY KEY, key BLOB UNIQUE NOT NULL)   key: series_key.h
//   chunks(id INTEGER PRIMARY KEY, series_id, tier, min_t,     closed chunks; tier 0 raw
//          max_t, data BLOB, UNIQUE(series_id, tier, min_t))   (chunk.h), 1 minute, 2 hour
//   head(id INTEGER PRIMARY KEY = series_id * 4 + tier,        each series' open chunk per
//        series_id, tier, min_t, max_t, data BLOB)             tier, rewritten every flush
//   chunk_bytes(tier INTEGER PRIMARY KEY, bytes)               closed chunks' bytes per tier,
//                                                              kept by triggers on chunks
// plus an index on chunks(tier, max_t) for retention. Rowid tables keep chunks up to ~4 KB
// in their b-tree page (WITHOUT ROWID spills rows over ~1 KB into a 4 KiB overflow page). The header's application_id is "MTSD"
// (0x4D545344), so a SQLite file of another program is recognised and never touched.
//
// A database this process cannot write (read-only directory, file or filesystem) is refused by
// Open() with a clear error rather than opened read-only: history that silently stops recording
// is worse than an error at start. A filesystem that turns read-only later makes each Write()
// fail with kReadOnly (or kIo) until it is writable again.
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
#include <tuple>
#include <utility>
#include <vector>

#include "daemon/storage/label_index.h"
#include "daemon/storage/sample.h"

struct sqlite3;

namespace metricsd::storage {

inline constexpr int kHistorySchemaVersion = 1;

// Tier numbers as stored (at most 4 tiers: head rows are keyed series_id * 4 + tier).
enum class Tier : int { kRaw = 0, kMinute = 1, kHour = 2 };

struct ChunkRecord {
  SeriesRef series = 0;
  Tier tier = Tier::kRaw;
  Timestamp min_t = 0;
  Timestamp max_t = 0;
  std::vector<std::uint8_t> data;
};

// The longest a closed chunk of each tier may span (max_t - min_t), so a read of [mint, maxt]
// looks only at chunks starting after mint minus this. Writers keep to it: raw chunks are cut
// at 2 h and compacted into rows of 6 h windows (chunks starting in the window, so up to 8 h);
// minute chunks hold at most 6 h; hour chunks one day.
inline constexpr Timestamp kMaxChunkSpanMs[3] = {8 * 3600 * 1000, 6 * 3600 * 1000, 24 * 3600 * 1000};

// One flush: everything since the last one, written atomically. Applied in this order:
// new_series, deleted, closed, heads_closed (deleted), heads (upserted), meta; so a (series,
// tier) in both heads_closed and heads ends with the head stored, and a compaction's deleted
// chunks make room for the merged one.
struct FlushBatch {
  std::vector<std::pair<SeriesRef, std::string>> new_series;  // (ref, key)
  std::vector<std::tuple<SeriesRef, Tier, Timestamp>> deleted;  // closed chunks, by min_t
  std::vector<ChunkRecord> closed;       // inserted (replacing one of the same series, tier, min_t)
  std::vector<ChunkRecord> heads;        // upserted: each series' open chunk of a tier
  std::vector<std::pair<SeriesRef, Tier>> heads_closed;  // open chunks that closed with no successor
  std::vector<std::pair<std::string, std::string>> meta;  // meta rows upserted (key, value)
  bool empty() const {
    return new_series.empty() && deleted.empty() && closed.empty() && heads.empty() && heads_closed.empty() &&
           meta.empty();
  }
};

// Why a write (or a read) failed, as metricsd_history_write_errors_total{reason} counts it.
// kCorrupt: the file went bad under us (the next Open() moves it aside); kBusy: another process
// held the database locked longer than the busy timeout (2 s).
enum class WriteError { kNone, kDiskFull, kReadOnly, kIo, kCorrupt, kBusy, kOther };
inline constexpr int kWriteErrorCount = 7;
// "none", "disk_full", "read_only", "io", "corrupt", "busy", "other".
std::string_view WriteErrorReason(WriteError error);

class HistoryDb {
 public:
  // What Open() found.
  struct OpenResult {
    std::unique_ptr<HistoryDb> db;  // null when the store cannot run (then `error` says why)
    // Why the store cannot run, naming the path ("history.path /x/y: cannot create directory:
    // Permission denied"). When moved_aside is set (and db is not null): why the old file was
    // judged corrupt ("history.path /x/y: metricsd.db fails quick_check: ...").
    std::string error;
    // Set when a corrupt file was moved aside (to this path, its -wal and -shm beside it with
    // those suffixes) and a fresh database created; the caller logs it as a warning.
    std::string moved_aside;
  };

  // Opens or creates `directory`/metricsd.db (creating the directory, mode 0750). A file that is
  // not a SQLite database, fails `PRAGMA quick_check`, or misses our tables is corrupt: it is
  // renamed to metricsd.db.corrupt-<unix seconds> (with its -wal and -shm) and a fresh one
  // created. A database of another schema_version is refused with a clear error and left
  // untouched, as is a non-empty SQLite database of another program (application_id not ours).
  // Open() reads the whole file once (quick_check): seconds for a multi-GiB database.
  static OpenResult Open(const std::string& directory);
  ~HistoryDb();
  HistoryDb(const HistoryDb&) = delete;
  HistoryDb& operator=(const HistoryDb&) = delete;

  // Reading back at start-up, in ref order (heads by series, then tier). kNone unless reading
  // failed part way (then `fn` has seen only some of the rows).
  WriteError LoadSeries(const std::function<void(SeriesRef, std::string_view key)>& fn);
  WriteError LoadHeads(const std::function<void(const ChunkRecord&)>& fn);
  // The largest series id stored (0 when none, or when it cannot be read).
  SeriesRef MaxSeriesRef();
  // A meta row's value (FlushBatch::meta writes them); nullopt when absent or unreadable.
  std::optional<std::string> GetMeta(std::string_view key);

  // Writes a flush in one transaction; kNone on success. On failure nothing of the batch is
  // stored and `detail` gets SQLite's message (and the system error, when there is one).
  // Never throws; the connection stays usable for the next try.
  WriteError Write(const FlushBatch& batch, std::string* detail);

  // Closed chunks of `series` in `tier` overlapping [mint, maxt], ascending by min_t. The record
  // passed to `fn` is reused between calls: copy what must outlive one.
  WriteError ReadChunks(SeriesRef series, Tier tier, Timestamp mint, Timestamp maxt,
                        const std::function<void(const ChunkRecord&)>& fn);

  // The largest max_t of `series`' closed chunks in `tier` into *max_t (Timestamp's minimum
  // when it has none). Looks only at chunks starting within the tier's longest span of the
  // last one to start, as ReadChunks does, so no read of a range after *max_t finds a chunk.
  WriteError MaxChunkEnd(SeriesRef series, Tier tier, Timestamp* max_t);

  // Retention: deletes the closed chunks of `tier` whose max_t < before; returns how many.
  // Then deletes series with no chunk and no head left (among those that lost a chunk), and
  // after the commit calls forgotten(ref) for each. On failure nothing is deleted.
  WriteError DeleteBefore(Tier tier, Timestamp before, std::uint64_t* deleted,
                          const std::function<void(SeriesRef)>& forgotten);
  // The oldest closed chunk over all tiers and its tier (size-based retention deletes from the
  // oldest), nullopt when there are none: the chunk that ends first (smallest max_t, found in
  // O(log n) through the retention index), returning its min_t.
  std::optional<std::pair<Tier, Timestamp>> OldestChunk();
  // The same chunk's max_t: DeleteBefore(tier, max_t + 1) is sure to delete at least it.
  std::optional<std::pair<Tier, Timestamp>> OldestChunkEnd();
  // Bytes on disk: the database plus its WAL (for retention.size and metricsd_history_bytes).
  std::uint64_t FileBytes() const;
  // Bytes of chunk data per tier (sum of blob lengths, closed and head): closed chunks from a
  // counter the database keeps, heads summed (one row per series and tier).
  std::uint64_t ChunkBytes(Tier tier);
  // Checkpoints the WAL into the database (truncating it); called after retention deletes.
  void Checkpoint();

  const std::string& path() const { return path_; }

  // Bytes of the database's pages in use (deleted rows free pages the file keeps for reuse;
  // retention.size counts what is used). In history_db_meta.cpp (the lead's).
  std::uint64_t UsedBytes();

 private:
  explicit HistoryDb(std::string path);
  struct Statements;
  struct OldestRow {
    Tier tier;
    Timestamp min_t;
    Timestamp max_t;
  };
  enum class Verdict { kFresh, kOurs, kCorrupt, kRefused };
  // Open()'s steps: connect, judge the file, configure and prepare (history_db.cpp).
  std::string Connect();
  Verdict Inspect(std::string* why);
  std::string Configure(bool fresh);
  void Close();
  // Maps a failed step's code, fills `detail`, rolls the open transaction back.
  WriteError Fail(int rc, std::string* detail);
  std::optional<OldestRow> Oldest();

  std::string path_;
  sqlite3* db_ = nullptr;
  int lock_fd_ = -1;  // DIRECTORY/lock, flock'ed while open: one daemon per directory
  std::unique_ptr<Statements> statements_;
};

}  // namespace metricsd::storage
