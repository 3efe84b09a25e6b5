// Reading and splitting procfs/sysfs files: what the host collectors and the daemon's own
// process_* metrics (daemon/process_source) share, so neither reaches into the other.
//
// Thread-safety: the free functions are pure and safe from any thread; CachedFile and
// SharedFile are not thread-safe (each belongs to one poller or is used under a lock).
#pragma once

#include <dirent.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace metricsd {

// A file that cannot be read or a value that cannot be parsed: the collection that needed it
// reports success 0 with this reason. Thrown by the readers below and by collectors, caught
// by whoever schedules the collection.
class CollectError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The whole file, or nullopt if it cannot be read (optional inputs such as udev data).
std::optional<std::string> TryReadFile(const std::string& path);

// A procfs/sysfs file kept open and re-read with pread(2) from offset 0 on each poll, as
// ClickHouse's AsynchronousMetrics does: the kernel regenerates the text on every read, and
// the open(2) path walk is skipped. Reopens after an error.
// Thread-safety: not thread-safe; one owner (a poller, or a Source under its lock).
class CachedFile {
 public:
  explicit CachedFile(std::string path) : path_(std::move(path)) {}
  CachedFile(const CachedFile&) = delete;
  CachedFile& operator=(const CachedFile&) = delete;
  ~CachedFile();

  // The whole file; throws CollectError naming the path and errno's reason.
  const std::string& Read();
  // The whole file, or null when it cannot be read (optional inputs such as sockstat6).
  const std::string* TryRead();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::string buffer_;  // reused across polls
};

// One file read by several collectors of the same poll (cpu and stat both parse /proc/stat):
// a read within `reuse` of the previous one returns the same text instead of asking the kernel
// to generate it again. Polls are at least 100ms apart, so a poll never sees the previous
// poll's text.
// Thread-safety: not thread-safe; the poller's thread only.
class SharedFile {
 public:
  explicit SharedFile(std::string path) : file_(std::move(path)) {}
  const std::string& Read() {
    auto now = std::chrono::steady_clock::now();
    if (!text_ || now - read_at_ > std::chrono::milliseconds(50)) {
      text_ = nullptr;  // a failed read must not leave stale text behind
      text_ = &file_.Read();
      read_at_ = now;
    }
    return *text_;
  }
  const std::string& path() const { return file_.path(); }

 private:
  CachedFile file_;
  const std::string* text_ = nullptr;
  std::chrono::steady_clock::time_point read_at_;
};

// Entries of a directory such as /proc/PID/fd, without "." and ".."; `dir` is rewound first,
// so an open DIR can be kept and counted again (procfs lists the entries afresh).
double CountDirEntries(DIR* dir);
// The same for a path; nullopt when it cannot be opened (another user's process).
std::optional<double> CountDirEntries(const std::string& path);

// Fields separated by runs of spaces or tabs.
std::vector<std::string_view> SplitFields(std::string_view line);
// The same into `out` (cleared first; its capacity is reused, so a loop allocates once).
void SplitFields(std::string_view line, std::vector<std::string_view>& out);

// Lines of a text without allocating:  LineReader lines(text); while (lines.Next(line)) ...
// Thread-safety: not thread-safe; a local cursor.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}
  bool Next(std::string_view& line) {
    if (rest_.empty()) return false;
    std::size_t end = rest_.find('\n');
    line = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
    return true;
  }

 private:
  std::string_view rest_;
};
// Lines without their '\n'; a final line without '\n' counts, an empty last one does not.
std::vector<std::string_view> SplitLines(std::string_view text);

// Up to the first '\n'.
inline std::string_view FirstLine(std::string_view text) { return text.substr(0, text.find('\n')); }

// Whole-string numeric parses; nullopt on any stray character.
std::optional<std::uint64_t> ParseUint(std::string_view text);
std::optional<double> ParseDouble(std::string_view text);

// The "btime" line of /proc/stat: boot time in seconds since the epoch.
std::optional<std::uint64_t> ParseBootTime(std::string_view proc_stat);

// ParseUint that throws CollectError("<what>: bad number \"...\"").
std::uint64_t RequireUint(std::string_view text, std::string_view what);

}  // namespace metricsd
