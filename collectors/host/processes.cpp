// Process groups (host.processes) as process-exporter's namedprocess_namegroup_* families.
//
// Each poll scans /proc for numeric directories, assigns each process to the first group that
// matches it (comm, command-line regex or pidfile), and reads the members' stat, status, io,
// fd and limits. Group counters are accumulated from per-process deltas: a process that exits
// keeps its contribution, so a group's counters never go backwards; a process seen for the
// first time contributes its whole history, as process-exporter counts it.
//
// /proc/PID/fd (a 0500 directory) and /proc/PID/io (a 0400 file, also behind a ptrace read
// check) of another user's process are refused (EACCES) without CAP_DAC_READ_SEARCH and
// CAP_SYS_PTRACE, which the packaged unit grants. Such a read is never counted as 0: the
// process adds nothing to the group's fd and I/O families (a group none of whose members is
// readable has no sample there, since any value would be a lie), and
// metricsd_process_group_read_errors_total counts each refused read by group, file and reason,
// as process-exporter's namedprocess_scrape_partial_errors counts partial reads.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <map>

#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

// Counters kept per process and per group, in this order.
enum Counter {
  kUserSeconds,
  kSystemSeconds,
  kReadBytes,
  kWriteBytes,
  kVoluntarySwitches,
  kNonvoluntarySwitches,
  kMajorFaults,
  kMinorFaults,
  kCounterCount
};
using Counters = std::array<double, kCounterCount>;

// The per-process files that may be refused, and how a read ended: the values before
// kFailureCount are the counted reasons (the `reason` label).
enum ProcFile { kFdDir, kIoFile, kProcFileCount };
constexpr std::array<std::string_view, kProcFileCount> kProcFileNames = {"fd", "io"};
enum ReadFailure { kPermission, kOtherFailure, kFailureCount, kReadable, kGone };
constexpr std::array<std::string_view, kFailureCount> kFailureNames = {"permission", "other"};
using ReadErrors = std::array<std::array<double, kFailureCount>, kProcFileCount>;

ReadFailure FailureOf(int error) {
  if (error == EACCES || error == EPERM) return kPermission;
  // The process exited between its stat and this read: not an error, it is simply not there.
  if (error == ENOENT || error == ESRCH) return kGone;
  return kOtherFailure;
}

// The whole file, or why not (TryReadFile drops errno, and errno is the point here).
ReadFailure ReadProcFile(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FailureOf(errno);
  out.clear();
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return FailureOf(error);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return kReadable;
}

ReadFailure CountFds(const std::string& path, double& count) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return FailureOf(errno);
  count = CountDirEntries(dir);
  closedir(dir);
  return kReadable;
}

struct ProcessSample {
  int pid = 0;
  std::uint64_t start_ticks = 0;  // identifies the process across polls with its pid
  Counters counters{};
  bool io_readable = false;  // kReadBytes and kWriteBytes hold values only when true
  double threads = 0, resident = 0, virtual_bytes = 0, swapped = 0;
  std::optional<double> open_fds, max_fds;
  double start_time_seconds = 0;
  std::array<ReadFailure, kProcFileCount> failures{kReadable, kReadable};
};

struct GroupTotals {
  Counters counters{};
  double procs = 0, threads = 0, resident = 0, virtual_bytes = 0, swapped = 0, open_fds = 0;
  double worst_fd_ratio = 0;
  double oldest_start = 0;  // 0 while the group has no member
  // Members whose fd directory / io file was read in this poll.
  double fd_readable = 0, io_readable = 0;
  ReadErrors read_errors{};  // cumulative
};

// "4242 (name) S 1 ..." -> fields after the command, numbered from 3.
bool ParseStat(std::string_view text, std::string_view& comm, std::vector<std::string_view>& fields) {
  std::size_t open = text.find('('), close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
  comm = text.substr(open + 1, close - open - 1);
  fields = SplitFields(FirstLine(text.substr(close + 1)));
  return fields.size() >= 22;
}

double StatusValue(std::string_view status, std::string_view key, double scale) {
  std::size_t pos = status.find(key);
  if (pos == std::string_view::npos) return 0;
  std::vector<std::string_view> fields = SplitFields(FirstLine(status.substr(pos + key.size())));
  if (fields.empty()) return 0;
  return static_cast<double>(ParseUint(fields[0]).value_or(0)) * scale;
}

class ProcessesCollector final : public HostCollector {
 public:
  explicit ProcessesCollector(const HostConfig& config)
      : paths_(config.paths),
        groups_(config.processes),
        ticks_(static_cast<double>(sysconf(_SC_CLK_TCK))),
        page_size_(static_cast<double>(sysconf(_SC_PAGESIZE))),
        totals_(groups_.size()) {}

  std::string_view Name() const override { return "processes"; }

  void Collect(FamilySet& out) override {
    double boot_time = BootTime();
    std::vector<std::vector<ProcessSample>> members(groups_.size());
    std::vector<std::optional<int>> pidfile_pids(groups_.size());
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      if (groups_[g].pidfile.empty()) continue;
      if (auto text = TryReadFile(groups_[g].pidfile)) {
        if (auto pid = ParseUint(FirstLine(*text))) pidfile_pids[g] = static_cast<int>(*pid);
      }
    }

    DIR* proc = opendir(paths_.procfs.c_str());
    if (proc == nullptr) throw CollectError("cannot list " + paths_.procfs);
    std::string_view comm;
    std::vector<std::string_view> fields;
    while (dirent* entry = readdir(proc)) {
      std::optional<std::uint64_t> pid = ParseUint(entry->d_name);
      if (!pid) continue;
      std::string dir = paths_.procfs + "/" + entry->d_name;
      auto stat = TryReadFile(dir + "/stat");  // the process may be gone already
      if (!stat || !ParseStat(*stat, comm, fields)) continue;
      std::optional<std::size_t> group = GroupOf(static_cast<int>(*pid), comm, dir, pidfile_pids);
      if (!group) continue;
      members[*group].push_back(Sample(static_cast<int>(*pid), dir, fields, boot_time));
    }
    closedir(proc);

    Accumulate(members);
    Write(out);
  }

 private:
  std::optional<std::size_t> GroupOf(int pid, std::string_view comm, const std::string& dir,
                                     const std::vector<std::optional<int>>& pidfile_pids) {
    std::optional<std::string> cmdline;  // read only if a cmdline group asks
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      const ProcessGroup& group = groups_[g];
      if (!group.comm.empty()) {
        if (std::find(group.comm.begin(), group.comm.end(), comm) != group.comm.end()) return g;
      } else if (!group.pidfile.empty()) {
        if (pidfile_pids[g] == pid) return g;
      } else {
        if (!cmdline) {
          cmdline = TryReadFile(dir + "/cmdline").value_or("");
          // Arguments are NUL-separated (and NUL-terminated): join them with spaces.
          while (!cmdline->empty() && cmdline->back() == '\0') cmdline->pop_back();
          std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
        }
        if (!cmdline->empty() && group.cmdline.Matches(*cmdline)) return g;
      }
    }
    return std::nullopt;
  }

  ProcessSample Sample(int pid, const std::string& dir, const std::vector<std::string_view>& f,
                       double boot_time) {
    // f[i] is field i + 3 of proc(5)'s /proc/PID/stat.
    auto field = [&](std::size_t number) {
      return static_cast<double>(ParseUint(f[number - 3]).value_or(0));
    };
    ProcessSample s;
    s.pid = pid;
    s.start_ticks = ParseUint(f[22 - 3]).value_or(0);
    s.counters[kMinorFaults] = field(10);
    s.counters[kMajorFaults] = field(12);
    s.counters[kUserSeconds] = field(14) / ticks_;
    s.counters[kSystemSeconds] = field(15) / ticks_;
    s.threads = field(20);
    s.start_time_seconds = boot_time + static_cast<double>(s.start_ticks) / ticks_;
    s.virtual_bytes = field(23);
    s.resident = f.size() > 21 ? field(24) * page_size_ : 0;
    if (auto status = TryReadFile(dir + "/status")) {
      s.swapped = StatusValue(*status, "VmSwap:", 1024);
      s.counters[kVoluntarySwitches] = StatusValue(*status, "\nvoluntary_ctxt_switches:", 1);
      s.counters[kNonvoluntarySwitches] = StatusValue(*status, "nonvoluntary_ctxt_switches:", 1);
    }
    // Readable for our own user's processes, or with the capabilities named at the top.
    std::string io;
    s.failures[kIoFile] = ReadProcFile(dir + "/io", io);
    if (s.failures[kIoFile] == kReadable) {
      s.io_readable = true;
      s.counters[kReadBytes] = StatusValue(io, "\nread_bytes:", 1);
      s.counters[kWriteBytes] = StatusValue(io, "\nwrite_bytes:", 1);
    }
    double fds = 0;
    s.failures[kFdDir] = CountFds(dir + "/fd", fds);
    if (s.failures[kFdDir] == kReadable) s.open_fds = fds;
    if (auto limits = TryReadFile(dir + "/limits")) {
      std::size_t pos = limits->find("Max open files");
      if (pos != std::string::npos) {
        auto values = SplitFields(FirstLine(std::string_view(*limits).substr(pos + 14)));
        if (!values.empty()) {
          s.max_fds = values[0] == "unlimited" ? std::numeric_limits<double>::infinity()
                                               : static_cast<double>(ParseUint(values[0]).value_or(0));
        }
      }
    }
    return s;
  }

  void Accumulate(const std::vector<std::vector<ProcessSample>>& members) {
    std::map<int, Known> seen;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      GroupTotals& totals = totals_[g];
      totals.procs = totals.threads = totals.resident = totals.virtual_bytes = 0;
      totals.swapped = totals.open_fds = totals.worst_fd_ratio = totals.oldest_start = 0;
      totals.fd_readable = totals.io_readable = 0;
      for (const ProcessSample& p : members[g]) {
        auto previous = known_.find(p.pid);
        bool same = previous != known_.end() && previous->second.start_ticks == p.start_ticks &&
                    previous->second.group == g;
        Known now{p.start_ticks, g, p.counters, p.io_readable};
        for (int c = 0; c < kCounterCount; ++c) {
          bool io = c == kReadBytes || c == kWriteBytes;
          if (io && !p.io_readable) {
            // Unknown now: add nothing, and keep what was last read so a later readable poll
            // adds only the growth since then.
            if (same) {
              now.counters[c] = previous->second.counters[c];
              now.io_known = previous->second.io_known;
            }
            continue;
          }
          // A counter of a live process only grows; max() guards against a re-read glitch.
          // I/O first read now (it was refused before) contributes its whole history, as a
          // newly seen process does.
          bool counted_before = same && (!io || previous->second.io_known);
          double delta = counted_before
                             ? std::max(0.0, p.counters[c] - previous->second.counters[c])
                             : p.counters[c];
          totals.counters[c] += delta;
        }
        seen[p.pid] = now;
        for (int f = 0; f < kProcFileCount; ++f) {
          if (p.failures[f] < kFailureCount) totals.read_errors[f][p.failures[f]] += 1;
        }
        if (p.io_readable) totals.io_readable += 1;
        if (p.open_fds) totals.fd_readable += 1;
        totals.procs += 1;
        totals.threads += p.threads;
        totals.resident += p.resident;
        totals.virtual_bytes += p.virtual_bytes;
        totals.swapped += p.swapped;
        if (p.open_fds) totals.open_fds += *p.open_fds;
        if (p.open_fds && p.max_fds && *p.max_fds > 0) {
          totals.worst_fd_ratio = std::max(totals.worst_fd_ratio, *p.open_fds / *p.max_fds);
        }
        if (totals.oldest_start == 0 || p.start_time_seconds < totals.oldest_start) {
          totals.oldest_start = p.start_time_seconds;
        }
      }
    }
    known_ = std::move(seen);  // processes gone since the last poll are forgotten here
  }

  void Write(FamilySet& out) const {
    auto each = [&](std::string_view name, std::string_view help, MetricType type, auto value) {
      out.Family(name, help, type);
      for (std::size_t g = 0; g < groups_.size(); ++g) {
        out.Sample({{"groupname", groups_[g].name}}, value(totals_[g]));
      }
    };
    auto pair = [&](std::string_view name, std::string_view help, std::string_view label,
                    std::string_view a, int ca, std::string_view b, int cb) {
      out.Family(name, help, MetricType::kCounter);
      // Label names in sorted order, as process-exporter's Go client writes them.
      bool label_first = label < std::string_view("groupname");
      for (std::size_t g = 0; g < groups_.size(); ++g) {
        for (auto [value, counter] : {std::pair{a, ca}, std::pair{b, cb}}) {
          std::pair<std::string_view, std::string_view> group{"groupname", groups_[g].name};
          std::pair<std::string_view, std::string_view> kind{label, value};
          if (label_first) {
            out.Sample({kind, group}, totals_[g].counters[counter]);
          } else {
            out.Sample({group, kind}, totals_[g].counters[counter]);
          }
        }
      }
    };
    using T = const GroupTotals&;
    each("namedprocess_namegroup_num_procs", "number of processes in this group",
         MetricType::kGauge, [](T t) { return t.procs; });
    pair("namedprocess_namegroup_cpu_seconds_total", "Cpu user usage in seconds", "mode", "user",
         kUserSeconds, "system", kSystemSeconds);
    // A group with members none of which could be read has no sample: unknown, not 0.
    auto known = [&](std::string_view name, std::string_view help, MetricType type,
                     double GroupTotals::*readable, auto value) {
      out.Family(name, help, type);
      for (std::size_t g = 0; g < groups_.size(); ++g) {
        const GroupTotals& t = totals_[g];
        if (t.procs > 0 && t.*readable == 0) continue;
        out.Sample({{"groupname", groups_[g].name}}, value(t));
      }
    };
    known("namedprocess_namegroup_read_bytes_total", "number of bytes read by this group",
          MetricType::kCounter, &GroupTotals::io_readable,
          [](T t) { return t.counters[kReadBytes]; });
    known("namedprocess_namegroup_write_bytes_total", "number of bytes written by this group",
          MetricType::kCounter, &GroupTotals::io_readable,
          [](T t) { return t.counters[kWriteBytes]; });
    each("namedprocess_namegroup_major_page_faults_total", "Major page faults",
         MetricType::kCounter, [](T t) { return t.counters[kMajorFaults]; });
    each("namedprocess_namegroup_minor_page_faults_total", "Minor page faults",
         MetricType::kCounter, [](T t) { return t.counters[kMinorFaults]; });
    pair("namedprocess_namegroup_context_switches_total", "Context switches", "ctxswitchtype",
         "voluntary", kVoluntarySwitches, "nonvoluntary", kNonvoluntarySwitches);
    out.Family("namedprocess_namegroup_memory_bytes", "number of bytes of memory in use",
               MetricType::kGauge);
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      const GroupTotals& t = totals_[g];
      out.Sample({{"groupname", groups_[g].name}, {"memtype", "resident"}}, t.resident);
      out.Sample({{"groupname", groups_[g].name}, {"memtype", "swapped"}}, t.swapped);
      out.Sample({{"groupname", groups_[g].name}, {"memtype", "virtual"}}, t.virtual_bytes);
    }
    known("namedprocess_namegroup_open_filedesc",
          "number of open file descriptors for this group", MetricType::kGauge,
          &GroupTotals::fd_readable, [](T t) { return t.open_fds; });
    known("namedprocess_namegroup_worst_fd_ratio",
          "the worst (closest to 1) ratio between open fds and max fds among all procs in this "
          "group",
          MetricType::kGauge, &GroupTotals::fd_readable, [](T t) { return t.worst_fd_ratio; });
    each("namedprocess_namegroup_num_threads", "Number of threads", MetricType::kGauge,
         [](T t) { return t.threads; });
    each("namedprocess_namegroup_oldest_start_time_seconds",
         "start time in seconds since 1970/01/01 of oldest process in group", MetricType::kGauge,
         [](T t) { return t.oldest_start; });
    // Label names in sorted order, as above. "permission" is always there (0 until a refusal)
    // so an alert on it has a series from the start; "other" appears once it happens.
    out.Family("metricsd_process_group_read_errors_total",
               "Reads of a member's /proc/PID/fd or /proc/PID/io that failed, so the member is "
               "missing from that group's fd or I/O families, by reason (permission: no ptrace "
               "read access, see the unit's CAP_SYS_PTRACE).",
               MetricType::kCounter);
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      for (int f = 0; f < kProcFileCount; ++f) {
        for (int r = 0; r < kFailureCount; ++r) {
          double count = totals_[g].read_errors[f][r];
          if (r != kPermission && count == 0) continue;
          out.Sample({{"file", kProcFileNames[f]},
                      {"groupname", groups_[g].name},
                      {"reason", kFailureNames[r]}},
                     count);
        }
      }
    }
  }

  double BootTime() {
    if (boot_time_ == 0) {
      if (auto text = TryReadFile(paths_.Proc("stat"))) {
        boot_time_ = static_cast<double>(ParseBootTime(*text).value_or(0));
      }
    }
    return boot_time_;
  }

  struct Known {
    std::uint64_t start_ticks;
    std::size_t group;
    Counters counters;
    bool io_known;  // counters[kReadBytes], [kWriteBytes] were read at least once
  };

  HostPaths paths_;
  std::vector<ProcessGroup> groups_;
  double ticks_, page_size_;
  double boot_time_ = 0;
  std::vector<GroupTotals> totals_;
  std::map<int, Known> known_;  // last poll's members, by pid
};

}  // namespace

std::unique_ptr<HostCollector> MakeProcessesCollector(const HostConfig& config) {
  return std::make_unique<ProcessesCollector>(config);
}

}  // namespace metricsd::host
