// The standard process_* families of Prometheus client libraries, for metricsd itself:
// process_cpu_seconds_total, process_open_fds, process_max_fds, process_virtual_memory_bytes,
// process_virtual_memory_max_bytes, process_resident_memory_bytes, process_start_time_seconds.
//
// Reads /proc/self on each visit (a few small files, as every client library does); a failed
// read is reported as metricsd_collector_success{collector="process"} 0, never a throw.
#pragma once

#include <atomic>
#include <mutex>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
std::optional<std::uint64_t> ParseBootTime(std::string_view proc_stat);  // "btime" line
// The soft limit of a /proc/<pid>/limits row ("Max open files"); unlimited is 2^64-1, as
// client_golang reports it.
std::optional<double> ParseSoftLimit(std::string_view limits, std::string_view row);

// Thread-safe.
class ProcessSource final : public Source {
 public:
  // `procfs` is the /proc root and `pid` a directory under it ("self" by default).
  explicit ProcessSource(std::string procfs = "/proc", std::string pid = "self");

  // Interface
  std::string_view Name() const override { return "process"; }
  void Visit(FamilyVisitor& visitor) const override;
  std::optional<CollectionStatus> LastCollection() const override;

 private:
  std::optional<std::uint64_t> BootTime() const;

  std::string procfs_;
  std::string pid_dir_;
  long ticks_per_second_;
  long page_size_;
  mutable std::atomic<bool> last_success_{false};
  mutable std::atomic<double> last_duration_{0};
  mutable std::mutex boot_time_mutex_;
  mutable std::optional<std::uint64_t> boot_time_;
};

}  // namespace metricsd
