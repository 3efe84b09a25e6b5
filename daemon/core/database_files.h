// The file handling the daemon's two SQLite databases (history.db, analytics.db) share: their
// directory made on first start, and a corrupt file moved aside with its WAL so a fresh one can
// take its name. Free functions over paths; thread-safe as the file system is.
#pragma once

#include <string>

namespace metricsd {

// mkdir -p with mode 0750; "" on success, else what went wrong in the system's words.
std::string MakeDirectories(const std::string& directory);

// Renames the database `path` and its -wal and -shm to `path`.corrupt-<unix seconds>[.n] and
// syncs the directory; sets `*moved_to`. The WAL must go with it: left behind, its frames could
// be replayed into the fresh database. "" on success, else why not.
std::string MoveDatabaseAside(const std::string& path, std::string* moved_to);

}  // namespace metricsd
