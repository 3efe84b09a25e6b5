// The `host` config section: polling interval, roots, enabled collectors and their filters.
#pragma once

#include <functional>
#include <unordered_map>
#include <memory>
#include <set>
#include <vector>
#include <string>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "collectors/host/host_collector.h"
#include "daemon/core/config_node.h"
#include "daemon/core/config_schema.h"
#include "daemon/core/regex_value.h"
#include "daemon/core/duration.h"

namespace metricsd::host {

using metricsd::Pattern;  // a user regex, anchored like node_exporter's flags

// The defaults of node_exporter 1.5 as Debian 12 ships it (prometheus-node-exporter), so the
// same series appear. Unlike it, netdev excludes no device (Debian's build drops ^lo$).
inline constexpr std::string_view kDiskstatsDeviceExclude =
    "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$";
inline constexpr std::string_view kMountPointsExclude =
    "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
inline constexpr std::string_view kFsTypesExclude =
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|"
    "iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|"
    "sysfs|tracefs)$";
inline constexpr std::string_view kVmstatFields = "^(oom_kill|pgpg|pswp|pg.*fault).*";
inline constexpr std::string_view kNetstatFields =
    "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|"
    "TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|"
    "OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|"
    "RcvbufErrors|SndbufErrors))$";

// Remembers a Pattern's verdict per key: field and device names repeat on every poll, so
// each is matched once. Not thread-safe (one per collector).
class MatchCache {
 public:
  explicit MatchCache(Pattern pattern) : pattern_(std::move(pattern)) {}
  bool Matches(std::string_view key) {
    auto it = verdicts_.find(key);
    if (it == verdicts_.end()) it = verdicts_.emplace(std::string(key), pattern_.Matches(key)).first;
    return it->second;
  }

 private:
  // Transparent hashing: look up by string_view without building a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  Pattern pattern_;
  std::unordered_map<std::string, bool, Hash, std::equal_to<>> verdicts_;
};

// One process group of host.processes: processes matched by comm, by a regex over the command
// line, or by a pidfile, exposed as process-exporter's namedprocess_namegroup_* families.
struct ProcessGroup {
  std::string name;
  std::vector<std::string> comm;  // exact comm values (as in /proc/PID/comm, 15 chars max)
  Pattern cmdline;                // RE2 over the arguments joined by single spaces
  std::string pidfile;            // a file holding one PID
};

// Every collector metricsd has, all enabled by default.
const std::set<std::string, std::less<>>& AllCollectors();

// Thread-safety: a plain value, immutable once loaded.
struct HostConfig {
  bool enabled = true;
  Duration interval = std::chrono::seconds(5);
  HostPaths paths;
  std::set<std::string, std::less<>> collectors = AllCollectors();  // enabled collector names

  Pattern diskstats_device_exclude = CompilePattern(kDiskstatsDeviceExclude);
  Pattern filesystem_mount_points_exclude = CompilePattern(kMountPointsExclude);
  Pattern filesystem_fs_types_exclude = CompilePattern(kFsTypesExclude);
  Duration filesystem_statfs_timeout = std::chrono::seconds(5);
  Pattern netdev_device_include;  // unset: every device (node_exporter's device-include)
  Pattern netdev_device_exclude;
  Pattern vmstat_fields = CompilePattern(kVmstatFields);
  Pattern netstat_fields = CompilePattern(kNetstatFields);
  std::vector<ProcessGroup> processes;

  // Options of the collectors node_exporter 1.5 enables by default beyond the first fourteen,
  // each named after its node_exporter flag (--collector.<name>.<option>).
  bool cpu_info = false;          // --collector.cpu.info: node_cpu_info, flag and bug info
  Pattern cpu_info_flags_include;  // unset: no node_cpu_flag_info series
  Pattern cpu_info_bugs_include;   // unset: no node_cpu_bug_info series
  bool stat_softirq = false;      // --collector.stat.softirq: node_softirqs_total
  Pattern arp_device_include;      // unset: every device
  Pattern arp_device_exclude;
  bool bcache_priority_stats = false;  // --collector.bcache.priorityStats
  Pattern netclass_ignored_devices;     // unset: none ignored
  bool netclass_ignore_invalid_speed = false;
  Pattern powersupply_ignored_supplies;  // unset: none ignored
  Pattern tapestats_ignored_devices;     // unset: none ignored
  std::string textfile_directory;        // empty: the textfile collector reads nothing

  bool Enabled(std::string_view collector) const { return collectors.count(collector) > 0; }
  nlohmann::json ToJson() const;
};

// The declaration of every key of the section (daemon/core/config_schema.h).
const config::Section<HostConfig>& HostSection();
// Parses the section (unset means all defaults). Throws ConfigError.
HostConfig ParseHostConfig(const ConfigNode& node);

}  // namespace metricsd::host
