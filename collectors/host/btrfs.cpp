// node_exporter's btrfs collector: node_btrfs_* from /sys/fs/btrfs/<uuid>/ (label, allocation/
// and devices/), read as prometheus/procfs v0.8.0's btrfs package does.
#include <cstdint>

#include "collectors/host/collectors.h"
#include "collectors/host/storage_sysfs.h"

namespace metricsd::host {
namespace {

constexpr double kSectorBytes = 512;  // devices/<dev>/size counts 512-byte sectors

// procfs's btrfs reader: the first failure is remembered and makes later readValue calls
// return 0, but reading goes on; absent files are not failures, unparsable numbers are 0.
// Each allocation/<type> reader hands its own outcome back to its parent, replacing the
// parent's (so a failure before allocation/ is forgotten): kept as procfs has it.
struct BtrfsReader {
  std::string path;
  double dev_count = 0;
  std::optional<std::string> error;

  std::string ReadFile(std::string_view name) {
    try {
      std::optional<std::string> text = ReadSysfsFile(path + "/" + std::string(name));
      if (!text) return {};
      // SysReadFile: one read of at most 128 bytes.
      return std::string(TrimSysfsSpace(std::string_view(*text).substr(0, 128)));
    } catch (const CollectError& e) {
      error = e.what();
      return {};
    }
  }

  double ReadValue(std::string_view name) {
    std::string text = ReadFile(name);
    if (error) return 0;
    return static_cast<double>(ParseUint(text).value_or(0));
  }

  std::vector<SysfsEntry> ListFiles(std::string_view name) {
    std::string dir = path + "/" + std::string(name);
    try {
      std::optional<std::vector<SysfsEntry>> entries = ListSysfsDirectory(dir);
      if (entries) return std::move(*entries);
      error = "cannot list " + dir + ": no such directory";
    } catch (const CollectError& e) {
      error = e.what();
    }
    return {};
  }
};

struct Layout {
  std::string mode;
  double used = 0, total = 0, ratio = 0;
};

struct AllocationStats {
  double reserved = 0;
  std::vector<Layout> layouts;
};

struct FilesystemStats {
  std::string uuid, label;
  std::vector<std::pair<std::string, double>> devices;  // name, size in bytes
  double global_rsv_size = 0;
  AllocationStats allocation[3];  // data, metadata, system
};

constexpr std::string_view kBlockGroupTypes[] = {"data", "metadata", "system"};

// The ratio of raw space to usable space of a RAID profile.
double LayoutRatio(std::string_view mode, double dev_count) {
  if (mode == "single" || mode == "raid0") return 1;
  if (mode == "dup" || mode == "raid1" || mode == "raid10") return 2;
  if (mode == "raid5") return dev_count / (dev_count - 1);
  if (mode == "raid6") return dev_count / (dev_count - 2);
  return 0;
}

AllocationStats ReadAllocation(BtrfsReader& parent, std::string_view type) {
  BtrfsReader reader{parent.path + "/allocation/" + std::string(type), parent.dev_count, {}};
  AllocationStats stats;
  stats.reserved = reader.ReadValue("bytes_reserved");
  for (const SysfsEntry& entry : reader.ListFiles("")) {
    if (!entry.is_dir) continue;
    Layout layout{entry.name, 0, 0, LayoutRatio(entry.name, reader.dev_count)};
    layout.total = reader.ReadValue(entry.name + "/total_bytes");
    layout.used = reader.ReadValue(entry.name + "/used_bytes");
    stats.layouts.push_back(std::move(layout));
  }
  parent.error = reader.error;
  return stats;
}

FilesystemStats ReadFilesystem(const std::string& dir, const std::string& dir_name) {
  BtrfsReader reader{dir, 0, {}};
  FilesystemStats stats;
  for (const SysfsEntry& device : reader.ListFiles("devices")) {
    stats.devices.emplace_back(device.name,
                               kSectorBytes * reader.ReadValue("devices/" + device.name + "/size"));
  }
  reader.dev_count = static_cast<double>(stats.devices.size());
  stats.label = reader.ReadFile("label");
  stats.uuid = reader.ReadFile("metadata_uuid");
  if (stats.uuid.empty()) stats.uuid = dir_name;
  reader.ListFiles("features");  // only its failure matters: it zeroes the values below
  stats.global_rsv_size = reader.ReadValue("allocation/global_rsv_size");
  for (int i = 0; i < 3; ++i) stats.allocation[i] = ReadAllocation(reader, kBlockGroupTypes[i]);
  if (reader.error) throw CollectError(*reader.error);
  return stats;
}

class BtrfsCollector final : public HostCollector {
 public:
  explicit BtrfsCollector(const HostConfig& config) : root_(config.paths.Sys("fs/btrfs")) {}

  std::string_view Name() const override { return "btrfs"; }

  void Collect(FamilySet& out) override {
    // procfs globs fs/btrfs/*-*: no directory means no btrfs filesystem, not an error.
    std::optional<std::vector<SysfsEntry>> entries = ListSysfsDirectory(root_);
    if (!entries) return;
    FamilyBuffer buffer;
    for (const SysfsEntry& entry : *entries) {
      if (entry.name.find('-') == std::string::npos) continue;
      FilesystemStats fs = ReadFilesystem(root_ + "/" + entry.name, entry.name);
      buffer.Add("node_btrfs_info", "Filesystem information", MetricType::kGauge,
                 {{"uuid", fs.uuid}, {"label", fs.label}}, 1);
      buffer.Add("node_btrfs_global_rsv_size_bytes", "Size of global reserve.", MetricType::kGauge,
                 {{"uuid", fs.uuid}}, fs.global_rsv_size);
      for (int i = 0; i < 3; ++i) {
        std::string type(kBlockGroupTypes[i]);
        buffer.Add("node_btrfs_reserved_bytes", "Amount of space reserved for a data type",
                   MetricType::kGauge, {{"uuid", fs.uuid}, {"block_group_type", type}},
                   fs.allocation[i].reserved);
        for (const Layout& layout : fs.allocation[i].layouts) {
          FamilyBuffer::Labels labels = {{"uuid", fs.uuid}, {"block_group_type", type}, {"mode", layout.mode}};
          buffer.Add("node_btrfs_used_bytes", "Amount of used space by a layout/data type", MetricType::kGauge, labels, layout.used);
          buffer.Add("node_btrfs_size_bytes", "Amount of space allocated for a layout/data type", MetricType::kGauge, labels, layout.total);
          buffer.Add("node_btrfs_allocation_ratio", "Data allocation ratio for a layout/data type", MetricType::kGauge, labels, layout.ratio);
        }
      }
      for (const auto& [device, size] : fs.devices) {
        buffer.Add("node_btrfs_device_size_bytes", "Size of a device that is part of the filesystem.",
                   MetricType::kGauge, {{"uuid", fs.uuid}, {"device", device}}, size);
      }
    }
    buffer.Flush(out);
  }

 private:
  std::string root_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeBtrfsCollector(const HostConfig& config) {
  return std::make_unique<BtrfsCollector>(config);
}

}  // namespace metricsd::host
