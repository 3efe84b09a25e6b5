// node_exporter's rapl collector: node_rapl_<zone>_joules_total{index,path}, the energy counters
// of Intel/AMD RAPL power zones in /sys/class/powercap (procfs's GetRaplZones).
// --collector.rapl.enable-zone-label is off in node_exporter 1.5 and not offered here.
#include <cerrno>
#include <cstring>
#include <map>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

bool MetricNameChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// node_exporter's SanitizeMetricName: each match of `_*[^0-9A-Za-z_]+_*` becomes one "_".
std::string SanitizeMetricName(std::string_view name) {
  std::string out;
  std::size_t i = 0;
  while (i < name.size()) {
    std::size_t j = i;
    while (j < name.size() && name[j] == '_') ++j;
    std::size_t k = j;
    while (k < name.size() && !MetricNameChar(name[k])) ++k;
    if (k == j) {  // no invalid character after these underscores: keep one and move on
      out += name[i++];
      continue;
    }
    while (k < name.size() && name[k] == '_') ++k;
    out += '_';
    i = k;
  }
  return out;
}

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class RaplCollector final : public HostCollector {
 public:
  explicit RaplCollector(const HostPaths& paths) : dir_(paths.Sys("class/powercap")) {}

  std::string_view Name() const override { return "rapl"; }

  void Collect(FamilySet& out) override {
    sysfs::DirListing listing = sysfs::ListDir(dir_);
    if (!listing.ok()) {
      // No powercap (not x86, or a container): node_exporter reports no data.
      if (listing.error == ENOENT || listing.error == EACCES || listing.error == EPERM) return;
      throw CollectError("cannot list " + dir_ + ": " + std::strerror(listing.error));
    }
    int error = 0;
    struct Family {
      std::string help;
      std::vector<std::pair<std::string, double>> samples;  // index -> joules
      std::vector<std::string> paths;
    };
    std::map<std::string, Family> families;  // several zones may share a name ("package-0/1")
    std::map<std::string, std::int64_t, std::less<>> name_uses;
    // Sorted, as os.ReadDir: the indexes depend on it.
    for (const sysfs::DirEntry& entry : listing.entries) {
      std::string zone = dir_ + "/" + entry.name;
      sysfs::SysText name_file = sysfs::ReadSysText(zone + "/name", 4096);
      if (!name_file.ok()) continue;  // "intel-rapl" itself is not a zone
      auto [index, name] = IndexAndName(name_uses, sysfs::TrimSpace(name_file.text));
      int uint_error = 0;
      if (!sysfs::ReadUintFile(zone + "/max_energy_range_uj", uint_error)) {
        throw CollectError("cannot read " + zone + "/max_energy_range_uj: " +
                           std::strerror(uint_error));
      }
      name_uses[name] = index + 1;
      std::optional<std::uint64_t> micro_joules = sysfs::ReadUintFile(zone + "/energy_uj", error);
      if (!micro_joules) {
        // Since the 2020 PLATYPUS fix energy_uj is root-only: node_exporter reports no data.
        if (error == EACCES || error == EPERM) return;
        throw CollectError("cannot read " + zone + "/energy_uj: " + std::strerror(error));
      }
      Family& family = families["node_rapl_" + SanitizeMetricName(name) + "_joules_total"];
      family.help = "Current RAPL " + name + " value in joules";
      family.samples.emplace_back(std::to_string(index),
                                  static_cast<double>(*micro_joules) / 1000000.0);
      family.paths.push_back(zone);
    }
    for (const auto& [family_name, family] : families) {
      out.Family(family_name, family.help, MetricType::kCounter);
      for (std::size_t i = 0; i < family.samples.size(); ++i) {
        out.Sample({{"index", family.samples[i].first}, {"path", family.paths[i]}},
                   family.samples[i].second);
      }
    }
  }

 private:
  // procfs's getIndexAndName: "package-0" is index 0 of "package"; a name without a "-<n>"
  // suffix ("core", "dram") takes the next index of that name.
  static std::pair<std::int64_t, std::string> IndexAndName(
      const std::map<std::string, std::int64_t, std::less<>>& uses, std::string_view name) {
    std::size_t dash = name.find('-');
    if (dash != std::string_view::npos && name.find('-', dash + 1) == std::string_view::npos) {
      if (auto index = sysfs::ParseGoInt(name.substr(dash + 1), 10)) {
        return {*index, std::string(name.substr(0, dash))};
      }
    }
    auto it = uses.find(name);
    return {it == uses.end() ? 0 : it->second, std::string(name)};
  }

  std::string dir_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeRaplCollector(const HostConfig& config) {
  return std::make_unique<RaplCollector>(config.paths);
}

}  // namespace metricsd::host
