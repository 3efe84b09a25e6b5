// The analytics database: DIRECTORY/analytics.db, SQLite in WAL mode, beside the history store,
// holding what analytics keep between runs: annotations, versioned baselines per watch, impact
// results per annotation, and a log of report runs.
//
// Layout (schema version 1; application_id "MTSA"):
//   meta(key TEXT PRIMARY KEY, value TEXT)                       schema_version
//   annotations(id INTEGER PRIMARY KEY AUTOINCREMENT, time, time_end, tags TEXT (JSON array),
//               text, source, dashboard_uid, panel_id)           index on time
//   baselines(watch, version, computed_at, json, PRIMARY KEY(watch, version))
//                                                                the last kBaselineVersionsKept
//   impacts(id INTEGER PRIMARY KEY, annotation_id, computed_at, json)   the last kImpactsKept
//   report_runs(id INTEGER PRIMARY KEY, report, at, format, outcome)    the last 1000
//
// A file that is not a SQLite database or fails `PRAGMA quick_check` is moved aside to
// analytics.db.corrupt-<unix seconds> (with its -wal and -shm) and a fresh one created (logged
// as a warning): analytics history is worth less than a running daemon. Errors while running (a
// full disk, a read-only filesystem) throw std::runtime_error with SQLite's message and the
// path; the connection stays usable for the next call.
//
// Thread-safety: thread-safe (one connection behind a mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/analytics/annotation.h"
#include "daemon/core/mutex.h"

struct sqlite3;

namespace metricsd::analytics {

inline constexpr int kAnalyticsSchemaVersion = 1;
// Baseline versions kept per watch (older ones are deleted when a new one is stored).
inline constexpr std::int64_t kBaselineVersionsKept = 10;
// Impact results kept per annotation.
inline constexpr std::int64_t kImpactsKept = 5;

struct StoredBaselines {
  std::int64_t version = 0;
  Timestamp computed_at = 0;  // ms
  std::string json;
};

class AnalyticsDb {
 public:
  // Opens or creates DIRECTORY/analytics.db (creating DIRECTORY). Throws std::runtime_error
  // naming the path when it cannot (permissions, a database of another schema version).
  static std::unique_ptr<AnalyticsDb> Open(const std::string& directory);
  ~AnalyticsDb();
  AnalyticsDb(const AnalyticsDb&) = delete;
  AnalyticsDb& operator=(const AnalyticsDb&) = delete;

  // Stores `annotation` (its id is ignored) and returns the new id. Throws std::invalid_argument
  // when ValidateAnnotation refuses it, std::runtime_error when the write fails.
  std::int64_t AddAnnotation(Annotation annotation);
  // Annotations overlapping [from, to] (time <= to and time_end >= from), having every tag in
  // `tags` (with match_any: at least one, Grafana's matchAny), newest first (by time, then id),
  // at most `limit`.
  std::vector<Annotation> Annotations(Timestamp from, Timestamp to, const std::vector<std::string>& tags,
                                      std::size_t limit, bool match_any = false);
  std::optional<Annotation> GetAnnotation(std::int64_t id);
  // False when there was no such annotation. Its stored impacts go with it.
  bool DeleteAnnotation(std::int64_t id);

  // Stores a new version (the last + 1, 1 for the first) and keeps the last
  // kBaselineVersionsKept. Returns the version.
  std::int64_t PutBaselines(const std::string& watch, Timestamp computed_at, const std::string& json);
  std::optional<StoredBaselines> LatestBaselines(const std::string& watch);
  // Every stored version of `watch`, newest first.
  std::vector<StoredBaselines> BaselineVersions(const std::string& watch);

  void PutImpact(std::int64_t annotation_id, Timestamp computed_at, const std::string& json);
  std::optional<std::string> LatestImpact(std::int64_t annotation_id);

  // outcome: "ok" or the error.
  void RecordReportRun(const std::string& report, Timestamp at, const std::string& format,
                       const std::string& outcome);

  const std::string& path() const { return path_; }
  // Set when Open() found a corrupt file and moved it there.
  const std::string& moved_aside() const { return moved_aside_; }

 private:
  explicit AnalyticsDb(std::string path);
  // Throws std::runtime_error "analytics.db <path>: <what>: <SQLite's message>", after rolling
  // back an open transaction so the connection is ready for the next call.
  [[noreturn]] void Fail(const std::string& what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  std::string path_;
  std::string moved_aside_;
  Mutex mutex_;
  sqlite3* db_ ABSL_GUARDED_BY(mutex_) = nullptr;
};

}  // namespace metricsd::analytics
