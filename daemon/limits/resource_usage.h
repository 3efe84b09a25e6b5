// What the load shedder measures: this process's CPU (cores, averaged since the previous
// reading) and resident memory. The shedder takes a UsageReader so tests can replay recorded
// usage shapes instead of burning CPU.
//
// Thread-safety: SelfUsageMeter is not thread-safe (one owner, the shedder's timer).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "daemon/core/proc_file.h"

namespace metricsd::limits {

struct Usage {
  double cpu_cores = 0;       // CPU time used per second of wall time since the last reading
  std::int64_t rss_bytes = 0; // resident set size now
};

using UsageReader = std::function<Usage()>;

class SelfUsageMeter {
 public:
  SelfUsageMeter();
  // CPU: clock_gettime(CLOCK_PROCESS_CPUTIME_ID), the scheduler's nanosecond account of every
  // thread (/proc/self/stat's utime+stime count 10 ms ticks: too coarse for a 500 ms interval).
  // RSS: /proc/self/statm's resident pages (what the kernel's OOM killer and cgroups look at).
  // The first reading's CPU is the average since construction. A failed read throws
  // CollectError.
  Usage Read();

 private:
  double last_cpu_seconds_;
  std::chrono::steady_clock::time_point last_wall_;
  CachedFile statm_{"/proc/self/statm"};
};

// Process CPU seconds (user + system, all threads) so far.
double ProcessCpuSeconds();
// The resident pages field of a /proc/PID/statm text, in bytes; throws CollectError.
std::int64_t ParseStatmResidentBytes(std::string_view statm, std::int64_t page_size);

}  // namespace metricsd::limits
