// Reading sysfs class directories as prometheus/procfs's sysfs package does, for the
// infiniband, fibrechannel and powersupplyclass collectors: entry listings that tell "absent"
// (the collector reports nothing) from unreadable (CollectError), and single-value attribute
// files trimmed like procfs's util.SysReadFile.
//
// Thread-safety: free functions over the filesystem; safe from any thread.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/proc_file.h"

namespace metricsd::host::system {

struct DirEntry {
  std::string name;
  bool regular = false;  // d_type DT_REG, as Go's DirEntry.Type().IsRegular()
};

// The entries of `path` sorted by name (Go's os.ReadDir order), without "." and "..";
// nullopt when the directory does not exist (ENOENT or ENOTDIR); CollectError otherwise.
inline std::optional<std::vector<DirEntry>> ListDir(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw CollectError(path + ": " + std::strerror(errno));
  }
  std::vector<DirEntry> entries;
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    entries.push_back({std::string(name), entry->d_type == DT_REG});
  }
  closedir(dir);
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return entries;
}

// ListDir where absence is an error too (a device's own subdirectory).
inline std::vector<DirEntry> RequireDir(const std::string& path) {
  std::optional<std::vector<DirEntry>> entries = ListDir(path);
  if (!entries) throw CollectError(path + ": no such directory");
  return std::move(*entries);
}

// The outcome of reading one attribute: its text, or the errno that stopped it.
struct SysValue {
  std::string text;
  int error = 0;  // 0 when read
};

inline std::string_view TrimSpace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// One read(2) of up to 128 bytes, trimmed of white space (util.SysReadFile: some hwmon
// drivers return EAGAIN forever to a read loop, so procfs reads once).
inline SysValue ReadSysValue(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {{}, errno};
  char buffer[128];
  ssize_t n = read(fd, buffer, sizeof buffer);
  int error = n < 0 ? errno : 0;
  close(fd);
  if (n < 0) return {{}, error};
  return {std::string(TrimSpace(std::string_view(buffer, static_cast<std::size_t>(n)))), 0};
}

// ReadSysValue that throws CollectError on any failure.
inline std::string RequireSysValue(const std::string& path) {
  SysValue value = ReadSysValue(path);
  if (value.error != 0) throw CollectError(path + ": " + std::strerror(value.error));
  return std::move(value.text);
}

// The errors procfs skips for attribute files in a statistics directory: absent, write-only
// (EINVAL, EOPNOTSUPP).
inline bool SkippableSysError(int error) {
  return error == ENOENT || error == EINVAL || error == EOPNOTSUPP;
}

// Go's strconv.ParseUint(text, 0, 64) / ParseInt(text, 0, 64), as procfs's ValueParser:
// "0x" hexadecimal, a leading "0" octal, otherwise decimal; nothing else around the digits.
inline std::optional<std::uint64_t> ParseUintBase0(std::string_view text) {
  if (text.empty() || text[0] == '-' || text[0] == '+' || text[0] == ' ') return std::nullopt;
  std::string copy(text);
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(copy.c_str(), &end, 0);
  if (errno != 0 || end != copy.c_str() + copy.size()) return std::nullopt;
  return static_cast<std::uint64_t>(value);
}
inline std::optional<std::int64_t> ParseIntBase0(std::string_view text) {
  if (text.empty() || text[0] == ' ' || text[0] == '\t') return std::nullopt;
  std::string copy(text);
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(copy.c_str(), &end, 0);
  if (errno != 0 || end != copy.c_str() + copy.size()) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

}  // namespace metricsd::host::system
