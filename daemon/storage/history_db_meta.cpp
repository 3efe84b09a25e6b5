// HistoryDb's page accounting: rare, so plain statements prepared per call.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>

#include "daemon/storage/history_db.h"

namespace metricsd::storage {

namespace {

std::int64_t PragmaInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) return 0;
  std::int64_t value = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  return value;
}

}  // namespace

std::uint64_t HistoryDb::UsedBytes() {
  std::int64_t pages = PragmaInt(db_, "PRAGMA page_count") - PragmaInt(db_, "PRAGMA freelist_count");
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, pages) * PragmaInt(db_, "PRAGMA page_size"));
}

}  // namespace metricsd::storage
