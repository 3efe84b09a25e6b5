// node_exporter's mdadm collector: node_md_* from /proc/mdstat, parsed as prometheus/procfs
// v0.8.0's parseMDStat does (node_exporter 1.5 reads nothing of md from sysfs).
#include <charconv>
#include <cstdint>

#include <re2/re2.h>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "collectors/host/storage_sysfs.h"

namespace metricsd::host {
namespace {

// Go's strconv.ParseInt(text, 10, 64), sign included.
std::optional<std::int64_t> ParseInt64(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (!text.empty() && text[0] == '-') return std::nullopt;  // one sign only
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return negative ? -value : value;
}

// Go's strconv.ParseFloat, for the recovery line's numbers (only their validity matters).
bool IsGoFloat(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  return ParseDouble(text).has_value();
}

std::size_t Count(std::string_view text, std::string_view what) {
  std::size_t count = 0;
  for (std::size_t pos = text.find(what); pos != std::string_view::npos;
       pos = text.find(what, pos + what.size())) {
    ++count;
  }
  return count;
}

bool Contains(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

struct MdStat {
  std::string name;
  std::string state;  // active, inactive, recovering, resyncing, checking, ...
  double disks_active = 0, disks_total = 0, disks_failed = 0, disks_spare = 0;
  double blocks_total = 0, blocks_synced = 0;
};

// The patterns of procfs's mdstat.go, compiled once.
struct MdPatterns {
  RE2 status{R"((\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\])"};
  RE2 recovery_blocks{R"(\((\d+)/\d+\))"};
  RE2 recovery_pct{R"(= (.+)%)"};
  RE2 recovery_finish{R"(finish=(.+)min)"};
  RE2 recovery_speed{R"(speed=(.+)[A-Z])"};
};

const MdPatterns& Patterns() {
  static const MdPatterns patterns;
  return patterns;
}

// The device line and the status line below it:
//   md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]
//         195310144 blocks [2/1] [U_]
//         ^size             ^total/active
void EvalStatusLine(std::string_view device_line, std::string_view status_line, MdStat& md) {
  std::vector<std::string_view> fields = SplitFields(status_line);
  if (fields.empty()) throw CollectError("unexpected statusLine \"" + std::string(status_line) + "\"");
  std::optional<std::int64_t> size = ParseInt64(fields[0]);
  if (!size) throw CollectError("unexpected statusLine \"" + std::string(status_line) + "\"");
  md.blocks_total = static_cast<double>(*size);
  if (Contains(device_line, "raid0") || Contains(device_line, "linear")) {
    // Only the member disks carry a number in [] on the device line.
    md.disks_total = md.disks_active = static_cast<double>(Count(device_line, "["));
    return;
  }
  if (Contains(device_line, "inactive")) return;
  std::string size_text, total, active, flags;
  if (!RE2::PartialMatch(status_line, Patterns().status, &size_text, &total, &active, &flags)) {
    throw CollectError("couldn't find all the substring matches: " + std::string(status_line));
  }
  std::optional<std::int64_t> t = ParseInt64(total), a = ParseInt64(active);
  if (!t || !a) throw CollectError("unexpected statusLine \"" + std::string(status_line) + "\"");
  md.disks_total = static_cast<double>(*t);
  md.disks_active = static_cast<double>(*a);
}

//   [=>...................]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec
double EvalRecoveryLine(std::string_view line) {
  const MdPatterns& p = Patterns();
  std::string blocks, pct, finish, speed;
  std::optional<std::int64_t> synced;
  if (!RE2::PartialMatch(line, p.recovery_blocks, &blocks) || !(synced = ParseInt64(blocks)) ||
      !RE2::PartialMatch(line, p.recovery_pct, &pct) || !IsGoFloat(sysfs::TrimSpace(pct)) ||
      !RE2::PartialMatch(line, p.recovery_finish, &finish) || !IsGoFloat(finish) ||
      !RE2::PartialMatch(line, p.recovery_speed, &speed) || !IsGoFloat(speed)) {
    throw CollectError("unexpected recoveryLine: " + std::string(line));
  }
  return static_cast<double>(*synced);
}

std::vector<MdStat> ParseMdstat(std::string_view text) {
  // strings.Split: a final "\n" leaves an empty last line, which counts for "too few lines".
  std::vector<std::string_view> lines;
  for (std::size_t start = 0;;) {
    std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::vector<MdStat> stats;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (sysfs::TrimSpace(line).empty() || line[0] == ' ' || line.substr(0, 13) == "Personalities" ||
        line.substr(0, 6) == "unused") {
      continue;
    }
    std::vector<std::string_view> fields = SplitFields(line);
    if (fields.size() < 3) {
      throw CollectError("not enough fields in mdline (expected at least 3): " + std::string(line));
    }
    MdStat md;
    md.name = std::string(fields[0]);
    md.state = std::string(fields[2]);
    if (lines.size() <= i + 3) throw CollectError(md.name + ": too few lines for md device");
    // Failed disks have the suffix (F), spare disks (S).
    md.disks_failed = static_cast<double>(Count(line, "(F)"));
    md.disks_spare = static_cast<double>(Count(line, "(S)"));
    EvalStatusLine(line, lines[i + 1], md);
    std::string_view sync_line = lines[Contains(lines[i + 2], "bitmap") ? i + 3 : i + 2];
    // Not syncing: every block is in sync.
    md.blocks_synced = md.blocks_total;
    bool recovering = Contains(sync_line, "recovery");
    bool resyncing = Contains(sync_line, "resync");
    bool checking = Contains(sync_line, "check");
    if (recovering || resyncing || checking) {
      md.state = recovering ? "recovering" : checking ? "checking" : "resyncing";
      // resync=PENDING and resync=DELAYED: nothing synced yet.
      if (Contains(sync_line, "PENDING") || Contains(sync_line, "DELAYED")) {
        md.blocks_synced = 0;
      } else {
        md.blocks_synced = EvalRecoveryLine(sync_line);
      }
    }
    stats.push_back(std::move(md));
  }
  return stats;
}

class MdadmCollector final : public HostCollector {
 public:
  explicit MdadmCollector(const HostConfig& config) : path_(config.paths.Proc("mdstat")) {}

  std::string_view Name() const override { return "mdadm"; }

  void Collect(FamilySet& out) override {
    // No /proc/mdstat (no md driver): "Not collecting mdstat, file does not exist".
    std::optional<std::string> text = ReadSysfsFile(path_);
    if (!text) return;
    std::vector<MdStat> stats;
    try {
      stats = ParseMdstat(*text);
    } catch (const CollectError& error) {
      throw CollectError("error parsing mdstat " + path_ + ": " + error.what());
    }
    if (stats.empty()) return;
    out.Family("node_md_disks_required", "Total number of disks of device.", MetricType::kGauge);
    for (const MdStat& md : stats) out.Sample({{"device", md.name}}, md.disks_total);
    out.Family("node_md_disks", "Number of active/failed/spare disks of device.", MetricType::kGauge);
    for (const MdStat& md : stats) {
      out.Sample({{"device", md.name}, {"state", "active"}}, md.disks_active);
      out.Sample({{"device", md.name}, {"state", "failed"}}, md.disks_failed);
      out.Sample({{"device", md.name}, {"state", "spare"}}, md.disks_spare);
    }
    // procfs's activity state -> node_exporter's state label.
    static constexpr std::pair<std::string_view, std::string_view> kStates[] = {
        {"active", "active"}, {"inactive", "inactive"}, {"recovering", "recovering"},
        {"resyncing", "resync"}, {"checking", "check"}};
    out.Family("node_md_state", "Indicates the state of md-device.", MetricType::kGauge);
    for (const MdStat& md : stats) {
      for (const auto& [state, label] : kStates) {
        out.Sample({{"device", md.name}, {"state", label}}, md.state == state ? 1 : 0);
      }
    }
    out.Family("node_md_blocks", "Total number of blocks on device.", MetricType::kGauge);
    for (const MdStat& md : stats) out.Sample({{"device", md.name}}, md.blocks_total);
    out.Family("node_md_blocks_synced", "Number of blocks synced on device.", MetricType::kGauge);
    for (const MdStat& md : stats) out.Sample({{"device", md.name}}, md.blocks_synced);
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeMdadmCollector(const HostConfig& config) {
  return std::make_unique<MdadmCollector>(config);
}

}  // namespace metricsd::host
