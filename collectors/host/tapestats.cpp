// node_exporter's tapestats collector: node_tape_* from /sys/class/scsi_tape/st<N>/stats/*,
// as prometheus/procfs v0.8.0's SCSITapeClass reads them, less the ignored devices.
#include <array>
#include <charconv>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "collectors/host/storage_sysfs.h"

namespace metricsd::host {
namespace {

constexpr double kNanos = 1e-9;

struct TapeField {
  std::string_view file, name, help;
  MetricType type;
  double scale;
};

// Kernel Documentation/scsi/st.rst, in node_exporter's names and words.
constexpr std::array<TapeField, 10> kTapeFields = {{
    {"in_flight", "node_tape_io_now", "The number of I/Os currently outstanding to this device.", MetricType::kGauge, 1},
    {"io_ns", "node_tape_io_time_seconds_total", "The amount of time spent waiting for all I/O to complete (including read and write). This includes tape movement commands such as seeking between file or set marks and implicit tape movement such as when rewind on close tape devices are used.", MetricType::kCounter, kNanos},
    {"other_cnt", "node_tape_io_others_total", "The number of I/Os issued to the tape drive other than read or write commands. The time taken to complete these commands uses the following calculation io_time_seconds_total-read_time_seconds_total-write_time_seconds_total", MetricType::kCounter, 1},
    {"read_byte_cnt", "node_tape_read_bytes_total", "The number of bytes read from the tape drive.", MetricType::kCounter, 1},
    {"read_cnt", "node_tape_reads_completed_total", "The number of read requests issued to the tape drive.", MetricType::kCounter, 1},
    {"read_ns", "node_tape_read_time_seconds_total", "The amount of time spent waiting for read requests to complete.", MetricType::kCounter, kNanos},
    {"resid_cnt", "node_tape_residual_total", "The number of times during a read or write we found the residual amount to be non-zero. This should mean that a program is issuing a read larger thean the block size on tape. For write not all data made it to tape.", MetricType::kCounter, 1},
    {"write_byte_cnt", "node_tape_written_bytes_total", "The number of bytes written to the tape drive.", MetricType::kCounter, 1},
    {"write_cnt", "node_tape_writes_completed_total", "The number of write requests issued to the tape drive.", MetricType::kCounter, 1},
    {"write_ns", "node_tape_write_time_seconds_total", "The amount of time spent waiting for write requests to complete.", MetricType::kCounter, kNanos},
}};

// procfs lists n?st[0-9]+[alm]? and keeps ^st[0-9]+$: the other names are views of one drive.
bool IsTapeDevice(std::string_view name) {
  if (name.size() < 3 || name.substr(0, 2) != "st") return false;
  for (char c : name.substr(2)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

class TapestatsCollector final : public HostCollector {
 public:
  explicit TapestatsCollector(const HostConfig& config)
      : class_dir_(config.paths.Sys("class/scsi_tape")), ignored_(config.tapestats_ignored_devices) {}

  std::string_view Name() const override { return "tapestats"; }

  void Collect(FamilySet& out) override {
    // No /sys/class/scsi_tape: "scsi_tape stats not found, skipping".
    std::optional<std::vector<SysfsEntry>> devices = ListSysfsDirectory(class_dir_);
    if (!devices) return;
    struct Tape {
      std::string name;
      std::array<double, kTapeFields.size()> values{};
    };
    std::vector<Tape> tapes;
    for (const SysfsEntry& entry : *devices) {
      if (!IsTapeDevice(entry.name)) continue;
      std::string stats_dir = class_dir_ + "/" + entry.name + "/stats";
      std::optional<std::vector<SysfsEntry>> files = ListSysfsDirectory(stats_dir);
      // procfs passes the stats directory's ENOENT up unwrapped and node_exporter takes it for
      // an absent class: nothing is reported, for any tape.
      if (!files) return;
      Tape tape{entry.name, {}};
      for (const SysfsEntry& file : *files) {
        std::string path = stats_dir + "/" + file.name;
        std::optional<std::string> text = ReadSysfsFile(path);
        if (!text) throw CollectError("cannot read " + path + ": no such file");
        for (std::size_t i = 0; i < kTapeFields.size(); ++i) {
          if (kTapeFields[i].file != file.name) continue;
          std::string_view value = sysfs::TrimSpace(std::string_view(*text).substr(0, 128));
          std::optional<std::uint64_t> number = sysfs::ParseGoUint(value, 0)  /* procfs's ValueParser.PUInt64 */;
          if (!number) throw CollectError(path + ": bad number \"" + std::string(value) + "\"");
          tape.values[i] = static_cast<double>(*number);
        }
      }
      if (ignored_.Matches(tape.name)) continue;
      tapes.push_back(std::move(tape));
    }
    if (tapes.empty()) return;
    for (std::size_t i = 0; i < kTapeFields.size(); ++i) {
      const TapeField& field = kTapeFields[i];
      out.Family(field.name, field.help, field.type);
      for (const Tape& tape : tapes) out.Sample({{"device", tape.name}}, tape.values[i] * field.scale);
    }
  }

 private:
  std::string class_dir_;
  MatchCache ignored_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeTapestatsCollector(const HostConfig& config) {
  return std::make_unique<TapestatsCollector>(config);
}

}  // namespace metricsd::host
