#include "daemon/limits/resource_usage.h"

#include <time.h>
#include <unistd.h>

#include <string>

namespace metricsd::limits {

double ProcessCpuSeconds() {
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::int64_t ParseStatmResidentBytes(std::string_view statm, std::int64_t page_size) {
  // "size resident shared text lib data dt": pages.
  std::vector<std::string_view> fields = SplitFields(FirstLine(statm));
  if (fields.size() < 2) throw CollectError("/proc/self/statm: expected at least 2 fields");
  return static_cast<std::int64_t>(RequireUint(fields[1], "/proc/self/statm resident")) * page_size;
}

SelfUsageMeter::SelfUsageMeter()
    : last_cpu_seconds_(ProcessCpuSeconds()), last_wall_(std::chrono::steady_clock::now()) {}

Usage SelfUsageMeter::Read() {
  static const std::int64_t page_size = sysconf(_SC_PAGESIZE);
  Usage usage;
  auto now = std::chrono::steady_clock::now();
  double cpu = ProcessCpuSeconds();
  double wall = std::chrono::duration<double>(now - last_wall_).count();
  if (wall > 0) usage.cpu_cores = (cpu - last_cpu_seconds_) / wall;
  last_cpu_seconds_ = cpu;
  last_wall_ = now;
  usage.rss_bytes = ParseStatmResidentBytes(statm_.Read(), page_size);
  return usage;
}

}  // namespace metricsd::limits
