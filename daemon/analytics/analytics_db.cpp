// The analytics database (analytics_db.h): opening (a corrupt file moved aside), the schema,
// and one short statement per call. Statements are prepared per call: analytics write a few
// rows a minute, so a statement cache would buy nothing.
#include "daemon/analytics/analytics_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "daemon/core/database_files.h"
#include "daemon/core/logging.h"

namespace metricsd::analytics {
namespace {

constexpr char kFileName[] = "analytics.db";
// "MTSA" in the header: tells our file from the history store's ("MTSD") and from other
// programs' SQLite files, which are refused rather than mistaken for corrupt ones.
constexpr std::int64_t kApplicationId = 0x4D545341;
constexpr int kBusyTimeoutMs = 2000;
constexpr std::int64_t kReportRunsKept = 1000;

constexpr char kSchema[] = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE annotations(id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL,
                         time_end INTEGER NOT NULL, tags TEXT NOT NULL, text TEXT NOT NULL,
                         source TEXT NOT NULL, dashboard_uid TEXT NOT NULL,
                         panel_id INTEGER NOT NULL);
CREATE INDEX annotations_by_time ON annotations(time);
CREATE TABLE baselines(watch TEXT NOT NULL, version INTEGER NOT NULL, computed_at INTEGER NOT NULL,
                       json TEXT NOT NULL, PRIMARY KEY(watch, version));
CREATE TABLE impacts(id INTEGER PRIMARY KEY, annotation_id INTEGER NOT NULL,
                     computed_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX impacts_by_annotation ON impacts(annotation_id, computed_at);
CREATE TABLE report_runs(id INTEGER PRIMARY KEY, report TEXT NOT NULL, at INTEGER NOT NULL,
                         format TEXT NOT NULL, outcome TEXT NOT NULL);
)sql";

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

bool IsCorruption(int rc) { return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB; }

// One statement for one call: finalised on every path.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  int rc() const { return rc_; }
  Statement& Int(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  // SQLITE_TRANSIENT: SQLite copies, so temporaries are fine.
  Statement& Text(int index, std::string_view text) {
    sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
  }
  int Step() { return rc_ = sqlite3_step(stmt_); }
  std::int64_t ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string ColumnText(int column) const {
    const unsigned char* text = sqlite3_column_text(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), size);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

enum class Verdict { kFresh, kOurs, kCorrupt, kRefused };

// Reads only: application id, tables, schema version, quick_check.
Verdict Inspect(sqlite3* db, std::string* why) {
  auto failed = [&](int rc) {
    *why = std::string(kFileName) + (IsCorruption(rc) ? " is not a readable SQLite database: " : ": ") +
           Message(db);
    return IsCorruption(rc) ? Verdict::kCorrupt : Verdict::kRefused;
  };
  Statement id(db, "PRAGMA application_id");
  if (!id.ok() || id.Step() != SQLITE_ROW) return failed(id.rc());
  const std::int64_t application_id = id.ColumnInt(0);
  std::set<std::string> tables;
  Statement names(db, "SELECT name FROM sqlite_master WHERE type = 'table'");
  if (!names.ok()) return failed(names.rc());
  int rc = SQLITE_ROW;
  while ((rc = names.Step()) == SQLITE_ROW) tables.insert(names.ColumnText(0));
  if (rc != SQLITE_DONE) return failed(rc);
  if (application_id != kApplicationId) {
    if (application_id == 0 && tables.empty()) return Verdict::kFresh;
    *why = std::string(kFileName) + " is a SQLite database of another program (application_id " +
           std::to_string(application_id) + "); it is left untouched";
    return Verdict::kRefused;
  }
  for (const char* table : {"meta", "annotations", "baselines", "impacts", "report_runs"}) {
    if (!tables.contains(table)) {
      *why = std::string(kFileName) + " misses its " + table + " table";
      return Verdict::kCorrupt;
    }
  }
  Statement version(db, "SELECT value FROM meta WHERE key = 'schema_version'");
  if (!version.ok()) return failed(version.rc());
  rc = version.Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return failed(rc);
  const std::string text = rc == SQLITE_ROW ? version.ColumnText(0) : "";
  if (text != std::to_string(kAnalyticsSchemaVersion)) {
    *why = std::string(kFileName) + " has schema version \"" + text + "\", this metricsd reads " +
           std::to_string(kAnalyticsSchemaVersion) + "; it is left untouched";
    return Verdict::kRefused;
  }
  Statement check(db, "PRAGMA quick_check(5)");
  if (!check.ok()) return failed(check.rc());
  std::string problems;
  while ((rc = check.Step()) == SQLITE_ROW) {
    if (std::string row = check.ColumnText(0); row != "ok") problems += (problems.empty() ? "" : "; ") + row;
  }
  if (rc != SQLITE_DONE) return failed(rc);
  if (!problems.empty()) {
    *why = std::string(kFileName) + " fails quick_check: " + problems;
    return Verdict::kCorrupt;
  }
  return Verdict::kOurs;
}

// Opens the connection; "" or why not.
std::string Connect(const std::string& path, sqlite3** db) {
  const int rc = sqlite3_open_v2(path.c_str(), db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string error = "cannot open: " + Message(*db);
    sqlite3_close_v2(*db);
    *db = nullptr;
    return error;
  }
  sqlite3_extended_result_codes(*db, 1);
  sqlite3_busy_timeout(*db, kBusyTimeoutMs);
  return "";
}

std::string Configure(sqlite3* db, bool fresh) {
  auto failed = [&](const std::string& what) { return what + ": " + Message(db); };
  {
    // Scoped: a statement still open would keep the schema's transaction from committing.
    Statement wal(db, "PRAGMA journal_mode = WAL");
    if (!wal.ok() || wal.Step() != SQLITE_ROW || wal.ColumnText(0) != "wal") return failed("cannot switch to WAL mode");
  }
  if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return failed("cannot configure");
  }
  if (!fresh) return "";
  const std::string create = "BEGIN IMMEDIATE; PRAGMA application_id = " + std::to_string(kApplicationId) + ";" +
                             kSchema + "INSERT INTO meta(key, value) VALUES('schema_version', '" +
                             std::to_string(kAnalyticsSchemaVersion) + "'); COMMIT;";
  if (sqlite3_exec(db, create.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string error = failed("cannot create the schema");
    if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return error;
  }
  return "";
}

std::string TagsJson(const std::vector<std::string>& tags) { return nlohmann::json(tags).dump(); }

std::vector<std::string> TagsFromJson(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> tags;
  if (!json.is_array()) return tags;
  for (const auto& tag : json) {
    if (tag.is_string()) tags.push_back(tag.get<std::string>());
  }
  return tags;
}

constexpr char kAnnotationColumns[] = "id, time, time_end, tags, text, source, dashboard_uid, panel_id";

Annotation ReadAnnotation(const Statement& row) {
  Annotation a;
  a.id = row.ColumnInt(0);
  a.time = row.ColumnInt(1);
  a.time_end = row.ColumnInt(2);
  a.tags = TagsFromJson(row.ColumnText(3));
  a.text = row.ColumnText(4);
  a.source = row.ColumnText(5);
  a.dashboard_uid = row.ColumnText(6);
  a.panel_id = row.ColumnInt(7);
  return a;
}

}  // namespace

AnalyticsDb::AnalyticsDb(std::string path) : path_(std::move(path)) {}

AnalyticsDb::~AnalyticsDb() {
  MutexLock lock(mutex_);
  sqlite3_close_v2(db_);
}

std::unique_ptr<AnalyticsDb> AnalyticsDb::Open(const std::string& directory) {
  const std::string where = "analytics database in " + directory + ": ";
  if (std::string error = MakeDirectories(directory); !error.empty()) throw std::runtime_error(where + error);
  const bool has_slash = !directory.empty() && directory.back() == '/';
  std::unique_ptr<AnalyticsDb> db(new AnalyticsDb(directory + (has_slash ? "" : "/") + kFileName));
  MutexLock lock(db->mutex_);
  std::string why = Connect(db->path_, &db->db_);
  if (!why.empty()) throw std::runtime_error(where + why);
  Verdict verdict = Inspect(db->db_, &why);
  if (verdict == Verdict::kRefused) throw std::runtime_error(where + why);
  if (verdict == Verdict::kCorrupt) {
    sqlite3_close_v2(db->db_);
    db->db_ = nullptr;
    if (std::string error = MoveDatabaseAside(db->path_, &db->moved_aside_); !error.empty()) {
      throw std::runtime_error(where + why + "; " + error);
    }
    LogWarn("analytics database was corrupt: moved aside, starting a fresh one",
            {{"why", why}, {"moved_to", db->moved_aside_}});
    if (why = Connect(db->path_, &db->db_); !why.empty()) throw std::runtime_error(where + why);
  }
  if (why = Configure(db->db_, verdict != Verdict::kOurs); !why.empty()) throw std::runtime_error(where + why);
  return db;
}

void AnalyticsDb::Fail(const std::string& what) {
  std::string message = "analytics database " + path_ + ": " + what + ": " + Message(db_);
  if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  throw std::runtime_error(message);
}

std::int64_t AnalyticsDb::AddAnnotation(Annotation annotation) {
  if (std::string error = ValidateAnnotation(annotation); !error.empty()) throw std::invalid_argument(error);
  MutexLock lock(mutex_);
  Statement insert(db_,
                   "INSERT INTO annotations(time, time_end, tags, text, source, dashboard_uid, panel_id) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!insert.ok()) Fail("cannot add an annotation");
  insert.Int(1, annotation.time)
      .Int(2, annotation.time_end)
      .Text(3, TagsJson(annotation.tags))
      .Text(4, annotation.text)
      .Text(5, annotation.source)
      .Text(6, annotation.dashboard_uid)
      .Int(7, annotation.panel_id);
  if (insert.Step() != SQLITE_DONE) Fail("cannot add an annotation");
  return sqlite3_last_insert_rowid(db_);
}

std::vector<Annotation> AnalyticsDb::Annotations(Timestamp from, Timestamp to, const std::vector<std::string>& tags,
                                                 std::size_t limit, bool match_any) {
  std::vector<Annotation> out;
  if (limit == 0 || from > to) return out;
  MutexLock lock(mutex_);
  // Tags are matched here rather than in SQL: annotations are few (people and deploys make
  // them), and the time range narrows them through the index first.
  const std::string sql = std::string("SELECT ") + kAnnotationColumns +
                          " FROM annotations WHERE time <= ?2 AND time_end >= ?1 ORDER BY time DESC, id DESC";
  Statement select(db_, sql.c_str());
  if (!select.ok()) Fail("cannot read annotations");
  select.Int(1, from).Int(2, to);
  int rc = SQLITE_ROW;
  while (out.size() < limit && (rc = select.Step()) == SQLITE_ROW) {
    Annotation a = ReadAnnotation(select);
    auto carries = [&](const std::string& tag) { return std::find(a.tags.begin(), a.tags.end(), tag) != a.tags.end(); };
    const bool wanted = tags.empty() || (match_any ? std::any_of(tags.begin(), tags.end(), carries)
                                                   : std::all_of(tags.begin(), tags.end(), carries));
    if (wanted) out.push_back(std::move(a));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) Fail("cannot read annotations");
  return out;
}

std::optional<Annotation> AnalyticsDb::GetAnnotation(std::int64_t id) {
  MutexLock lock(mutex_);
  const std::string sql = std::string("SELECT ") + kAnnotationColumns + " FROM annotations WHERE id = ?1";
  Statement select(db_, sql.c_str());
  if (!select.ok()) Fail("cannot read an annotation");
  const int rc = select.Int(1, id).Step();
  if (rc == SQLITE_ROW) return ReadAnnotation(select);
  if (rc != SQLITE_DONE) Fail("cannot read an annotation");
  return std::nullopt;
}

bool AnalyticsDb::DeleteAnnotation(std::int64_t id) {
  MutexLock lock(mutex_);
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) Fail("cannot delete an annotation");
  Statement remove(db_, "DELETE FROM annotations WHERE id = ?1");
  if (!remove.ok() || remove.Int(1, id).Step() != SQLITE_DONE) Fail("cannot delete an annotation");
  const bool deleted = sqlite3_changes(db_) > 0;
  Statement impacts(db_, "DELETE FROM impacts WHERE annotation_id = ?1");
  if (!impacts.ok() || impacts.Int(1, id).Step() != SQLITE_DONE) Fail("cannot delete an annotation's impacts");
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) Fail("cannot delete an annotation");
  return deleted;
}

std::int64_t AnalyticsDb::PutBaselines(const std::string& watch, Timestamp computed_at, const std::string& json) {
  MutexLock lock(mutex_);
  // One transaction: the version read and the insert cannot interleave with another writer
  // (another process on the same file included: BEGIN IMMEDIATE takes the write lock).
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) Fail("cannot store baselines");
  Statement last(db_, "SELECT coalesce(max(version), 0) FROM baselines WHERE watch = ?1");
  if (!last.ok() || last.Text(1, watch).Step() != SQLITE_ROW) Fail("cannot store baselines");
  const std::int64_t version = last.ColumnInt(0) + 1;
  Statement insert(db_, "INSERT INTO baselines(watch, version, computed_at, json) VALUES(?1, ?2, ?3, ?4)");
  if (!insert.ok() || insert.Text(1, watch).Int(2, version).Int(3, computed_at).Text(4, json).Step() != SQLITE_DONE) {
    Fail("cannot store baselines");
  }
  Statement prune(db_, "DELETE FROM baselines WHERE watch = ?1 AND version <= ?2");
  if (!prune.ok() || prune.Text(1, watch).Int(2, version - kBaselineVersionsKept).Step() != SQLITE_DONE) {
    Fail("cannot prune old baselines");
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) Fail("cannot store baselines");
  return version;
}

std::vector<StoredBaselines> AnalyticsDb::BaselineVersions(const std::string& watch) {
  MutexLock lock(mutex_);
  Statement select(db_, "SELECT version, computed_at, json FROM baselines WHERE watch = ?1 ORDER BY version DESC");
  if (!select.ok()) Fail("cannot read baselines");
  select.Text(1, watch);
  std::vector<StoredBaselines> out;
  int rc = SQLITE_ROW;
  while ((rc = select.Step()) == SQLITE_ROW) {
    out.push_back({select.ColumnInt(0), select.ColumnInt(1), select.ColumnText(2)});
  }
  if (rc != SQLITE_DONE) Fail("cannot read baselines");
  return out;
}

std::optional<StoredBaselines> AnalyticsDb::LatestBaselines(const std::string& watch) {
  MutexLock lock(mutex_);
  Statement select(db_,
                   "SELECT version, computed_at, json FROM baselines WHERE watch = ?1 ORDER BY version DESC LIMIT 1");
  if (!select.ok()) Fail("cannot read baselines");
  const int rc = select.Text(1, watch).Step();
  if (rc == SQLITE_ROW) return StoredBaselines{select.ColumnInt(0), select.ColumnInt(1), select.ColumnText(2)};
  if (rc != SQLITE_DONE) Fail("cannot read baselines");
  return std::nullopt;
}

void AnalyticsDb::PutImpact(std::int64_t annotation_id, Timestamp computed_at, const std::string& json) {
  MutexLock lock(mutex_);
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) Fail("cannot store an impact");
  Statement insert(db_, "INSERT INTO impacts(annotation_id, computed_at, json) VALUES(?1, ?2, ?3)");
  if (!insert.ok() || insert.Int(1, annotation_id).Int(2, computed_at).Text(3, json).Step() != SQLITE_DONE) {
    Fail("cannot store an impact");
  }
  Statement prune(db_,
                  "DELETE FROM impacts WHERE annotation_id = ?1 AND id NOT IN (SELECT id FROM impacts "
                  "WHERE annotation_id = ?1 ORDER BY computed_at DESC, id DESC LIMIT ?2)");
  if (!prune.ok() || prune.Int(1, annotation_id).Int(2, kImpactsKept).Step() != SQLITE_DONE) {
    Fail("cannot prune old impacts");
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) Fail("cannot store an impact");
}

std::optional<std::string> AnalyticsDb::LatestImpact(std::int64_t annotation_id) {
  MutexLock lock(mutex_);
  Statement select(db_,
                   "SELECT json FROM impacts WHERE annotation_id = ?1 ORDER BY computed_at DESC, id DESC LIMIT 1");
  if (!select.ok()) Fail("cannot read an impact");
  const int rc = select.Int(1, annotation_id).Step();
  if (rc == SQLITE_ROW) return select.ColumnText(0);
  if (rc != SQLITE_DONE) Fail("cannot read an impact");
  return std::nullopt;
}

void AnalyticsDb::RecordReportRun(const std::string& report, Timestamp at, const std::string& format,
                                  const std::string& outcome) {
  MutexLock lock(mutex_);
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) Fail("cannot record a report run");
  Statement insert(db_, "INSERT INTO report_runs(report, at, format, outcome) VALUES(?1, ?2, ?3, ?4)");
  if (!insert.ok() || insert.Text(1, report).Int(2, at).Text(3, format).Text(4, outcome).Step() != SQLITE_DONE) {
    Fail("cannot record a report run");
  }
  Statement prune(db_, "DELETE FROM report_runs WHERE id <= (SELECT max(id) FROM report_runs) - ?1");
  if (!prune.ok() || prune.Int(1, kReportRunsKept).Step() != SQLITE_DONE) Fail("cannot prune report runs");
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) Fail("cannot record a report run");
}

}  // namespace metricsd::analytics
