// node_exporter's dmi collector: node_dmi_info, a constant 1 labelled by the firmware's
// identification strings in /sys/class/dmi/id (procfs's DMIClass).
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

struct DmiField {
  std::string_view file, label;
};
constexpr std::array<DmiField, 20> kDmiFields = {{
    {"bios_date", "bios_date"},
    {"bios_release", "bios_release"},
    {"bios_vendor", "bios_vendor"},
    {"bios_version", "bios_version"},
    {"board_asset_tag", "board_asset_tag"},
    {"board_name", "board_name"},
    {"board_serial", "board_serial"},
    {"board_vendor", "board_vendor"},
    {"board_version", "board_version"},
    {"chassis_asset_tag", "chassis_asset_tag"},
    {"chassis_serial", "chassis_serial"},
    {"chassis_vendor", "chassis_vendor"},
    {"chassis_version", "chassis_version"},
    {"product_family", "product_family"},
    {"product_name", "product_name"},
    {"product_serial", "product_serial"},
    {"product_sku", "product_sku"},
    {"product_uuid", "product_uuid"},
    {"product_version", "product_version"},
    {"sys_vendor", "system_vendor"},
}};

constexpr std::string_view kDmiInfoHelp =
    "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, "
    "bios_version, board_asset_tag, board_name, board_serial, board_vendor, board_version, "
    "chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, "
    "product_name, product_serial, product_sku, product_uuid, product_version, system_vendor "
    "if provided by DMI.";

// The strings do not change until the next boot, so they are read once, when the collector is
// made, as node_exporter does.
// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class DmiCollector final : public HostCollector {
 public:
  explicit DmiCollector(const HostPaths& paths) {
    std::string dir = paths.Sys("class/dmi/id");
    sysfs::DirListing listing = sysfs::ListDir(dir);
    if (!listing.ok()) {
      // No DMI on this platform (ARM boards, some VMs): nothing to report.
      if (listing.error != ENOENT) {
        error_ = "cannot list " + dir + ": " + std::strerror(listing.error);
      }
      return;
    }
    std::vector<std::string_view> names;  // sorted, as the listing
    for (const sysfs::DirEntry& entry : listing.entries) names.push_back(entry.name);
    for (const DmiField& field : kDmiFields) {
      if (!std::binary_search(names.begin(), names.end(), field.file)) continue;
      std::string path = dir + "/" + std::string(field.file);
      struct stat info;
      if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
      sysfs::SysText text = sysfs::ReadSysText(path);
      if (!text.ok()) {
        // Serial numbers and the UUID are readable by root only: they are left out.
        if (text.error == EACCES || text.error == EPERM) continue;
        error_ = "cannot read " + path + ": " + std::strerror(text.error);
        labels_.clear();
        return;
      }
      labels_.emplace_back(std::string(field.label),
                           sysfs::ToValidUtf8(sysfs::TrimSpace(text.text)));
    }
  }

  std::string_view Name() const override { return "dmi"; }

  void Collect(FamilySet& out) override {
    if (!error_.empty()) throw CollectError(error_);
    if (labels_.empty()) return;
    out.Family("node_dmi_info", kDmiInfoHelp, MetricType::kGauge);
    out.Sample(labels_, 1);
  }

 private:
  std::vector<std::pair<std::string, std::string>> labels_;
  std::string error_;  // why the strings could not be read, reported on every poll
};

}  // namespace

std::unique_ptr<HostCollector> MakeDmiCollector(const HostConfig& config) {
  return std::make_unique<DmiCollector>(config.paths);
}

}  // namespace metricsd::host
