// HistoryDb's meta accessors: small, rare, so plain statements prepared per call.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>

#include "daemon/storage/history_db.h"

namespace metricsd::storage {

std::optional<std::string> HistoryDb::GetMeta(std::string_view key) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = ?1", -1, &stmt, nullptr) != SQLITE_OK) {
    return std::nullopt;
  }
  std::optional<std::string> value;
  sqlite3_bind_text(stmt, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    int size = sqlite3_column_bytes(stmt, 0);
    if (text != nullptr) value.emplace(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
  }
  sqlite3_finalize(stmt);
  return value;
}

bool HistoryDb::SetMeta(std::string_view key, std::string_view value) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", -1, &stmt,
                         nullptr) != SQLITE_OK) {
    return false;
  }
  sqlite3_bind_text(stmt, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  bool ok = sqlite3_step(stmt) == SQLITE_DONE;
  sqlite3_finalize(stmt);
  return ok;
}

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
