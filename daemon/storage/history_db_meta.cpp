// HistoryDb's meta accessors: small, rare, so plain statements prepared per call.
#include <sqlite3.h>

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

}  // namespace metricsd::storage
