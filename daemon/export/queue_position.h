// An endpoint's remote_write position: the sample timestamp up to which everything has been
// acknowledged (or permanently dropped) by the receiver, kept in
// <history directory>/remote_write/<remote_name>.json so a restart resumes where it stopped.
//
// The file is replaced atomically (a temporary file, fsync, rename), so a crash leaves the old
// position or the new one, never a torn file; at worst the last slice is sent again, and
// receivers drop samples they already have.
//
// Thread-safety: free functions; two writers of the same file must be serialized by the caller
// (each endpoint's queue writes only its own file).
#pragma once

#include <optional>
#include <string>

#include "daemon/storage/sample.h"

namespace metricsd::remote {

// <state_directory>/remote_write/<remote_name>.json. The name is used as it is when it is a
// safe file name ([A-Za-z0-9_.-], not starting with a dot), else hex-escaped.
std::string PositionFilePath(const std::string& state_directory, const std::string& remote_name);

// The stored position, or nullopt when the file does not exist. A file that cannot be read or
// parsed is nullopt with `error` set (the caller logs it and starts from now).
std::optional<storage::Timestamp> LoadPosition(const std::string& path, std::string* error);

// Writes the position atomically, creating the directory. False with `error` on failure (the
// position stays in memory; the caller retries at the next advance).
bool SavePosition(const std::string& path, const std::string& remote_name,
                  storage::Timestamp position, std::string* error);

}  // namespace metricsd::remote
