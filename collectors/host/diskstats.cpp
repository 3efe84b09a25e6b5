// node_exporter's diskstats collector: every node_disk_* family from /proc/diskstats, plus
// node_disk_info from udev's database, with node_exporter's default device exclusion.
#include <array>
#include <chrono>
#include <map>

#include "collectors/host/collectors.h"
#include "collectors/host/proc_file.h"

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

// udev's "E:KEY=value" lines for one device; empty values when udev has no entry.
struct UdevInfo {
  std::string path, wwn, model, serial, revision;
};

UdevInfo ReadUdev(const std::string& rootfs, std::string_view major, std::string_view minor) {
  UdevInfo info;
  std::string base = rootfs == "/" ? "" : rootfs;
  auto text = TryReadFile(base + "/run/udev/data/b" + std::string(major) + ":" + std::string(minor));
  if (!text) return info;
  std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(*text); lines.Next(line);) {
    if (line.substr(0, 2) != "E:") continue;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(2, eq - 2), value = line.substr(eq + 1);
    if (key == "ID_PATH") info.path = value;
    else if (key == "ID_WWN") info.wwn = value;
    else if (key == "ID_MODEL") info.model = value;
    else if (key == "ID_SERIAL_SHORT") info.serial = value;
    else if (key == "ID_REVISION") info.revision = value;
  }
  return info;
}

class DiskstatsCollector final : public HostCollector {
 public:
  explicit DiskstatsCollector(const HostConfig& config)
      : file_(config.paths.Proc("diskstats")),
        rootfs_(config.paths.rootfs),
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

    out.Family("node_disk_info", "Info of /sys/block/<block_device>.", MetricType::kGauge);
    for (const Disk& disk : disks) {
      const UdevInfo& udev = Udev(disk.major, disk.minor);
      out.Sample({{"device", disk.name}, {"major", disk.major}, {"minor", disk.minor},
                  {"model", udev.model}, {"path", udev.path}, {"revision", udev.revision},
                  {"serial", udev.serial}, {"wwn", udev.wwn}},
                 1);
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
      it = udev_.insert_or_assign(key, CachedUdev{ReadUdev(rootfs_, major, minor), now}).first;
    }
    return it->second.info;
  }

  struct CachedUdev {
    UdevInfo info;
    std::chrono::steady_clock::time_point read_at;
  };
  std::map<std::string, CachedUdev, std::less<>> udev_;
  CachedFile file_;
  std::string rootfs_;
  MatchCache exclude_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeDiskstatsCollector(const HostConfig& config) {
  return std::make_unique<DiskstatsCollector>(config);
}

}  // namespace metricsd::host
