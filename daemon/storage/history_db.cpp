// The history store's SQLite container (history_db.h): how Open() tells a fresh, an own, a
// corrupt, a newer and a foreign file apart, the schema, and the prepared statements every
// flush reuses.
#include "daemon/storage/history_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <limits>
#include <initializer_list>
#include <set>
#include <span>

#include "daemon/core/database_files.h"
#include "daemon/core/enum_table.h"

namespace metricsd::storage {
namespace {

// "MTSD" in the database header: a SQLite file carrying another id (and tables) is another
// program's, which we refuse to touch rather than mistake for a corrupt file of ours.
constexpr std::int64_t kApplicationId = 0x4D545344;
constexpr char kFileName[] = "metricsd.db";
constexpr int kBusyTimeoutMs = 2000;
// After a checkpoint the WAL file is cut back to this size, so one big flush (a backfill) does
// not keep its WAL's disk space for ever.
constexpr char kJournalSizeLimit[] = "67108864";

// Rowid tables, not WITHOUT ROWID: a WITHOUT ROWID row over ~1,000 bytes (a 4 KiB page's
// limit for index b-trees) spills into a whole overflow page, and 5,000 chunks of 1,100 bytes
// took 23.5 MB instead of 6.9 MB. A rowid leaf keeps rows up to ~4,000 bytes in place. head's
// rowid is series_id * 4 + tier, so a flush's upserts touch one b-tree only.
// chunk_bytes keeps each tier's closed-chunk bytes up to date by triggers: summing the blobs
// would read the whole file (GiBs) every retention pass. Chunks are upserted, never INSERT OR
// REPLACE'd, since REPLACE's implicit delete fires no trigger (without recursive_triggers).
constexpr char kSchema[] = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE series(id INTEGER PRIMARY KEY, key BLOB UNIQUE NOT NULL);
CREATE TABLE chunks(id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, tier INTEGER NOT NULL,
                    min_t INTEGER NOT NULL, max_t INTEGER NOT NULL, data BLOB NOT NULL,
                    UNIQUE(series_id, tier, min_t));
CREATE INDEX chunks_by_tier_max_t ON chunks(tier, max_t);
CREATE TABLE head(id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, tier INTEGER NOT NULL,
                  min_t INTEGER NOT NULL, max_t INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE chunk_bytes(tier INTEGER PRIMARY KEY, bytes INTEGER NOT NULL);
CREATE TRIGGER chunks_inserted AFTER INSERT ON chunks BEGIN
  INSERT INTO chunk_bytes(tier, bytes) VALUES(NEW.tier, length(NEW.data))
    ON CONFLICT(tier) DO UPDATE SET bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER chunks_updated AFTER UPDATE OF data ON chunks BEGIN
  UPDATE chunk_bytes SET bytes = bytes - length(OLD.data) + length(NEW.data) WHERE tier = NEW.tier;
END;
CREATE TRIGGER chunks_deleted AFTER DELETE ON chunks BEGIN
  UPDATE chunk_bytes SET bytes = bytes - length(OLD.data) WHERE tier = OLD.tier;
END;
)sql";

inline constexpr EnumTable<WriteError, kWriteErrorCount> kWriteErrorNames{{{
    {WriteError::kNone, "none"},
    {WriteError::kDiskFull, "disk_full"},
    {WriteError::kReadOnly, "read_only"},
    {WriteError::kIo, "io"},
    {WriteError::kCorrupt, "corrupt"},
    {WriteError::kBusy, "busy"},
    {WriteError::kOther, "other"},
}}};

WriteError ErrorFromCode(int rc) {
  switch (rc & 0xff) {  // the primary code of an extended one
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
      return WriteError::kNone;
    case SQLITE_FULL:
      return WriteError::kDiskFull;
    case SQLITE_READONLY:
      return WriteError::kReadOnly;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:  // the -wal or -shm cannot be (re)created
      return WriteError::kIo;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return WriteError::kCorrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return WriteError::kBusy;
    default:
      return WriteError::kOther;
  }
}

bool IsCorruption(int rc) { return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB; }

// SQLite's message for the connection's last failure, with the system error behind it when
// there is one ("disk I/O error (File too large)").
std::string Message(sqlite3* db) {
  if (db == nullptr) return "out of memory";
  std::string text = sqlite3_errmsg(db);
  const int primary = sqlite3_extended_errcode(db) & 0xff;
  const int system_errno = sqlite3_system_errno(db);
  if (system_errno != 0 && (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN ||
                            primary == SQLITE_FULL || primary == SQLITE_READONLY)) {
    text += std::string(" (") + std::strerror(system_errno) + ")";
  }
  return text;
}

// One prepared statement, prepared once per connection and reused for every row.
class Statement {
 public:
  Statement() = default;
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  int Prepare(sqlite3* db, const char* sql) {
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  }

  // One use: bind, step, read columns. Resets the statement and drops its bindings when it
  // ends, on every path: a statement left mid-result would keep its read transaction open,
  // and bindings point into the caller's memory (SQLITE_STATIC, no copy).
  class Use {
   public:
    explicit Use(sqlite3_stmt* stmt) : stmt_(stmt) {}
    ~Use() {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

    // Parameters count from 1, as in the SQL (?1, ?2, ...).
    Use& Int(int index, std::int64_t value) {
      sqlite3_bind_int64(stmt_, index, value);
      return *this;
    }
    Use& Blob(int index, const void* data, std::size_t size) {
      // A null pointer would bind NULL; an empty key or chunk is an empty blob.
      if (size == 0) {
        sqlite3_bind_zeroblob(stmt_, index, 0);
      } else {
        sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_STATIC);
      }
      return *this;
    }
    Use& Blob(int index, std::string_view bytes) { return Blob(index, bytes.data(), bytes.size()); }
    Use& Text(int index, std::string_view text) {
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
      return *this;
    }
    int Step() { return sqlite3_step(stmt_); }

    // Columns count from 0; views are valid until the next Step().
    std::int64_t ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
    std::string_view ColumnBytes(int column) const {
      const void* data = sqlite3_column_blob(stmt_, column);
      const int size = sqlite3_column_bytes(stmt_, column);
      if (data == nullptr || size <= 0) return {};
      return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
    }

   private:
    sqlite3_stmt* stmt_;
  };

  Use Start() { return Use(stmt_); }
  // Runs a statement that returns no rows; SQLITE_DONE on success.
  int Run() { return Start().Step(); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Runs `sql` (one or more statements, no results wanted).
int Exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

// The first column of the first row of `sql` as text ("" when there is no row).
int QueryText(sqlite3* db, const char* sql, std::string* value) {
  Statement statement;
  if (int rc = statement.Prepare(db, sql); rc != SQLITE_OK) return rc;
  Statement::Use use = statement.Start();
  const int rc = use.Step();
  if (rc == SQLITE_ROW) {
    *value = std::string(use.ColumnBytes(0));
    return SQLITE_OK;
  }
  value->clear();
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

std::uint64_t FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

std::string_view WriteErrorReason(WriteError error) { return kWriteErrorNames.Name(error); }

// Every statement the store runs after Open(), prepared once (SQLITE_PREPARE_PERSISTENT).
struct HistoryDb::Statements {
  Statement begin, commit, rollback;
  Statement insert_series, upsert_chunk, delete_chunk, upsert_head, delete_head, upsert_meta;
  Statement select_meta, select_series, select_heads, max_series_ref, read_chunks, max_chunk_end;
  Statement delete_chunks_before, series_has_data, delete_series, oldest_of_tier, chunk_bytes;

  int PrepareAll(sqlite3* db) {
    const std::pair<Statement*, const char*> all[] = {
        {&begin, "BEGIN IMMEDIATE"},
        {&commit, "COMMIT"},
        {&rollback, "ROLLBACK"},
        {&insert_series, "INSERT INTO series(id, key) VALUES(?1, ?2)"},
        {&upsert_chunk,
         "INSERT INTO chunks(series_id, tier, min_t, max_t, data) VALUES(?1, ?2, ?3, ?4, ?5) "
         "ON CONFLICT(series_id, tier, min_t) DO UPDATE SET "
         "max_t = excluded.max_t, data = excluded.data"},
        {&upsert_head,
         "INSERT INTO head(id, series_id, tier, min_t, max_t, data) "
         "VALUES(?1 * 4 + ?2, ?1, ?2, ?3, ?4, ?5) "
         "ON CONFLICT(id) DO UPDATE SET "
         "min_t = excluded.min_t, max_t = excluded.max_t, data = excluded.data"},
        {&delete_head, "DELETE FROM head WHERE id = ?1 * 4 + ?2"},
        {&delete_chunk, "DELETE FROM chunks WHERE series_id = ?1 AND tier = ?2 AND min_t = ?3"},
        {&upsert_meta,
         "INSERT INTO meta(key, value) VALUES(?1, ?2) "
         "ON CONFLICT(key) DO UPDATE SET value = excluded.value"},
        {&select_meta, "SELECT value FROM meta WHERE key = ?1"},
        {&select_series, "SELECT id, key FROM series ORDER BY id"},
        {&select_heads,
         "SELECT series_id, tier, min_t, max_t, data FROM head ORDER BY id"},
        {&max_series_ref, "SELECT coalesce(max(id), 0) FROM series"},
        // The unique index narrows to min_t in [mint - the tier's longest chunk span, maxt]
        // (?5): a range of a few entries, not every chunk since the series began;
        // max_t >= mint filters the rest.
        {&read_chunks,
         "SELECT min_t, max_t, data FROM chunks "
         "WHERE series_id = ?1 AND tier = ?2 AND min_t BETWEEN ?5 AND ?4 AND max_t >= ?3 "
         "ORDER BY min_t"},
        // A chunk ending last starts at most the tier's span (?3) before the last start: two
        // short walks of the unique index. ?4: the answer when the series has no chunk.
        {&max_chunk_end,
         "SELECT coalesce(max(max_t), ?4) FROM chunks WHERE series_id = ?1 AND tier = ?2 AND "
         "min_t >= (SELECT max(min_t) FROM chunks WHERE series_id = ?1 AND tier = ?2) - ?3"},
        {&delete_chunks_before, "DELETE FROM chunks WHERE tier = ?1 AND max_t < ?2 RETURNING series_id"},
        {&series_has_data,
         "SELECT EXISTS(SELECT 1 FROM chunks WHERE series_id = ?1) "
         "OR EXISTS(SELECT 1 FROM head WHERE id BETWEEN ?1 * 4 AND ?1 * 4 + 3)"},
        {&delete_series, "DELETE FROM series WHERE id = ?1"},
        {&oldest_of_tier, "SELECT min_t, max_t FROM chunks WHERE tier = ?1 ORDER BY max_t LIMIT 1"},
        // Heads are one row per series and tier (a few MB): summed; closed chunks counted.
        {&chunk_bytes,
         "SELECT coalesce((SELECT bytes FROM chunk_bytes WHERE tier = ?1), 0) + "
         "(SELECT coalesce(sum(length(data)), 0) FROM head WHERE tier = ?1)"},
    };
    for (const auto& [statement, sql] : all) {
      if (int rc = statement->Prepare(db, sql); rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
  }

  static int UpsertChunk(Statement& statement, const ChunkRecord& chunk) {
    return statement.Start()
        .Int(1, chunk.series)
        .Int(2, static_cast<int>(chunk.tier))
        .Int(3, chunk.min_t)
        .Int(4, chunk.max_t)
        .Blob(5, chunk.data.data(), chunk.data.size())
        .Step();
  }

  // The rows of one flush, inside the caller's transaction; SQLITE_DONE when all went in.
  int WriteRows(const FlushBatch& batch) {
    int rc = SQLITE_DONE;
    for (const auto& [ref, key] : batch.new_series) {
      if ((rc = insert_series.Start().Int(1, ref).Blob(2, key).Step()) != SQLITE_DONE) return rc;
    }
    for (const auto& [ref, tier, min_t] : batch.deleted) {
      if ((rc = delete_chunk.Start().Int(1, ref).Int(2, static_cast<int>(tier)).Int(3, min_t).Step()) !=
          SQLITE_DONE) {
        return rc;
      }
    }
    for (const ChunkRecord& chunk : batch.closed) {
      if ((rc = UpsertChunk(upsert_chunk, chunk)) != SQLITE_DONE) return rc;
    }
    for (const auto& [ref, tier] : batch.heads_closed) {
      if ((rc = delete_head.Start().Int(1, ref).Int(2, static_cast<int>(tier)).Step()) != SQLITE_DONE) {
        return rc;
      }
    }
    for (const ChunkRecord& chunk : batch.heads) {
      if ((rc = UpsertChunk(upsert_head, chunk)) != SQLITE_DONE) return rc;
    }
    for (const auto& [key, value] : batch.meta) {
      if ((rc = upsert_meta.Start().Text(1, key).Text(2, value).Step()) != SQLITE_DONE) return rc;
    }
    return rc;
  }
};

HistoryDb::HistoryDb(std::string path) : path_(std::move(path)) {}

HistoryDb::~HistoryDb() { Close(); }

void HistoryDb::Close() {
  statements_.reset();  // finalised before the connection closes
  sqlite3_close_v2(db_);
  db_ = nullptr;
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  lock_fd_ = -1;
}

HistoryDb::OpenResult HistoryDb::Open(const std::string& directory) {
  OpenResult result;
  const std::string where = "history.path " + directory + ": ";
  if (std::string error = MakeDirectories(directory); !error.empty()) {
    result.error = where + error;
    return result;
  }
  // The database, its -wal and -shm are created and renamed in the directory: refuse now
  // rather than fail on the first flush (EROFS on a read-only filesystem, even for root).
  if (::faccessat(AT_FDCWD, directory.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    result.error = where + "directory is not writable (history needs to write there): " +
                   std::strerror(errno);
    return result;
  }
  const bool has_slash = !directory.empty() && directory.back() == '/';
  std::unique_ptr<HistoryDb> db(new HistoryDb(directory + (has_slash ? "" : "/") + kFileName));
  // One daemon per directory, as Prometheus locks its data directory: a second one would
  // write the same series ids, and could move the first one's database aside as corrupt. The
  // kernel drops the lock when the process dies, kill -9 included.
  const std::string lock_path = directory + (has_slash ? "" : "/") + "lock";
  db->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (db->lock_fd_ < 0 || ::flock(db->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    result.error = where + (errno == EWOULDBLOCK ? "in use by another metricsd (" + lock_path + " is locked)"
                                                 : "cannot lock " + lock_path + ": " + std::strerror(errno));
    return result;
  }

  std::string why = db->Connect();
  Verdict verdict = why.empty() ? db->Inspect(&why) : Verdict::kRefused;
  if (verdict == Verdict::kRefused) {
    result.error = where + why;
    return result;  // closing does not checkpoint: the file stays as it was
  }
  if (verdict == Verdict::kCorrupt) {
    db->Close();
    result.error = where + why;
    if (std::string error = MoveDatabaseAside(db->path_, &result.moved_aside); !error.empty()) {
      result.error += "; " + error;
      return result;
    }
    if (why = db->Connect(); !why.empty()) {
      result.error += "; after moving it aside: " + why;
      return result;
    }
  }
  if (why = db->Configure(verdict != Verdict::kOurs); !why.empty()) {
    result.error = result.moved_aside.empty() ? where + why : result.error + "; then: " + why;
    return result;
  }
  result.db = std::move(db);
  return result;
}

std::string HistoryDb::Connect() {
  const int rc = sqlite3_open_v2(path_.c_str(), &db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string error = std::string("cannot open ") + kFileName + ": " + Message(db_);
    Close();
    return error;
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // Until the file is judged ours, closing must not checkpoint a WAL into it: a foreign or
  // newer database is left exactly as it was.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  return {};
}

// Reads only: the application id, the table names, schema_version and quick_check. A failure
// that is not corruption (busy, I/O, out of memory) refuses to start rather than move aside a
// file that may be fine.
HistoryDb::Verdict HistoryDb::Inspect(std::string* why) {
  const std::string file = kFileName;
  auto failed = [&](int rc) {
    if (IsCorruption(rc)) {
      *why = file + " is not a readable SQLite database (" + Message(db_) + ")";
      return Verdict::kCorrupt;
    }
    *why = "cannot read " + file + ": " + Message(db_);
    return Verdict::kRefused;
  };
  if (sqlite3_db_readonly(db_, "main") == 1) {
    *why = file + " is read-only (history needs to write it)";
    return Verdict::kRefused;
  }
  std::string text;
  if (int rc = QueryText(db_, "PRAGMA application_id", &text); rc != SQLITE_OK) return failed(rc);
  const std::string application_id = text;

  std::set<std::string> tables;
  {
    Statement statement;
    int rc = statement.Prepare(db_, "SELECT name FROM sqlite_master WHERE type = 'table'");
    if (rc != SQLITE_OK) return failed(rc);
    Statement::Use use = statement.Start();
    while ((rc = use.Step()) == SQLITE_ROW) tables.emplace(use.ColumnBytes(0));
    if (rc != SQLITE_DONE) return failed(rc);
  }
  if (application_id != std::to_string(kApplicationId)) {
    if (application_id == "0" && tables.empty()) return Verdict::kFresh;
    *why = file + " is a SQLite database of another program (application_id " + application_id +
           ", " + std::to_string(tables.size()) +
           " tables), not metricsd's; it is left untouched: move it away or set another "
           "history.path";
    return Verdict::kRefused;
  }
  if (!tables.contains("meta")) {
    *why = file + " misses its meta table";
    return Verdict::kCorrupt;
  }
  if (int rc = QueryText(db_, "SELECT value FROM meta WHERE key = 'schema_version'", &text);
      rc != SQLITE_OK) {
    return failed(rc);
  }
  int version = 0;
  const auto [end, parse_error] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (text.empty() || parse_error != std::errc() || end != text.data() + text.size()) {
    *why = file + " has no valid schema_version (\"" + text + "\")";
    return Verdict::kCorrupt;
  }
  if (version != kHistorySchemaVersion) {
    *why = file + " has schema version " + text + ", this metricsd reads " +
           std::to_string(kHistorySchemaVersion) + "; it is left untouched";
    return Verdict::kRefused;
  }
  for (const char* table : {"series", "chunks", "head", "chunk_bytes"}) {
    if (!tables.contains(table)) {
      *why = file + " misses its " + table + " table";
      return Verdict::kCorrupt;
    }
  }
  // quick_check: every page's b-tree structure, without the slower index cross-checks.
  Statement statement;
  int rc = statement.Prepare(db_, "PRAGMA quick_check(5)");
  if (rc != SQLITE_OK) return failed(rc);
  Statement::Use use = statement.Start();
  std::string problems;
  while ((rc = use.Step()) == SQLITE_ROW) {
    const std::string_view row = use.ColumnBytes(0);
    if (row == "ok") continue;
    problems += (problems.empty() ? "" : "; ") + std::string(row);
  }
  if (rc != SQLITE_DONE) return failed(rc);
  if (!problems.empty()) {
    *why = file + " fails quick_check: " + problems;
    return Verdict::kCorrupt;
  }
  return Verdict::kOurs;
}

std::string HistoryDb::Configure(bool fresh) {
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  auto failed = [&](const std::string& what) { return what + ": " + Message(db_); };
  // The page size takes effect only before the first table exists.
  if (fresh && Exec(db_, "PRAGMA page_size = 4096") != SQLITE_OK) return failed("cannot set page_size");
  std::string mode;
  if (QueryText(db_, "PRAGMA journal_mode = WAL", &mode) != SQLITE_OK || mode != "wal") {
    return failed("cannot switch " + std::string(kFileName) + " to WAL mode (journal_mode " + mode + ")");
  }
  const std::string pragmas =
      std::string("PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = ") + kJournalSizeLimit;
  if (Exec(db_, pragmas.c_str()) != SQLITE_OK) return failed("cannot configure " + std::string(kFileName));
  if (fresh) {
    // The id, the tables and the version in one transaction: a crash leaves either an empty
    // file (fresh again next time) or a complete schema.
    const std::string create = "BEGIN IMMEDIATE; PRAGMA application_id = " +
                               std::to_string(kApplicationId) + ";" + kSchema +
                               "INSERT INTO meta(key, value) VALUES('schema_version', '" +
                               std::to_string(kHistorySchemaVersion) + "'), ('created_at', '" +
                               std::to_string(std::time(nullptr)) + "'); COMMIT;";
    if (Exec(db_, create.c_str()) != SQLITE_OK) {
      std::string error = failed("cannot create the schema in " + std::string(kFileName));
      if (sqlite3_get_autocommit(db_) == 0) Exec(db_, "ROLLBACK");
      return error;
    }
  }
  statements_ = std::make_unique<Statements>();
  if (statements_->PrepareAll(db_) != SQLITE_OK) return failed("cannot prepare statements");
  return {};
}

WriteError HistoryDb::Fail(int rc, std::string* detail) {
  const WriteError error = ErrorFromCode(rc) == WriteError::kNone ? WriteError::kOther : ErrorFromCode(rc);
  if (detail != nullptr) *detail = Message(db_);
  // SQLite may have rolled back already (SQLITE_FULL can); otherwise undo the half batch, so
  // the connection is ready for the next try.
  if (sqlite3_get_autocommit(db_) == 0) statements_->rollback.Run();
  return error;
}

WriteError HistoryDb::Write(const FlushBatch& batch, std::string* detail) {
  if (batch.empty()) return WriteError::kNone;
  Statements& s = *statements_;
  int rc = s.begin.Run();
  if (rc == SQLITE_DONE) rc = s.WriteRows(batch);
  if (rc == SQLITE_DONE) rc = s.commit.Run();
  if (rc == SQLITE_DONE) return WriteError::kNone;
  return Fail(rc, detail);
}

WriteError HistoryDb::LoadSeries(const std::function<void(SeriesRef, std::string_view key)>& fn) {
  Statement::Use use = statements_->select_series.Start();
  int rc = SQLITE_ROW;
  while ((rc = use.Step()) == SQLITE_ROW) fn(static_cast<SeriesRef>(use.ColumnInt(0)), use.ColumnBytes(1));
  return rc == SQLITE_DONE ? WriteError::kNone : Fail(rc, nullptr);
}

WriteError HistoryDb::LoadHeads(const std::function<void(const ChunkRecord&)>& fn) {
  Statement::Use use = statements_->select_heads.Start();
  ChunkRecord record;
  int rc = SQLITE_ROW;
  while ((rc = use.Step()) == SQLITE_ROW) {
    record.series = static_cast<SeriesRef>(use.ColumnInt(0));
    record.tier = static_cast<Tier>(use.ColumnInt(1));
    record.min_t = use.ColumnInt(2);
    record.max_t = use.ColumnInt(3);
    const std::string_view data = use.ColumnBytes(4);
    record.data.assign(data.begin(), data.end());
    fn(record);
  }
  return rc == SQLITE_DONE ? WriteError::kNone : Fail(rc, nullptr);
}

SeriesRef HistoryDb::MaxSeriesRef() {
  Statement::Use use = statements_->max_series_ref.Start();
  return use.Step() == SQLITE_ROW ? static_cast<SeriesRef>(use.ColumnInt(0)) : 0;
}

std::optional<std::string> HistoryDb::GetMeta(std::string_view key) {
  Statement::Use use = statements_->select_meta.Start();
  use.Text(1, key);
  if (use.Step() != SQLITE_ROW) return std::nullopt;
  return std::string(use.ColumnBytes(0));
}

WriteError HistoryDb::ReadChunks(SeriesRef series, Tier tier, Timestamp mint, Timestamp maxt,
                                 const std::function<void(const ChunkRecord&)>& fn) {
  Statement::Use use = statements_->read_chunks.Start();
  Timestamp span = kMaxChunkSpanMs[static_cast<int>(tier)];
  Timestamp lowest = mint < std::numeric_limits<Timestamp>::min() + span ? std::numeric_limits<Timestamp>::min()
                                                                         : mint - span;
  use.Int(1, series).Int(2, static_cast<int>(tier)).Int(3, mint).Int(4, maxt).Int(5, lowest);
  ChunkRecord record;
  record.series = series;
  record.tier = tier;
  int rc = SQLITE_ROW;
  while ((rc = use.Step()) == SQLITE_ROW) {
    record.min_t = use.ColumnInt(0);
    record.max_t = use.ColumnInt(1);
    const std::string_view data = use.ColumnBytes(2);
    record.data.assign(data.begin(), data.end());
    fn(record);
  }
  return rc == SQLITE_DONE ? WriteError::kNone : Fail(rc, nullptr);
}

WriteError HistoryDb::MaxChunkEnd(SeriesRef series, Tier tier, Timestamp* max_t) {
  Statement::Use use = statements_->max_chunk_end.Start();
  use.Int(1, series)
      .Int(2, static_cast<int>(tier))
      .Int(3, kMaxChunkSpanMs[static_cast<int>(tier)])
      .Int(4, std::numeric_limits<Timestamp>::min());
  int rc = use.Step();
  if (rc != SQLITE_ROW) return Fail(rc, nullptr);
  *max_t = use.ColumnInt(0);
  return WriteError::kNone;
}

WriteError HistoryDb::DeleteBefore(Tier tier, Timestamp before, std::uint64_t* deleted,
                                   const std::function<void(SeriesRef)>& forgotten) {
  if (deleted != nullptr) *deleted = 0;
  Statements& s = *statements_;
  std::vector<SeriesRef> touched;  // one entry per deleted chunk
  std::vector<SeriesRef> gone;
  int rc = s.begin.Run();
  if (rc == SQLITE_DONE) {
    Statement::Use use = s.delete_chunks_before.Start();
    use.Int(1, static_cast<int>(tier)).Int(2, before);
    while ((rc = use.Step()) == SQLITE_ROW) touched.push_back(static_cast<SeriesRef>(use.ColumnInt(0)));
  }
  const std::uint64_t chunk_count = touched.size();
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (SeriesRef ref : touched) {
    if (rc != SQLITE_DONE) break;
    Statement::Use use = s.series_has_data.Start();
    rc = use.Int(1, ref).Step();
    if (rc != SQLITE_ROW) break;
    const bool has_data = use.ColumnInt(0) != 0;
    rc = has_data ? SQLITE_DONE : s.delete_series.Start().Int(1, ref).Step();
    if (!has_data && rc == SQLITE_DONE) gone.push_back(ref);
  }
  if (rc == SQLITE_DONE) rc = s.commit.Run();
  if (rc != SQLITE_DONE) return Fail(rc, nullptr);
  if (deleted != nullptr) *deleted = chunk_count;
  // After the commit, so the caller's index never forgets a series the database still holds.
  if (forgotten) {
    for (SeriesRef ref : gone) forgotten(ref);
  }
  return WriteError::kNone;
}

std::optional<HistoryDb::OldestRow> HistoryDb::Oldest() {
  std::optional<OldestRow> oldest;
  for (Tier tier : {Tier::kRaw, Tier::kMinute, Tier::kHour}) {
    Statement::Use use = statements_->oldest_of_tier.Start();
    if (use.Int(1, static_cast<int>(tier)).Step() != SQLITE_ROW) continue;
    const OldestRow row{tier, use.ColumnInt(0), use.ColumnInt(1)};
    if (!oldest || row.max_t < oldest->max_t) oldest = row;
  }
  return oldest;
}

std::optional<std::pair<Tier, Timestamp>> HistoryDb::OldestChunk() {
  const std::optional<OldestRow> row = Oldest();
  if (!row) return std::nullopt;
  return std::make_pair(row->tier, row->min_t);
}

std::optional<std::pair<Tier, Timestamp>> HistoryDb::OldestChunkEnd() {
  const std::optional<OldestRow> row = Oldest();
  if (!row) return std::nullopt;
  return std::make_pair(row->tier, row->max_t);
}

std::uint64_t HistoryDb::FileBytes() const { return FileSize(path_) + FileSize(path_ + "-wal"); }

std::uint64_t HistoryDb::ChunkBytes(Tier tier) {
  Statement::Use use = statements_->chunk_bytes.Start();
  return use.Int(1, static_cast<int>(tier)).Step() == SQLITE_ROW ? static_cast<std::uint64_t>(use.ColumnInt(0)) : 0;
}

void HistoryDb::Checkpoint() {
  // Failure (a reader in the way, I/O) leaves the WAL as it is; the next checkpoint retries.
  sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

}  // namespace metricsd::storage
