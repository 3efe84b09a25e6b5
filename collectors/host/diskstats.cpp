// node_exporter's diskstats collector: every node_disk_* family from /proc/diskstats, plus
// node_disk_info (and filesystem, device-mapper and ATA info where udev knows them) from
// udev's database, with node_exporter's default device exclusion.
#include <array>
#include <chrono>
#include <map>

#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

constexpr double kSectorBytes = 512;  // /proc/diskstats counts 512-byte sectors, always
constexpr double kMillis = 0.001;

struct Field {
  std::size_t index;  // 0-based index into the fields after "major minor name"
  std::string_view name, help;
  MetricType type;
  double scale;
};

// Kernel Documentation/admin-guide/iostats.rst, in node_exporter's names.
constexpr std::array<Field, 17> kFields = {{
    {0, "node_disk_reads_completed_total", "The total number of reads completed successfully.", MetricType::kCounter, 1},
    {1, "node_disk_reads_merged_total", "The total number of reads merged.", MetricType::kCounter, 1},
    {2, "node_disk_read_bytes_total", "The total number of bytes read successfully.", MetricType::kCounter, kSectorBytes},
    {3, "node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.", MetricType::kCounter, kMillis},
    {4, "node_disk_writes_completed_total", "The total number of writes completed successfully.", MetricType::kCounter, 1},
    {5, "node_disk_writes_merged_total", "The number of writes merged.", MetricType::kCounter, 1},
    {6, "node_disk_written_bytes_total", "The total number of bytes written successfully.", MetricType::kCounter, kSectorBytes},
    {7, "node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes.", MetricType::kCounter, kMillis},
    {8, "node_disk_io_now", "The number of I/Os currently in progress.", MetricType::kGauge, 1},
    {9, "node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", MetricType::kCounter, kMillis},
    {10, "node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.", MetricType::kCounter, kMillis},
    {11, "node_disk_discards_completed_total", "The total number of discards completed successfully.", MetricType::kCounter, 1},
    {12, "node_disk_discards_merged_total", "The total number of discards merged.", MetricType::kCounter, 1},
    {13, "node_disk_discarded_sectors_total", "The total number of sectors discarded successfully.", MetricType::kCounter, 1},
    {14, "node_disk_discard_time_seconds_total", "This is the total number of seconds spent by all discards.", MetricType::kCounter, kMillis},
    {15, "node_disk_flush_requests_total", "The total number of flush requests completed successfully", MetricType::kCounter, 1},
    {16, "node_disk_flush_requests_time_seconds_total", "This is the total number of seconds spent by all flush requests.", MetricType::kCounter, kMillis},
}};

// udev's "E:KEY=value" properties for one device; empty when udev has no entry.
struct UdevInfo {
  std::map<std::string, std::string, std::less<>> properties;

  std::string_view Get(std::string_view key) const {
    auto it = properties.find(key);
    return it == properties.end() ? std::string_view{} : std::string_view(it->second);
  }
};

UdevInfo ReadUdev(const std::string& udev_data, std::string_view major, std::string_view minor) {
  UdevInfo info;
  // As node_exporter's --path.udev.data: its own root, not under --path.rootfs.
  auto text = TryReadFile(udev_data + "/b" + std::string(major) + ":" + std::string(minor));
  if (!text) return info;
  std::string_view line;
  for (LineReader lines(*text); lines.Next(line);) {
    if (line.substr(0, 2) != "E:") continue;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    info.properties.emplace(line.substr(2, eq - 2), line.substr(eq + 1));
  }
  return info;
}

class DiskstatsCollector final : public HostCollector {
 public:
  explicit DiskstatsCollector(const HostConfig& config)
      : file_(config.paths.Proc("diskstats")),
        udev_data_(config.paths.udev_data),
        exclude_(config.diskstats_device_exclude) {}

  std::string_view Name() const override { return "diskstats"; }

  void Collect(FamilySet& out) override {
    const std::string& text = file_.Read();
    struct Disk {
      std::string_view major, minor, name;
      std::array<double, 17> values{};
      std::size_t count = 0;  // older kernels have 11 or 15 fields
    };
    std::vector<Disk> disks;
    std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(text); lines.Next(line);) {
      //  254       0 vda 109182 12063 5211330 ...
      //  ^major    ^minor ^name ^fields (11, 15 or 17 of them)
      SplitFields(line, fields);
      if (fields.size() < 14) continue;
      if (exclude_.Matches(fields[2])) continue;
      Disk disk{fields[0], fields[1], fields[2], {}, std::min<std::size_t>(fields.size() - 3, 17)};
      for (std::size_t i = 0; i < disk.count; ++i) {
        disk.values[i] = static_cast<double>(RequireUint(fields[i + 3], file_.path()));
      }
      disks.push_back(disk);
    }

    std::vector<const UdevInfo*> udev;
    for (const Disk& disk : disks) udev.push_back(&Udev(disk.major, disk.minor));
    out.Family("node_disk_info", "Info of /sys/block/<block_device>.", MetricType::kGauge);
    for (std::size_t i = 0; i < disks.size(); ++i) {
      const UdevInfo& u = *udev[i];
      out.Sample({{"device", disks[i].name}, {"major", disks[i].major}, {"minor", disks[i].minor},
                  {"model", u.Get("ID_MODEL")}, {"path", u.Get("ID_PATH")},
                  {"revision", u.Get("ID_REVISION")}, {"serial", u.Get("ID_SERIAL_SHORT")},
                  {"wwn", u.Get("ID_WWN")}},
                 1);
    }
    // Families node_exporter adds only for devices whose udev entry has the properties.
    auto for_each_with = [&](std::string_view property, auto emit) {
      bool any = false;
      for (std::size_t i = 0; i < disks.size(); ++i) {
        if (udev[i]->Get(property).empty()) continue;
        emit(any, disks[i], *udev[i]);
        any = true;
      }
    };
    for_each_with("ID_FS_TYPE", [&](bool any, const Disk& d, const UdevInfo& u) {
      if (!any) out.Family("node_disk_filesystem_info", "Info about disk filesystem.", MetricType::kGauge);
      out.Sample({{"device", d.name}, {"type", u.Get("ID_FS_TYPE")}, {"usage", u.Get("ID_FS_USAGE")},
                  {"uuid", u.Get("ID_FS_UUID")}, {"version", u.Get("ID_FS_VERSION")}},
                 1);
    });
    for_each_with("DM_NAME", [&](bool any, const Disk& d, const UdevInfo& u) {
      if (!any) out.Family("node_disk_device_mapper_info", "Info about disk device mapper.", MetricType::kGauge);
      out.Sample({{"device", d.name}, {"lv_layer", u.Get("DM_LV_LAYER")}, {"lv_name", u.Get("DM_LV_NAME")},
                  {"name", u.Get("DM_NAME")}, {"uuid", u.Get("DM_UUID")}, {"vg_name", u.Get("DM_VG_NAME")}},
                 1);
    });
    struct Ata {
      std::string_view property, name, help;
    };
    static constexpr Ata kAta[] = {
        {"ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache", "ATA disk has a write cache."},
        {"ID_ATA_WRITE_CACHE_ENABLED", "node_disk_ata_write_cache_enabled", "ATA disk has its write cache enabled."},
        {"ID_ATA_ROTATION_RATE_RPM", "node_disk_ata_rotation_rate_rpm", "ATA disk rotation rate in RPMs (0 for SSDs)."},
    };
    for (const Ata& ata : kAta) {
      for_each_with(ata.property, [&](bool any, const Disk& d, const UdevInfo& u) {
        if (!any) out.Family(ata.name, ata.help, MetricType::kGauge);
        out.Sample({{"device", d.name}}, ParseDouble(u.Get(ata.property)).value_or(0));
      });
    }
    for (const Field& field : kFields) {
      bool any = false;
      for (const Disk& disk : disks) {
        if (field.index >= disk.count) continue;
        if (!any) out.Family(field.name, field.help, field.type);
        any = true;
        out.Sample({{"device", disk.name}}, disk.values[field.index] * field.scale);
      }
    }
  }

 private:
  // udev's database changes only on device events; re-reading it for every disk on every
  // poll (usually a failed open: most virtual disks have no entry) is wasted work.
  const UdevInfo& Udev(std::string_view major, std::string_view minor) {
    auto now = std::chrono::steady_clock::now();
    std::string key = std::string(major) + ":" + std::string(minor);
    auto it = udev_.find(key);
    if (it == udev_.end() || now - it->second.read_at > std::chrono::minutes(5)) {
      it = udev_.insert_or_assign(key, CachedUdev{ReadUdev(udev_data_, major, minor), now}).first;
    }
    return it->second.info;
  }

  struct CachedUdev {
    UdevInfo info;
    std::chrono::steady_clock::time_point read_at;
  };
  std::map<std::string, CachedUdev, std::less<>> udev_;
  CachedFile file_;
  std::string udev_data_;
  MatchCache exclude_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeDiskstatsCollector(const HostConfig& config) {
  return std::make_unique<DiskstatsCollector>(config);
}

}  // namespace metricsd::host
