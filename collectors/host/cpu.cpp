// node_exporter's cpu collector: node_cpu_seconds_total{cpu,mode} and
// node_cpu_guest_seconds_total{cpu,mode} from the per-CPU lines of /proc/stat.
#include <unistd.h>

#include <array>

#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

// cpu0 user nice system idle iowait irq softirq steal guest guest_nice   (USER_HZ ticks)
constexpr std::array<std::string_view, 8> kModes = {"user", "nice",    "system", "idle",
                                                    "iowait", "irq", "softirq", "steal"};

class CpuCollector final : public HostCollector {
 public:
  CpuCollector(const HostPaths& paths, std::shared_ptr<SharedFile> proc_stat)
      : file_(proc_stat ? std::move(proc_stat) : std::make_shared<SharedFile>(paths.Proc("stat"))), ticks_(static_cast<double>(sysconf(_SC_CLK_TCK))) {}

  std::string_view Name() const override { return "cpu"; }

  void Collect(FamilySet& out) override {
    const std::string& text = file_->Read();
    struct Row {
      std::string_view cpu;
      std::array<double, 10> ticks{};
    };
    std::vector<Row> rows;
    std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(text); lines.Next(line);) {
      // Per-CPU lines only: "cpu0 ...", not the "cpu " total.
      if (line.size() < 4 || line.substr(0, 3) != "cpu" || line[3] == ' ') continue;
      SplitFields(line, fields);
      if (fields.size() < 9) throw CollectError(file_->path() + ": short cpu line");
      Row row{fields[0].substr(3), {}};
      for (std::size_t i = 1; i < fields.size() && i <= 10; ++i) {
        row.ticks[i - 1] = static_cast<double>(RequireUint(fields[i], file_->path())) / ticks_;
      }
      rows.push_back(row);
    }
    if (rows.empty()) throw CollectError(file_->path() + ": no cpu lines");

    out.Family("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.",
               MetricType::kCounter);
    for (const Row& row : rows) {
      for (std::size_t m = 0; m < kModes.size(); ++m) {
        out.Sample({{"cpu", row.cpu}, {"mode", kModes[m]}}, row.ticks[m]);
      }
    }
    out.Family("node_cpu_guest_seconds_total",
               "Seconds the CPUs spent in guests (VMs) for each mode.", MetricType::kCounter);
    for (const Row& row : rows) {
      out.Sample({{"cpu", row.cpu}, {"mode", "user"}}, row.ticks[8]);
      out.Sample({{"cpu", row.cpu}, {"mode", "nice"}}, row.ticks[9]);
    }
  }

 private:
  std::shared_ptr<SharedFile> file_;
  double ticks_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeCpuCollector(const HostPaths& paths,
                                                std::shared_ptr<SharedFile> proc_stat) {
  return std::make_unique<CpuCollector>(paths, std::move(proc_stat));
}

}  // namespace metricsd::host
