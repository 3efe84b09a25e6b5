// node_exporter's stat collector: boot time, context switches, forks, interrupts and
// running/blocked processes from /proc/stat; with host.stat.softirq, node_softirqs_total per
// vector from its "softirq" line.
#include <array>

#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

// softirq 5057579 250191 1481983 1647 ...: the total, then one count per vector in this order
// (procfs's SoftIRQStat).
constexpr std::array<std::string_view, 10> kSoftirqVectors = {
    "hi", "timer", "net_tx", "net_rx", "block", "block_iopoll", "tasklet", "sched", "hrtimer",
    "rcu"};

class StatCollector final : public HostCollector {
 public:
  StatCollector(const HostConfig& config, std::shared_ptr<SharedFile> proc_stat)
      : file_(proc_stat ? std::move(proc_stat)
                        : std::make_shared<SharedFile>(config.paths.Proc("stat"))),
        softirq_(config.stat_softirq) {}

  std::string_view Name() const override { return "stat"; }

  void Collect(FamilySet& out) override {
    const std::string& text = file_->Read();
    std::optional<double> btime, ctxt, processes, intr, running, blocked;
    // A kernel without the line reports zeros, as procfs leaves SoftIRQStat empty.
    std::array<double, kSoftirqVectors.size()> softirqs{};
    std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(text); lines.Next(line);) {
      SplitFields(line, fields);
      if (fields.size() < 2) continue;
      if (softirq_ && fields[0] == "softirq") {
        // procfs scans all eleven numbers and fails on a short line (read only when asked
        // for, so a kernel's odd softirq line cannot cost the other stat series).
        if (fields.size() < 2 + softirqs.size()) {
          throw CollectError(file_->path() + ": short softirq line");
        }
        for (std::size_t i = 0; i < softirqs.size(); ++i) {
          softirqs[i] = static_cast<double>(RequireUint(fields[i + 2], file_->path()));
        }
      }
      double value = static_cast<double>(RequireUint(fields[1], file_->path()));
      if (fields[0] == "btime") btime = value;
      else if (fields[0] == "ctxt") ctxt = value;
      else if (fields[0] == "processes") processes = value;
      else if (fields[0] == "intr") intr = value;  // the first number is the total
      else if (fields[0] == "procs_running") running = value;
      else if (fields[0] == "procs_blocked") blocked = value;
    }
    if (!btime || !ctxt || !processes || !intr || !running || !blocked) {
      throw CollectError(file_->path() + ": missing btime, ctxt, processes, intr or procs_* lines");
    }
    auto one = [&out](std::string_view name, std::string_view help, MetricType type, double v) {
      out.Family(name, help, type);
      out.Sample({}, v);
    };
    one("node_intr_total", "Total number of interrupts serviced.", MetricType::kCounter, *intr);
    one("node_context_switches_total", "Total number of context switches.",
        MetricType::kCounter, *ctxt);
    one("node_forks_total", "Total number of forks.", MetricType::kCounter, *processes);
    one("node_boot_time_seconds", "Node boot time, in unixtime.", MetricType::kGauge, *btime);
    one("node_procs_running", "Number of processes in runnable state.", MetricType::kGauge,
        *running);
    one("node_procs_blocked", "Number of processes blocked waiting for I/O to complete.",
        MetricType::kGauge, *blocked);
    if (softirq_) {
      out.Family("node_softirqs_total", "Number of softirq calls.", MetricType::kCounter);
      for (std::size_t i = 0; i < softirqs.size(); ++i) {
        out.Sample({{"vector", kSoftirqVectors[i]}}, softirqs[i]);
      }
    }
  }

 private:
  std::shared_ptr<SharedFile> file_;
  bool softirq_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeStatCollector(const HostConfig& config,
                                                 std::shared_ptr<SharedFile> proc_stat) {
  return std::make_unique<StatCollector>(config, std::move(proc_stat));
}

}  // namespace metricsd::host
