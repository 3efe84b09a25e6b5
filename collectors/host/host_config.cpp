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

template <class Get>
const Section<HostConfig>& PatternBlock(std::string_view key, Get get, std::string doc) {
  // One small block per collector with one regex (diskstats.device_exclude, ...).
  auto* section = new Section<HostConfig>("");
  section->Regex(std::string(key), get, std::move(doc));
  return *section;
}

}  // namespace

const std::set<std::string, std::less<>>& AllCollectors() {
  static const std::set<std::string, std::less<>> kAll = {
      "cpu",  "diskstats", "filefd", "filesystem", "loadavg", "meminfo", "netdev",
      "netstat", "pressure", "sockstat", "stat", "time", "uname", "vmstat"};
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
        .Block("collectors", [](auto& c) -> auto& { return c; }, CollectorsSection(),
               "each collector on (true, the default) or off")
        .Block("diskstats", [](auto& c) -> auto& { return c; },
               PatternBlock("device_exclude", &HostConfig::diskstats_device_exclude,
                            "RE2 regex of devices to leave out (node_exporter's default)"),
               "the diskstats collector")
        .Block("filesystem", [](auto& c) -> auto& { return c; }, *filesystem,
               "the filesystem collector")
        .Block("netdev", [](auto& c) -> auto& { return c; },
               PatternBlock("device_exclude", &HostConfig::netdev_device_exclude,
                            "RE2 regex of network devices to leave out; Debian's node_exporter excludes ^lo$, "
                            "metricsd keeps lo"),
               "the netdev collector")
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
