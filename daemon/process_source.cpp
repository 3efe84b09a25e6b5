#include "daemon/process_source.h"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <limits>
#include <vector>

#include "collectors/host/proc_file.h"

namespace metricsd {
namespace {

using host::ParseUint;
using host::SplitFields;
using host::TryReadFile;

std::optional<int> CountOpenFds(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return std::nullopt;
  int count = 0;
  while (dirent* entry = readdir(d)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(d);
  return count;  // includes opendir's own descriptor, as client_golang's count does
}

}  // namespace

std::optional<ProcSelfStat> ParseProcPidStat(std::string_view text) {
  // 1234 (metricsd) S 1 1234 ... : the command may contain spaces and ')', so fields are
  // counted from the last ')'. The first field after it is field 3 (state).
  std::size_t paren = text.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> fields = SplitFields(text.substr(paren + 1));
  auto field = [&](std::size_t number) { return ParseUint(fields[number - 3]); };
  if (fields.size() < 22) return std::nullopt;
  auto utime = field(14), stime = field(15), start = field(22), vsize = field(23),
       rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  return ProcSelfStat{*utime, *stime, *start, *vsize, *rss};
}

std::optional<std::uint64_t> ParseBootTime(std::string_view proc_stat) {
  std::size_t pos = proc_stat.find("\nbtime ");
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view rest = proc_stat.substr(pos + 7);
  return ParseUint(rest.substr(0, rest.find('\n')));
}

std::optional<double> ParseSoftLimit(std::string_view limits, std::string_view row) {
  std::size_t pos = limits.find(row);
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view line = limits.substr(pos + row.size());
  line = line.substr(0, line.find('\n'));
  std::vector<std::string_view> fields = SplitFields(line);
  if (fields.empty()) return std::nullopt;
  if (fields[0] == "unlimited") return static_cast<double>(std::numeric_limits<std::uint64_t>::max());
  auto value = ParseUint(fields[0]);
  if (!value) return std::nullopt;
  return static_cast<double>(*value);
}

ProcessSource::ProcessSource(std::string procfs, std::string pid)
    : procfs_(std::move(procfs)),
      pid_dir_(procfs_ + "/" + pid),
      ticks_per_second_(sysconf(_SC_CLK_TCK)),
      page_size_(sysconf(_SC_PAGESIZE)) {}

std::optional<std::uint64_t> ProcessSource::BootTime() const {
  // Constant while the machine runs, and /proc/stat is long (the intr line): read it once.
  std::lock_guard lock(boot_time_mutex_);
  if (!boot_time_) {
    if (auto text = TryReadFile(procfs_ + "/stat")) boot_time_ = ParseBootTime(*text);
  }
  return boot_time_;
}

std::optional<CollectionStatus> ProcessSource::LastCollection() const {
  return CollectionStatus{last_success_.load(), last_duration_.load()};
}

void ProcessSource::Visit(FamilyVisitor& visitor) const {
  auto start = std::chrono::steady_clock::now();
  std::optional<ProcSelfStat> stat;
  if (auto text = TryReadFile(pid_dir_ + "/stat")) stat = ParseProcPidStat(*text);
  std::optional<std::uint64_t> boot_time = BootTime();
  std::optional<double> max_fds, max_vm;
  if (auto limits = TryReadFile(pid_dir_ + "/limits")) {
    max_fds = ParseSoftLimit(*limits, "Max open files");
    max_vm = ParseSoftLimit(*limits, "Max address space");
  }
  std::optional<int> open_fds = CountOpenFds(pid_dir_ + "/fd");

  auto gauge = [&](std::string_view name, std::string_view help, MetricType type, double value) {
    visitor.Family(name, help, type);
    visitor.Sample({}, value);
  };
  if (stat) {
    double ticks = static_cast<double>(ticks_per_second_);
    gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
          MetricType::kCounter, static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks);
    gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge,
          static_cast<double>(stat->vsize_bytes));
    gauge("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge,
          static_cast<double>(stat->rss_pages) * static_cast<double>(page_size_));
    if (boot_time) {
      gauge("process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.", MetricType::kGauge,
            static_cast<double>(*boot_time) + static_cast<double>(stat->start_ticks) / ticks);
    }
  }
  if (open_fds) {
    gauge("process_open_fds", "Number of open file descriptors.", MetricType::kGauge, *open_fds);
  }
  if (max_fds) {
    gauge("process_max_fds", "Maximum number of open file descriptors.", MetricType::kGauge,
          *max_fds);
  }
  if (max_vm) {
    gauge("process_virtual_memory_max_bytes",
          "Maximum amount of virtual memory available in bytes.", MetricType::kGauge, *max_vm);
  }

  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  last_success_ = stat && boot_time && open_fds && max_fds && max_vm;
  last_duration_ = elapsed.count();
}

}  // namespace metricsd
