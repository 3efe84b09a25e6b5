#include "collectors/host/host_config.h"

namespace metricsd::host {
namespace {

// The defaults of node_exporter 1.5 as Debian 12 ships it (prometheus-node-exporter), so the
// same series appear. Unlike it, netdev excludes no device (Debian's build drops ^lo$).
constexpr std::string_view kDiskstatsDeviceExclude =
    "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$";
constexpr std::string_view kMountPointsExclude =
    "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
constexpr std::string_view kFsTypesExclude =
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|"
    "iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|"
    "sysfs|tracefs)$";
constexpr std::string_view kVmstatFields = "^(oom_kill|pgpg|pswp|pg.*fault).*";
constexpr std::string_view kNetstatFields =
    "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|"
    "TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|"
    "OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|"
    "RcvbufErrors|SndbufErrors))$";

Pattern Compile(std::string_view text, const ConfigNode* at) {
  Pattern pattern{std::string(text), nullptr};
  if (text.empty()) return pattern;
  auto regex = std::make_shared<const RE2>(pattern.text, RE2::Quiet);
  if (!regex->ok()) {
    if (at != nullptr) at->Fail("invalid regular expression: " + regex->error());
    throw std::invalid_argument("built-in regex: " + regex->error());
  }
  pattern.regex = std::move(regex);
  return pattern;
}

Pattern PatternKey(const ConfigNode& section, std::string_view key, std::string_view fallback) {
  ConfigNode node = section[key];
  if (!node.IsSet()) return Compile(fallback, nullptr);
  return Compile(node.AsString(), &node);
}

ProcessGroup ParseProcessGroup(const ConfigNode& node) {
  node.ExpectKeys({"name", "comm", "cmdline", "pidfile"});
  ProcessGroup group;
  ConfigNode name = node["name"];
  if (!name.IsSet()) node.Fail("a process group needs a name");
  group.name = name.AsString();
  if (group.name.empty()) name.Fail("must not be empty");
  int selectors = 0;
  if (ConfigNode comm = node["comm"]; comm.IsSet()) {
    ++selectors;
    // One name or a list of names.
    std::vector<ConfigNode> items = comm.IsSequence() ? comm.Items() : std::vector<ConfigNode>{comm};
    for (const ConfigNode& item : items) group.comm.push_back(item.AsString());
    if (group.comm.empty()) comm.Fail("must name at least one command");
  }
  if (ConfigNode cmdline = node["cmdline"]; cmdline.IsSet()) {
    ++selectors;
    group.cmdline = Compile(cmdline.AsString(), &cmdline);
  }
  if (ConfigNode pidfile = node["pidfile"]; pidfile.IsSet()) {
    ++selectors;
    group.pidfile = pidfile.AsString();
  }
  if (selectors != 1) node.Fail("a process group needs exactly one of comm, cmdline or pidfile");
  return group;
}

}  // namespace

nlohmann::json ProcessGroup::ToJson() const {
  nlohmann::json out = {{"name", name}};
  if (!comm.empty()) out["comm"] = comm;
  if (!cmdline.text.empty()) out["cmdline"] = cmdline.text;
  if (!pidfile.empty()) out["pidfile"] = pidfile;
  return out;
}

const std::set<std::string, std::less<>>& AllCollectors() {
  static const std::set<std::string, std::less<>> kAll = {
      "cpu",  "diskstats", "filefd", "filesystem", "loadavg", "meminfo", "netdev",
      "netstat", "pressure", "sockstat", "stat", "time", "uname", "vmstat"};
  return kAll;
}

HostConfig ParseHostConfig(const ConfigNode& node) {
  node.ExpectKeys({"enabled", "interval", "procfs", "sysfs", "rootfs", "collectors",
                   "diskstats", "filesystem", "netdev", "vmstat", "netstat", "processes"});
  HostConfig config;
  config.enabled = node.GetBool("enabled", true);
  config.interval = node.GetDuration("interval", config.interval);
  if (config.interval < std::chrono::milliseconds(100)) {
    node["interval"].Fail("must be at least 100ms");
  }
  config.paths.procfs = node.GetString("procfs", config.paths.procfs);
  config.paths.sysfs = node.GetString("sysfs", config.paths.sysfs);
  config.paths.rootfs = node.GetString("rootfs", config.paths.rootfs);

  // collectors: {cpu: false, ...} switches individual collectors; all are on by default.
  config.collectors = AllCollectors();
  ConfigNode switches = node["collectors"];
  switches.ExpectKeys({"cpu", "diskstats", "filefd", "filesystem", "loadavg", "meminfo",
                       "netdev", "netstat", "pressure", "sockstat", "stat", "time", "uname",
                       "vmstat"});
  for (const std::string& name : AllCollectors()) {
    if (!switches.GetBool(name, true)) config.collectors.erase(name);
  }

  ConfigNode diskstats = node["diskstats"];
  diskstats.ExpectKeys({"device_exclude"});
  config.diskstats_device_exclude = PatternKey(diskstats, "device_exclude", kDiskstatsDeviceExclude);

  ConfigNode filesystem = node["filesystem"];
  filesystem.ExpectKeys({"mount_points_exclude", "fs_types_exclude", "statfs_timeout"});
  config.filesystem_mount_points_exclude =
      PatternKey(filesystem, "mount_points_exclude", kMountPointsExclude);
  config.filesystem_fs_types_exclude = PatternKey(filesystem, "fs_types_exclude", kFsTypesExclude);
  config.filesystem_statfs_timeout =
      filesystem.GetDuration("statfs_timeout", config.filesystem_statfs_timeout);

  ConfigNode netdev = node["netdev"];
  netdev.ExpectKeys({"device_exclude"});
  config.netdev_device_exclude = PatternKey(netdev, "device_exclude", "");

  ConfigNode vmstat = node["vmstat"];
  vmstat.ExpectKeys({"fields"});
  config.vmstat_fields = PatternKey(vmstat, "fields", kVmstatFields);

  ConfigNode netstat = node["netstat"];
  netstat.ExpectKeys({"fields"});
  config.netstat_fields = PatternKey(netstat, "fields", kNetstatFields);

  std::set<std::string, std::less<>> names;
  for (const ConfigNode& item : node["processes"].Items()) {
    ProcessGroup group = ParseProcessGroup(item);
    if (!names.insert(group.name).second) item["name"].Fail("duplicate process group name");
    config.processes.push_back(std::move(group));
  }
  return config;
}

nlohmann::json HostConfig::ToJson() const {
  return {{"enabled", enabled},
          {"interval", FormatDuration(interval)},
          {"procfs", paths.procfs},
          {"sysfs", paths.sysfs},
          {"rootfs", paths.rootfs},
          {"collectors", collectors},
          {"diskstats", {{"device_exclude", diskstats_device_exclude.text}}},
          {"filesystem",
           {{"mount_points_exclude", filesystem_mount_points_exclude.text},
            {"fs_types_exclude", filesystem_fs_types_exclude.text},
            {"statfs_timeout", FormatDuration(filesystem_statfs_timeout)}}},
          {"netdev", {{"device_exclude", netdev_device_exclude.text}}},
          {"vmstat", {{"fields", vmstat_fields.text}}},
          {"netstat", {{"fields", netstat_fields.text}}},
          {"processes", [this] {
             nlohmann::json groups = nlohmann::json::array();
             for (const ProcessGroup& group : processes) groups.push_back(group.ToJson());
             return groups;
           }()}};
}

}  // namespace metricsd::host
