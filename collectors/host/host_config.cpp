#include "collectors/host/host_config.h"

namespace metricsd::host {
namespace {

using config::Section;

const Section<ProcessGroup>& ProcessGroupSection() {
  static const auto* section = &(*new Section<ProcessGroup>(
      "A process group: processes matched by exactly one of comm, cmdline or pidfile."))
      .String("name", &ProcessGroup::name, "the groupname label")
      .Required("a process group needs a name")
      .Add(config::MakeKeyInfo(
               "comm", "string or list of strings",
               "exact command names, as in /proc/PID/comm (15 characters at most)",
               {{"anyOf", {config::StringSchema(),
                           {{"type", "array"}, {"items", config::StringSchema()}, {"minItems", 1}}}}}),
           [](const ConfigNode& node, ProcessGroup& out) {
             // One name or a list of names.
             std::vector<ConfigNode> items =
                 node.IsSequence() ? node.Items() : std::vector<ConfigNode>{node};
             for (const ConfigNode& item : items) out.comm.push_back(item.AsString());
             if (out.comm.empty()) node.Fail("must name at least one command");
           },
           [](const ProcessGroup& in) { return nlohmann::json(in.comm); })
      .OmitWhen([](const ProcessGroup& group) { return group.comm.empty(); })
      .Regex("cmdline", &ProcessGroup::cmdline, "RE2 regex over the arguments joined by spaces")
      .OmitWhen([](const ProcessGroup& group) { return group.cmdline.text.empty(); })
      .Path("pidfile", &ProcessGroup::pidfile, "a file holding the PID of the group's process")
      .OmitWhen([](const ProcessGroup& group) { return group.pidfile.empty(); })
      .Check("name: must not be empty; exactly one of comm, cmdline, pidfile",
             [](const ConfigNode& node, ProcessGroup& group) {
               if (group.name.empty()) node["name"].Fail("must not be empty");
               int selectors = node["comm"].IsSet() + node["cmdline"].IsSet() +
                               node["pidfile"].IsSet();
               if (selectors != 1) {
                 node.Fail("a process group needs exactly one of comm, cmdline or pidfile");
               }
             });
  return *section;
}

// What each collector serves, for its switch's doc.
constexpr std::pair<std::string_view, std::string_view> kCollectorFamilies[] = {
    {"cpu", "node_cpu_*"},
    {"diskstats", "node_disk_*"},
    {"filefd", "node_filefd_*"},
    {"filesystem", "node_filesystem_*"},
    {"loadavg", "node_load1, node_load5, node_load15"},
    {"meminfo", "node_memory_*"},
    {"netdev", "node_network_*"},
    {"netstat", "node_netstat_*"},
    {"pressure", "node_pressure_*"},
    {"sockstat", "node_sockstat_*"},
    {"stat", "node_boot_time_seconds, node_context_switches_total, node_forks_total, node_intr_total, node_procs_*"},
    {"time", "node_time_seconds"},
    {"uname", "node_uname_info"},
    {"vmstat", "node_vmstat_*"},
    {"arp", "node_arp_entries"},
    {"bcache", "node_bcache_*"},
    {"bonding", "node_bonding_*"},
    {"btrfs", "node_btrfs_*"},
    {"conntrack", "node_nf_conntrack_*"},
    {"cpufreq", "node_cpu_frequency_*, node_cpu_scaling_*"},
    {"dmi", "node_dmi_info"},
    {"edac", "node_edac_*"},
    {"entropy", "node_entropy_*"},
    {"fibrechannel", "node_fibrechannel_*"},
    {"hwmon", "node_hwmon_*"},
    {"infiniband", "node_infiniband_*"},
    {"ipvs", "node_ipvs_*"},
    {"mdadm", "node_md_*"},
    {"netclass", "node_network_* from /sys/class/net"},
    {"nfs", "node_nfs_*"},
    {"nfsd", "node_nfsd_*"},
    {"nvme", "node_nvme_info"},
    {"os", "node_os_info, node_os_version"},
    {"powersupplyclass", "node_power_supply_*"},
    {"rapl", "node_rapl_*"},
    {"schedstat", "node_schedstat_*"},
    {"selinux", "node_selinux_*"},
    {"softnet", "node_softnet_*"},
    {"tapestats", "node_tape_*"},
    {"textfile", "the *.prom files of textfile.directory, node_textfile_*"},
    {"thermal_zone", "node_thermal_zone_temp, node_cooling_device_*"},
    {"timex", "node_timex_*"},
    {"udp_queues", "node_udp_queues"},
    {"xfs", "node_xfs_*"},
    {"zfs", "node_zfs_*"},
};

const Section<HostConfig>& CollectorsSection() {
  static const auto* section = [] {
    auto* collectors = new Section<HostConfig>("Host collectors switched on or off.");
    for (const std::string& name : AllCollectors()) {
      std::string doc;
      for (const auto& [collector, families] : kCollectorFamilies) {
        if (collector == name) doc = std::string(families);
      }
      collectors->Add(
          config::MakeKeyInfo(name, "bool", std::move(doc), {{"type", {"boolean", "null"}}}),
          [name](const ConfigNode& node, HostConfig& out) {
            if (node.AsBool()) out.collectors.insert(name);
            else out.collectors.erase(name);
          },
          [name](const HostConfig& in) { return nlohmann::json(in.Enabled(name)); });
    }
    return collectors;
  }();
  return *section;
}

// node_exporter refuses an include and an exclude flag of one collector together. A key written
// empty (as the generated default config writes every key) is no filter: only two non-empty
// patterns conflict.
auto ExclusivePatterns(std::string_view include, Pattern HostConfig::*include_member,
                       std::string_view exclude, Pattern HostConfig::*exclude_member) {
  return [=](const ConfigNode& node, HostConfig& config) {
    if (!(config.*include_member).text.empty() && !(config.*exclude_member).text.empty()) {
      node[exclude].Fail(std::string(include) + " and " + std::string(exclude) +
                         " are mutually exclusive");
    }
  };
}

template <class Get>
const Section<HostConfig>& PatternBlock(std::string_view key, Get get, std::string doc) {
  // One small block per collector with one regex (diskstats.device_exclude, ...).
  auto* section = new Section<HostConfig>("");
  section->Regex(std::string(key), get, std::move(doc));
  return *section;
}

}  // namespace

const std::set<std::string, std::less<>>& AllCollectors() {
  // node_exporter 1.5's default collectors on Linux.
  static const std::set<std::string, std::less<>> kAll = [] {
    std::set<std::string, std::less<>> all;
    for (const auto& [name, families] : kCollectorFamilies) all.emplace(name);
    return all;
  }();
  return kAll;
}

const Section<HostConfig>& HostSection() {
  static const auto* section = [] {
    auto* filesystem = new Section<HostConfig>("");
    filesystem->Regex("mount_points_exclude", &HostConfig::filesystem_mount_points_exclude,
                      "RE2 regex of mount points to leave out (Debian node_exporter's default)")
        .Regex("fs_types_exclude", &HostConfig::filesystem_fs_types_exclude,
               "RE2 regex of filesystem types to leave out (node_exporter's list)")
        .Dur("statfs_timeout", &HostConfig::filesystem_statfs_timeout,
             "statfs of a filesystem that may hang (NFS, CIFS, FUSE, ...) runs on a worker "
             "thread; slower than this marks the mount node_filesystem_device_error 1 and it is "
             "skipped until the hung call returns", config::kPositive);
    auto* netdev = new Section<HostConfig>("");
    netdev->Regex("device_include", &HostConfig::netdev_device_include,
                  "RE2 regex of the only network devices to report (exclusive with device_exclude)")
        .Regex("device_exclude", &HostConfig::netdev_device_exclude,
               "RE2 regex of network devices to leave out; Debian's node_exporter excludes ^lo$, "
               "metricsd keeps lo")
        .Check("device_include and device_exclude exclude each other",
               ExclusivePatterns("device_include", &HostConfig::netdev_device_include,
                                 "device_exclude", &HostConfig::netdev_device_exclude));
    auto* cpu = new Section<HostConfig>("");
    cpu->Bool("info", &HostConfig::cpu_info,
              "node_cpu_info from /proc/cpuinfo (--collector.cpu.info)")
        .Regex("flags_include", &HostConfig::cpu_info_flags_include,
               "RE2 regex of /proc/cpuinfo flags to report as node_cpu_flag_info; unset reports none")
        .Regex("bugs_include", &HostConfig::cpu_info_bugs_include,
               "RE2 regex of /proc/cpuinfo bugs to report as node_cpu_bug_info; unset reports none");
    auto* stat = new Section<HostConfig>("");
    stat->Bool("softirq", &HostConfig::stat_softirq,
               "node_softirqs_total per vector (--collector.stat.softirq)");
    auto* arp = new Section<HostConfig>("");
    arp->Regex("device_include", &HostConfig::arp_device_include,
               "RE2 regex of the only devices to count entries of (exclusive with device_exclude)")
        .Regex("device_exclude", &HostConfig::arp_device_exclude,
               "RE2 regex of devices to leave out")
        .Check("device_include and device_exclude exclude each other",
               ExclusivePatterns("device_include", &HostConfig::arp_device_include,
                                 "device_exclude", &HostConfig::arp_device_exclude));
    auto* bcache = new Section<HostConfig>("");
    bcache->Bool("priority_stats", &HostConfig::bcache_priority_stats,
                 "the expensive priority stats (--collector.bcache.priorityStats)");
    auto* netclass = new Section<HostConfig>("");
    netclass->Regex("ignored_devices", &HostConfig::netclass_ignored_devices,
                    "RE2 regex of network devices to leave out")
        .Bool("ignore_invalid_speed", &HostConfig::netclass_ignore_invalid_speed,
              "leave out node_network_speed_bytes of devices whose speed is unknown");
    auto* textfile = new Section<HostConfig>("");
    textfile->String("directory", &HostConfig::textfile_directory,
                     "directory whose *.prom files are served as they are, with "
                     "node_textfile_mtime_seconds and node_textfile_scrape_error; empty reads none");
    auto* host = new Section<HostConfig>(
        "Host collectors with node_exporter's families, read every interval on a thread of "
        "their own.");
    host->Bool("enabled", &HostConfig::enabled, "false turns every host collector off")
        .Dur("interval", &HostConfig::interval,
             "time between collections; a scrape serves the latest one, never reading /proc itself",
             {std::chrono::milliseconds(100)})
        .String("procfs", [](auto& c) -> auto& { return c.paths.procfs; },
                "procfs mount point; --path.procfs overrides it")
        .String("sysfs", [](auto& c) -> auto& { return c.paths.sysfs; },
                "sysfs mount point; --path.sysfs overrides it")
        .String("rootfs", [](auto& c) -> auto& { return c.paths.rootfs; },
                "root filesystem (a container with the host's mounted elsewhere); --path.rootfs "
                "overrides it")
        .String("udev_data", [](auto& c) -> auto& { return c.paths.udev_data; },
                "udev's database directory (disk and device info); --path.udev.data overrides it")
        .Block("collectors", [](auto& c) -> auto& { return c; }, CollectorsSection(),
               "each collector on (true, the default) or off")
        .Block("diskstats", [](auto& c) -> auto& { return c; },
               PatternBlock("device_exclude", &HostConfig::diskstats_device_exclude,
                            "RE2 regex of devices to leave out (node_exporter's default)"),
               "the diskstats collector")
        .Block("filesystem", [](auto& c) -> auto& { return c; }, *filesystem,
               "the filesystem collector")
        .Block("netdev", [](auto& c) -> auto& { return c; }, *netdev, "the netdev collector")
        .Block("cpu", [](auto& c) -> auto& { return c; }, *cpu, "the cpu collector")
        .Block("stat", [](auto& c) -> auto& { return c; }, *stat, "the stat collector")
        .Block("arp", [](auto& c) -> auto& { return c; }, *arp, "the arp collector")
        .Block("bcache", [](auto& c) -> auto& { return c; }, *bcache, "the bcache collector")
        .Block("netclass", [](auto& c) -> auto& { return c; }, *netclass, "the netclass collector")
        .Block("powersupplyclass", [](auto& c) -> auto& { return c; },
               PatternBlock("ignored_supplies", &HostConfig::powersupply_ignored_supplies,
                            "RE2 regex of power supplies to leave out"),
               "the powersupplyclass collector")
        .Block("tapestats", [](auto& c) -> auto& { return c; },
               PatternBlock("ignored_devices", &HostConfig::tapestats_ignored_devices,
                            "RE2 regex of tape devices to leave out"),
               "the tapestats collector")
        .Block("textfile", [](auto& c) -> auto& { return c; }, *textfile, "the textfile collector")
        .Block("vmstat", [](auto& c) -> auto& { return c; },
               PatternBlock("fields", &HostConfig::vmstat_fields, "/proc/vmstat fields to export"),
               "the vmstat collector")
        .Block("netstat", [](auto& c) -> auto& { return c; },
               PatternBlock("fields", &HostConfig::netstat_fields,
                            "Proto_Field names from /proc/net/netstat, snmp, snmp6 to export"),
               "the netstat collector")
        .List("processes", &HostConfig::processes, ProcessGroupSection(),
              "process groups, each {name, comm | cmdline | pidfile}, exposed as process-exporter's "
              "namedprocess_namegroup_* families (see below)")
        .Check("processes: group names are unique", [](const ConfigNode& node, HostConfig& c) {
          std::set<std::string, std::less<>> names;
          std::vector<ConfigNode> items = node["processes"].Items();
          for (std::size_t i = 0; i < c.processes.size(); ++i) {
            if (!names.insert(c.processes[i].name).second) {
              items[i]["name"].Fail("duplicate process group name");
            }
          }
        });
    return host;
  }();
  return *section;
}

HostConfig ParseHostConfig(const ConfigNode& node) { return HostSection().Parse(node); }

nlohmann::json HostConfig::ToJson() const { return HostSection().Render(*this); }

}  // namespace metricsd::host
