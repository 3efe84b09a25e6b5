// node_exporter's nvme collector: node_nvme_info from /sys/class/nvme/<device>/{firmware_rev,
// model,serial,state}, as prometheus/procfs v0.8.0's NVMeClass reads them.
#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "collectors/host/storage_sysfs.h"

namespace metricsd::host {
namespace {

// procfs's SysReadFile: one read of at most 128 bytes, trimmed.
std::string ReadNvmeAttribute(const std::string& path) {
  std::optional<std::string> text = ReadSysfsFile(path);
  if (!text) throw CollectError("cannot read " + path + ": no such file");
  return std::string(sysfs::TrimSpace(std::string_view(*text).substr(0, 128)));
}

class NvmeCollector final : public HostCollector {
 public:
  explicit NvmeCollector(const HostConfig& config) : class_dir_(config.paths.Sys("class/nvme")) {}

  std::string_view Name() const override { return "nvme"; }

  void Collect(FamilySet& out) override {
    // No /sys/class/nvme: "nvme statistics not found, skipping".
    std::optional<std::vector<SysfsEntry>> devices = ListSysfsDirectory(class_dir_);
    if (!devices) return;
    struct Device {
      std::string name, firmware, model, serial, state;
    };
    std::vector<Device> parsed;
    for (const SysfsEntry& entry : *devices) {
      std::string dir = class_dir_ + "/" + entry.name;
      parsed.push_back({entry.name, ReadNvmeAttribute(dir + "/firmware_rev"),
                        ReadNvmeAttribute(dir + "/model"), ReadNvmeAttribute(dir + "/serial"),
                        ReadNvmeAttribute(dir + "/state")});
    }
    if (parsed.empty()) return;
    out.Family("node_nvme_info",
               "Non-numeric data from /sys/class/nvme/<device>, value is always 1.",
               MetricType::kGauge);
    for (const Device& d : parsed) {
      out.Sample({{"device", d.name}, {"firmware_revision", d.firmware}, {"model", d.model},
                  {"serial", d.serial}, {"state", d.state}},
                 1);
    }
  }

 private:
  std::string class_dir_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeNvmeCollector(const HostConfig& config) {
  return std::make_unique<NvmeCollector>(config);
}

}  // namespace metricsd::host
