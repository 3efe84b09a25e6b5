#include "daemon/core/proc_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cstring>

namespace metricsd {

namespace {

// procfs files report size 0, so read until EOF in chunks; one open/read/close, no iostreams.
bool ReadAll(const std::string& path, std::string& out, int& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = errno;
    return false;
  }
  out.clear();
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

}  // namespace

double CountDirEntries(DIR* dir) {
  rewinddir(dir);
  double count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  return count;
}

std::optional<double> CountDirEntries(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return std::nullopt;
  double count = CountDirEntries(dir);
  closedir(dir);
  return count;
}

std::optional<std::string> TryReadFile(const std::string& path) {
  std::string out;
  int error = 0;
  if (!ReadAll(path, out, error)) return std::nullopt;
  return out;
}

CachedFile::~CachedFile() {
  if (fd_ >= 0) ::close(fd_);
}

const std::string& CachedFile::Read() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0) {
      fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) throw CollectError("cannot read " + path_ + ": " + std::strerror(errno));
    }
    buffer_.resize(std::max<std::size_t>(buffer_.capacity(), 4096));
    std::size_t used = 0;
    bool failed = false;
    while (true) {
      if (used == buffer_.size()) buffer_.resize(buffer_.size() * 2);
      ssize_t n = ::pread(fd_, buffer_.data() + used, buffer_.size() - used,
                          static_cast<off_t>(used));
      if (n < 0) {
        if (errno == EINTR) continue;
        failed = true;
        break;
      }
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
    }
    if (!failed) {
      buffer_.resize(used);
      return buffer_;
    }
    // The file may have gone and come back (a network device re-created): reopen once.
    int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (attempt == 1) throw CollectError("cannot read " + path_ + ": " + std::strerror(error));
  }
  return buffer_;
}

const std::string* CachedFile::TryRead() {
  try {
    return &Read();
  } catch (const CollectError&) {
    return nullptr;
  }
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  SplitFields(line, fields);
  return fields;
}

void SplitFields(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::optional<std::uint64_t> ParseUint(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseDouble(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> ParseBootTime(std::string_view proc_stat) {
  std::size_t pos = proc_stat.find("\nbtime ");
  if (pos == std::string_view::npos) return std::nullopt;
  return ParseUint(FirstLine(proc_stat.substr(pos + 7)));
}

std::uint64_t RequireUint(std::string_view text, std::string_view what) {
  std::optional<std::uint64_t> value = ParseUint(text);
  if (!value) throw CollectError(std::string(what) + ": bad number \"" + std::string(text) + "\"");
  return *value;
}

}  // namespace metricsd
