#include "daemon/process_source.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <vector>

#include "daemon/core/proc_file.h"

namespace metricsd {
namespace {


// RLIM_INFINITY is reported as 2^64-1, as client_golang reports an unlimited limit.
std::optional<double> SoftLimit(int resource) {
  struct rlimit limit {};
  if (getrlimit(resource, &limit) != 0) return std::nullopt;
  if (limit.rlim_cur == RLIM_INFINITY) {
    return static_cast<double>(std::numeric_limits<std::uint64_t>::max());
  }
  return static_cast<double>(limit.rlim_cur);
}

}  // namespace

std::optional<ProcSelfStat> ParseProcPidStat(std::string_view text) {
  // 1234 (metricsd) S 1 1234 ... : the command may contain spaces and ')', so fields are
  // counted from the last ')'. The first field after it is field 3 (state).
  std::size_t paren = text.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> fields = SplitFields(FirstLine(text.substr(paren + 1)));
  auto field = [&](std::size_t number) { return ParseUint(fields[number - 3]); };
  if (fields.size() < 22) return std::nullopt;
  auto utime = field(14), stime = field(15), start = field(22), vsize = field(23),
       rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  return ProcSelfStat{*utime, *stime, *start, *vsize, *rss};
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseStatm(std::string_view text) {
  std::vector<std::string_view> fields = SplitFields(FirstLine(text));
  if (fields.size() < 2) return std::nullopt;
  auto size = ParseUint(fields[0]), resident = ParseUint(fields[1]);
  if (!size || !resident) return std::nullopt;
  return std::pair{*size, *resident};
}

ProcessSource::ProcessSource(std::string procfs)
    : procfs_(std::move(procfs)),
      page_size_(static_cast<double>(sysconf(_SC_PAGESIZE))),
      statm_(std::make_unique<CachedFile>(procfs_ + "/self/statm")),
      fd_dir_(opendir((procfs_ + "/self/fd").c_str())) {
  auto stat = TryReadFile(procfs_ + "/self/stat");
  auto proc_stat = TryReadFile(procfs_ + "/stat");
  std::optional<ProcSelfStat> self = stat ? ParseProcPidStat(*stat) : std::nullopt;
  std::optional<std::uint64_t> boot = proc_stat ? ParseBootTime(*proc_stat) : std::nullopt;
  if (self && boot) {
    start_time_seconds_ = static_cast<double>(*boot) +
                          static_cast<double>(self->start_ticks) /
                              static_cast<double>(sysconf(_SC_CLK_TCK));
  }
}

ProcessSource::~ProcessSource() {
  if (fd_dir_ != nullptr) closedir(fd_dir_);
}

std::optional<CollectionStatus> ProcessSource::LastCollection() const {
  return CollectionStatus{last_success_.load(), last_duration_.load()};
}

void ProcessSource::Visit(FamilyVisitor& visitor) const {
  static constexpr std::string_view kFamilies[] = {
      "process_cpu_seconds_total", "process_virtual_memory_bytes", "process_resident_memory_bytes",
      "process_start_time_seconds", "process_open_fds", "process_max_fds",
      "process_virtual_memory_max_bytes"};
  // Reading statm and counting fds is most of a scrape of this Source: not for a visitor
  // (an alert rule group) that wants none of it.
  if (std::none_of(std::begin(kFamilies), std::end(kFamilies),
                   [&](std::string_view family) { return visitor.Wants(family); })) {
    return;
  }
  auto start = std::chrono::steady_clock::now();
  struct rusage usage {};
  bool have_usage = getrusage(RUSAGE_SELF, &usage) == 0;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> memory;
  std::optional<double> open_fds;
  {
    MutexLock lock(files_mutex_);
    if (const std::string* statm = statm_->TryRead()) memory = ParseStatm(*statm);
    if (fd_dir_ != nullptr) open_fds = CountDirEntries(fd_dir_);  // counts the directory's own fd, as client_golang does
  }
  std::optional<double> max_fds = SoftLimit(RLIMIT_NOFILE);
  std::optional<double> max_vm = SoftLimit(RLIMIT_AS);

  auto gauge = [&](std::string_view name, std::string_view help, MetricType type, double value) {
    visitor.Family(name, help, type);
    visitor.Sample({}, value);
  };
  if (have_usage) {
    auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
          MetricType::kCounter, seconds(usage.ru_utime) + seconds(usage.ru_stime));
  }
  if (memory) {
    gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge,
          static_cast<double>(memory->first) * page_size_);
    gauge("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge,
          static_cast<double>(memory->second) * page_size_);
  }
  if (start_time_seconds_) {
    gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
          MetricType::kGauge, *start_time_seconds_);
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
  last_success_ = have_usage && memory && start_time_seconds_ && open_fds && max_fds && max_vm;
  last_duration_ = elapsed.count();
}

}  // namespace metricsd
