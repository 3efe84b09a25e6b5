// node_exporter's cpufreq collector: node_cpu_frequency_{,min_,max_}hertz and
// node_cpu_scaling_frequency_{,min_,max_}hertz{cpu} from
// /sys/devices/system/cpu/cpu[0-9]*/cpufreq/{cpuinfo,scaling}_{cur,min,max}_freq (kHz).
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

struct FrequencyFile {
  std::string_view file, family, help;
};
constexpr std::array<FrequencyFile, 6> kFiles = {{
    {"cpuinfo_cur_freq", "node_cpu_frequency_hertz", "Current cpu thread frequency in hertz."},
    {"cpuinfo_min_freq", "node_cpu_frequency_min_hertz", "Minimum cpu thread frequency in hertz."},
    {"cpuinfo_max_freq", "node_cpu_frequency_max_hertz", "Maximum cpu thread frequency in hertz."},
    {"scaling_cur_freq", "node_cpu_scaling_frequency_hertz",
     "Current scaled CPU thread frequency in hertz."},
    {"scaling_min_freq", "node_cpu_scaling_frequency_min_hertz",
     "Minimum scaled CPU thread frequency in hertz."},
    {"scaling_max_freq", "node_cpu_scaling_frequency_max_hertz",
     "Maximum scaled CPU thread frequency in hertz."},
}};

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class CpufreqCollector final : public HostCollector {
 public:
  explicit CpufreqCollector(const HostPaths& paths)
      : cpu_dir_(paths.Sys("devices/system/cpu")) {}

  std::string_view Name() const override { return "cpufreq"; }

  void Collect(FamilySet& out) override {
    struct Cpu {
      std::string name;  // "0" for cpu0
      std::array<std::optional<double>, kFiles.size()> hertz;
    };
    std::vector<Cpu> cpus;
    // CPUs come and go (hotplug), so the directory is listed on every poll as procfs does.
    for (const std::string& entry : sysfs::NumberedEntries(cpu_dir_, "cpu")) {
      std::string cpufreq = cpu_dir_ + "/" + entry + "/cpufreq";
      struct stat info;
      if (::stat(cpufreq.c_str(), &info) != 0) {
        if (errno == ENOENT) continue;  // a CPU without frequency scaling
        throw CollectError("cannot stat " + cpufreq + ": " + std::strerror(errno));
      }
      Cpu cpu{entry.substr(3), {}};
      for (std::size_t i = 0; i < kFiles.size(); ++i) {
        int error = 0;
        // cpuinfo_cur_freq is readable by root only: procfs skips what it cannot open.
        std::optional<std::uint64_t> khz =
            sysfs::ReadUintFile(cpufreq + "/" + std::string(kFiles[i].file), error);
        if (khz) {
          cpu.hertz[i] = static_cast<double>(*khz) * 1000.0;
        } else if (error != ENOENT && error != EACCES && error != EPERM) {
          throw CollectError("cannot read " + cpufreq + "/" + std::string(kFiles[i].file) +
                             ": " + std::strerror(error));
        }
      }
      cpus.push_back(std::move(cpu));
    }
    for (std::size_t i = 0; i < kFiles.size(); ++i) {
      bool any = false;
      for (const Cpu& cpu : cpus) {
        if (!cpu.hertz[i]) continue;
        if (!any) out.Family(kFiles[i].family, kFiles[i].help, MetricType::kGauge);
        any = true;
        out.Sample({{"cpu", cpu.name}}, *cpu.hertz[i]);
      }
    }
  }

 private:
  std::string cpu_dir_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeCpufreqCollector(const HostConfig& config) {
  return std::make_unique<CpufreqCollector>(config.paths);
}

}  // namespace metricsd::host
