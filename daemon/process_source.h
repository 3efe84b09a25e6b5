// The standard process_* families of Prometheus client libraries, for metricsd itself:
// process_cpu_seconds_total, process_open_fds, process_max_fds, process_virtual_memory_bytes,
// process_virtual_memory_max_bytes, process_resident_memory_bytes, process_start_time_seconds.
//
// Computed on each visit, as every client library does, but as cheaply as the kernel allows:
// CPU from getrusage(2), limits from getrlimit(2), memory from /proc/self/statm, open fds by
// listing /proc/self/fd; the start time is constant and read once. A failed read is reported
// as metricsd_collector_success{collector="process"} 0, never a throw.
#pragma once

#include <dirent.h>

#include <atomic>
#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/proc_file.h"
#include "daemon/core/mutex.h"
#include "daemon/core/source.h"

namespace metricsd {

// The fields of /proc/<pid>/stat we use, already in their kernel units.
struct ProcSelfStat {
  std::uint64_t utime_ticks = 0;
  std::uint64_t stime_ticks = 0;
  std::uint64_t start_ticks = 0;  // since boot
  std::uint64_t vsize_bytes = 0;
  std::uint64_t rss_pages = 0;
};

// Parsers over file contents, testable without a filesystem.
std::optional<ProcSelfStat> ParseProcPidStat(std::string_view text);
// /proc/<pid>/statm: "size resident shared ..." in pages -> {size, resident}.
std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseStatm(std::string_view text);

// Thread-safety: thread-safe; Visit() may run on several scrape threads at once.
class ProcessSource final : public Source {
 public:
  // `procfs` is where /proc is mounted (tests point it elsewhere to make reads fail).
  explicit ProcessSource(std::string procfs = "/proc");
  ~ProcessSource() override;
  ProcessSource(const ProcessSource&) = delete;
  ProcessSource& operator=(const ProcessSource&) = delete;

  // Interface
  std::string_view Name() const override { return "process"; }
  void Visit(FamilyVisitor& visitor) const override;
  std::optional<CollectionStatus> LastCollection() const override;

 private:
  std::string procfs_;
  double page_size_;
  // statm and the fd directory stay open and are re-read from the start on each visit:
  // opening them again costs more than reading them.
  mutable Mutex files_mutex_;
  mutable std::unique_ptr<CachedFile> statm_ ABSL_GUARDED_BY(files_mutex_);
  mutable DIR* fd_dir_ ABSL_GUARDED_BY(files_mutex_) = nullptr;
  std::optional<double> start_time_seconds_;  // constant for the life of the process
  mutable std::atomic<bool> last_success_{false};
  mutable std::atomic<double> last_duration_{0};
};

}  // namespace metricsd
