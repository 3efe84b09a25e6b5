// node_exporter's btrfs collector: node_btrfs_* from /sys/fs/btrfs/<uuid>/ (label, allocation/
// and devices/), read as prometheus/procfs v0.8.0's btrfs package does, and per-device sizes and
// error counters from the BTRFS_IOC_* ioctls on each mounted btrfs filesystem, as node_exporter
// asks them through dennwc/btrfs.
#include <fcntl.h>
#include <linux/btrfs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "collectors/host/storage_sysfs.h"

namespace metricsd::host {
namespace {

constexpr double kBtrfsSectorBytes = 512;  // devices/<dev>/size counts 512-byte sectors

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
      return std::string(sysfs::TrimSpace(std::string_view(*text).substr(0, 128)));
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
    if (!entry.directory) continue;
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
                               kBtrfsSectorBytes * reader.ReadValue("devices/" + device.name + "/size"));
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

// ---- ioctl statistics (node_exporter's getIoctlStats) ----

struct IoctlDevice {
  std::string device;  // the device path's last element: /dev/sda -> sda
  std::string uuid;    // dennwc's UUID.String(): dashed, "<zero>" when unset
  double total_bytes = 0, unused_bytes = 0;
  std::array<double, 5> errors{};  // write, read, flush, corruption, generation
};

constexpr std::string_view kErrorTypes[] = {"write", "read", "flush", "corruption", "generation"};
static_assert(BTRFS_DEV_STAT_WRITE_ERRS == 0 && BTRFS_DEV_STAT_GENERATION_ERRS == 4);

std::string Hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

std::string DeviceUuid(const unsigned char (&uuid)[BTRFS_UUID_SIZE]) {
  std::string hex = Hex(uuid, BTRFS_UUID_SIZE);
  if (hex == std::string(2 * BTRFS_UUID_SIZE, '0')) return "<zero>";
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

struct BtrfsMount {
  std::string device, mount_point, fs_type;
};

// node_exporter's mountPointDetails: <procfs>/1/mounts, or <procfs>/mounts without it;
// nullopt (no ioctl statistics) when neither can be read or a line is malformed.
std::optional<std::vector<BtrfsMount>> ReadBtrfsMounts(const HostPaths& paths) {
  std::optional<std::string> text;
  try {
    text = ReadSysfsFile(paths.Proc("1/mounts"));
    if (!text) text = ReadSysfsFile(paths.Proc("mounts"));
  } catch (const CollectError&) {
    return std::nullopt;
  }
  if (!text) return std::nullopt;
  std::vector<BtrfsMount> mounts;
  std::vector<std::string_view> fields;
  std::string_view line;
  for (LineReader lines(*text); lines.Next(line);) {
    SplitFields(line, fields);
    if (fields.size() < 4) return std::nullopt;
    std::string point(fields[1]);
    // fstab(5)'s escapes for space and tab.
    for (auto [from, to] : {std::pair{"\\040", " "}, std::pair{"\\011", "\t"}}) {
      for (std::size_t pos; (pos = point.find(from)) != std::string::npos;) point.replace(pos, 4, to);
    }
    // rootfsStripPrefix: the mount point as seen from --path.rootfs.
    if (paths.rootfs != "/") {
      if (point.compare(0, paths.rootfs.size(), paths.rootfs) == 0) point.erase(0, paths.rootfs.size());
      if (point.empty()) point = "/";
    }
    mounts.push_back({std::string(fields[0]), std::move(point), std::string(fields[2])});
  }
  return mounts;
}

// The devices of the filesystem open at `fd`; nullopt when an ioctl fails (not btrfs, no
// permission), as node_exporter skips that mount point.
std::optional<std::pair<std::string, std::vector<IoctlDevice>>> QueryFilesystem(int fd) {
  btrfs_ioctl_fs_info_args info{};
  if (ioctl(fd, BTRFS_IOC_FS_INFO, &info) != 0) return std::nullopt;
  std::vector<IoctlDevice> devices;
  for (std::uint64_t id = 0; id <= info.max_id; ++id) {
    btrfs_ioctl_dev_info_args dev{};
    dev.devid = id;
    if (ioctl(fd, BTRFS_IOC_DEV_INFO, &dev) != 0) {
      // Device ids neither start at 0 nor are contiguous.
      if (errno == ENODEV) continue;
      return std::nullopt;
    }
    btrfs_ioctl_get_dev_stats stats{};
    stats.devid = id;
    stats.nr_items = BTRFS_DEV_STAT_VALUES_MAX;
    if (ioctl(fd, BTRFS_IOC_GET_DEV_STATS, &stats) != 0) return std::nullopt;
    std::string_view path(reinterpret_cast<const char*>(dev.path),
                          strnlen(reinterpret_cast<const char*>(dev.path), sizeof dev.path));
    IoctlDevice device;
    device.device = std::string(path.substr(path.rfind('/') + 1));
    device.uuid = DeviceUuid(dev.uuid);
    device.total_bytes = static_cast<double>(dev.total_bytes);
    device.unused_bytes = static_cast<double>(dev.total_bytes - dev.bytes_used);  // wraps as Go's
    for (std::size_t i = 0; i < device.errors.size(); ++i) {
      device.errors[i] = static_cast<double>(stats.values[i]);
    }
    devices.push_back(std::move(device));
    if (devices.size() == info.num_devices) break;
  }
  return std::pair{Hex(info.fsid, BTRFS_FSID_SIZE), std::move(devices)};
}

// Filesystem id (the uuid without dashes) -> its devices, one query per filesystem.
std::map<std::string, std::vector<IoctlDevice>> ReadIoctlStats(const HostPaths& paths) {
  std::map<std::string, std::vector<IoctlDevice>> filesystems;
  std::optional<std::vector<BtrfsMount>> mounts = ReadBtrfsMounts(paths);
  if (!mounts) return filesystems;
  std::set<std::string> devices_done;
  for (const BtrfsMount& mount : *mounts) {
    if (mount.fs_type != "btrfs" || devices_done.count(mount.device) > 0) continue;
    std::string path = paths.rootfs + "/" + mount.mount_point;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // maybe another mount point of the same filesystem opens
    auto result = QueryFilesystem(fd);
    ::close(fd);
    if (!result || filesystems.count(result->first) > 0) continue;
    devices_done.insert(mount.device);
    filesystems.emplace(std::move(result->first), std::move(result->second));
  }
  return filesystems;
}

class BtrfsCollector final : public HostCollector {
 public:
  explicit BtrfsCollector(const HostConfig& config)
      : paths_(config.paths), root_(config.paths.Sys("fs/btrfs")) {}

  std::string_view Name() const override { return "btrfs"; }

  void Collect(FamilySet& out) override {
    // procfs globs fs/btrfs/*-*: no directory means no btrfs filesystem, not an error.
    std::optional<std::vector<SysfsEntry>> entries = ListSysfsDirectory(root_);
    if (!entries) return;
    std::vector<FilesystemStats> filesystems;
    for (const SysfsEntry& entry : *entries) {
      if (entry.name.find('-') == std::string::npos) continue;
      filesystems.push_back(ReadFilesystem(root_ + "/" + entry.name, entry.name));
    }
    if (filesystems.empty()) return;
    std::map<std::string, std::vector<IoctlDevice>> ioctl_stats = ReadIoctlStats(paths_);
    FamilyBuffer buffer;
    for (const FilesystemStats& fs : filesystems) {
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
      std::string fsid = fs.uuid;
      std::erase(fsid, '-');
      auto found = ioctl_stats.find(fsid);
      if (found == ioctl_stats.end()) {
        // No mounted filesystem answered the ioctls: sysfs's device sizes.
        for (const auto& [device, size] : fs.devices) {
          buffer.Add("node_btrfs_device_size_bytes", "Size of a device that is part of the filesystem.",
                     MetricType::kGauge, {{"uuid", fs.uuid}, {"device", device}}, size);
        }
        continue;
      }
      for (const IoctlDevice& dev : found->second) {
        FamilyBuffer::Labels labels = {{"uuid", fs.uuid}, {"device", dev.device}, {"btrfs_dev_uuid", dev.uuid}};
        buffer.Add("node_btrfs_device_size_bytes", "Size of a device that is part of the filesystem.",
                   MetricType::kGauge, labels, dev.total_bytes);
        buffer.Add("node_btrfs_device_unused_bytes", "Unused bytes unused on a device that is part of the filesystem.",
                   MetricType::kGauge, labels, dev.unused_bytes);
        for (std::size_t i = 0; i < dev.errors.size(); ++i) {
          FamilyBuffer::Labels error_labels = labels;
          error_labels.emplace_back("type", kErrorTypes[i]);
          buffer.Add("node_btrfs_device_errors_total", "Errors reported for the device",
                     MetricType::kCounter, std::move(error_labels), dev.errors[i]);
        }
      }
    }
    buffer.Flush(out);
  }

 private:
  HostPaths paths_;
  std::string root_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeBtrfsCollector(const HostConfig& config) {
  return std::make_unique<BtrfsCollector>(config);
}

}  // namespace metricsd::host
