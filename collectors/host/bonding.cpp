// node_exporter's bonding collector: node_bonding_slaves and node_bonding_active{master} from
// /sys/class/net/bonding_masters, each master's bonding/slaves and the slaves' mii_status.
#include <map>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

class BondingCollector final : public HostCollector {
 public:
  explicit BondingCollector(const HostConfig& config)
      : root_(config.paths.Sys("class/net")), masters_(root_ + "/bonding_masters") {}

  std::string_view Name() const override { return "bonding"; }

  void Collect(FamilySet& out) override {
    // node_exporter reports no data at all when any of the files is missing (a master or a
    // slave removed while it reads), and fails on any other read error.
    const std::string* masters = sysfs::ReadUnlessAbsent(masters_);
    if (masters == nullptr) return;
    struct Status {
      double slaves = 0, active = 0;
    };
    std::map<std::string, Status, std::less<>> status;
    for (std::string_view master : SplitFields(sysfs::TrimSpace(*masters))) {
      std::string master_dir = root_ + "/" + std::string(master);
      std::optional<std::string> slaves = Read(master_dir + "/bonding/slaves");
      if (!slaves) return;
      Status& counts = status[std::string(master)];
      for (std::string_view slave : SplitFields(sysfs::TrimSpace(*slaves))) {
        // Newer kernels link lower_<slave>, older ones slave_<slave>.
        std::string suffix = std::string(slave) + "/bonding_slave/mii_status";
        std::optional<std::string> state = Read(master_dir + "/lower_" + suffix);
        if (!state) state = Read(master_dir + "/slave_" + suffix);
        if (!state) return;
        counts.slaves += 1;
        if (sysfs::TrimSpace(*state) == "up") counts.active += 1;
      }
    }
    if (status.empty()) return;
    out.Family("node_bonding_slaves", "Number of configured slaves per bonding interface.",
               MetricType::kGauge);
    for (const auto& [master, counts] : status) out.Sample({{"master", master}}, counts.slaves);
    out.Family("node_bonding_active", "Number of active slaves per bonding interface.",
               MetricType::kGauge);
    for (const auto& [master, counts] : status) out.Sample({{"master", master}}, counts.active);
  }

 private:
  // The file, or nullopt if it does not exist; other failures throw.
  static std::optional<std::string> Read(const std::string& path) {
    CachedFile file(path);  // read once: masters and slaves come and go
    const std::string* text = sysfs::ReadUnlessAbsent(file);
    if (text == nullptr) return std::nullopt;
    return *text;
  }

  std::string root_;
  CachedFile masters_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeBondingCollector(const HostConfig& config) {
  return std::make_unique<BondingCollector>(config);
}

}  // namespace metricsd::host
