// node_exporter's schedstat collector: per CPU running and waiting seconds and timeslices from
// /proc/schedstat (prometheus/procfs's Schedstat).
#include <cstdint>

#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

struct CpuLine {
  std::string_view cpu;
  std::uint64_t running_ns, waiting_ns, timeslices;
};

// procfs matches `cpu(\d+) (\d+) ... (\d+)` (ten numbers, single spaces) anywhere in a line and
// takes the 7th, 8th and 9th numbers after the CPU's; other lines (version, timestamp,
// domain*) do not match. A number too large for 64 bits skips the line, as procfs's continue.
std::optional<CpuLine> ParseCpuLine(std::string_view line) {
  std::size_t at = line.find("cpu");
  while (at != std::string_view::npos) {
    std::string_view rest = line.substr(at + 3);
    std::string_view numbers[10];
    bool ok = true;
    for (int i = 0; i < 10 && ok; ++i) {
      if (i > 0) {
        if (rest.empty() || rest[0] != ' ') {
          ok = false;
          break;
        }
        rest.remove_prefix(1);
      }
      std::size_t digits = 0;
      while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
      if (digits == 0) ok = false;
      numbers[i] = rest.substr(0, digits);
      rest.remove_prefix(digits);
    }
    if (ok) {
      std::optional<std::uint64_t> running = ParseUint(numbers[7]);
      std::optional<std::uint64_t> waiting = ParseUint(numbers[8]);
      std::optional<std::uint64_t> slices = ParseUint(numbers[9]);
      if (!running || !waiting || !slices) return std::nullopt;
      return CpuLine{numbers[0], *running, *waiting, *slices};
    }
    at = line.find("cpu", at + 1);
  }
  return std::nullopt;
}

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class SchedstatCollector final : public HostCollector {
 public:
  explicit SchedstatCollector(const HostConfig& config) : file_(config.paths.Proc("schedstat")) {}

  std::string_view Name() const override { return "schedstat"; }

  void Collect(FamilySet& out) override {
    const std::string* text = file_.TryRead();
    if (text == nullptr) return;  // "schedstat file does not exist"
    cpus_.clear();
    LineReader lines(*text);
    std::string_view line;
    while (lines.Next(line)) {
      if (std::optional<CpuLine> cpu = ParseCpuLine(line)) cpus_.push_back(*cpu);
    }
    if (cpus_.empty()) return;
    constexpr double kNsPerSecond = 1e9;
    out.Family("node_schedstat_running_seconds_total",
               "Number of seconds CPU spent running a process.", MetricType::kCounter);
    for (const CpuLine& cpu : cpus_) {
      out.Sample({{"cpu", cpu.cpu}}, static_cast<double>(cpu.running_ns) / kNsPerSecond);
    }
    out.Family("node_schedstat_waiting_seconds_total",
               "Number of seconds spent by processing waiting for this CPU.", MetricType::kCounter);
    for (const CpuLine& cpu : cpus_) {
      out.Sample({{"cpu", cpu.cpu}}, static_cast<double>(cpu.waiting_ns) / kNsPerSecond);
    }
    out.Family("node_schedstat_timeslices_total", "Number of timeslices executed by CPU.",
               MetricType::kCounter);
    for (const CpuLine& cpu : cpus_) {
      out.Sample({{"cpu", cpu.cpu}}, static_cast<double>(cpu.timeslices));
    }
  }

 private:
  CachedFile file_;
  std::vector<CpuLine> cpus_;  // views into file_'s buffer, reused across polls
};

}  // namespace

std::unique_ptr<HostCollector> MakeSchedstatCollector(const HostConfig& config) {
  return std::make_unique<SchedstatCollector>(config);
}

}  // namespace metricsd::host
