#include "collectors/host/collectors.h"

namespace metricsd::host {

std::vector<std::unique_ptr<HostCollector>> MakeEnabledCollectors(const HostConfig& config) {
  std::vector<std::unique_ptr<HostCollector>> collectors;
  auto add = [&](std::string_view name, auto make) {
    if (config.Enabled(name)) collectors.push_back(make());
  };
  const HostPaths& paths = config.paths;
  auto proc_stat = std::make_shared<SharedFile>(paths.Proc("stat"));
  add("cpu", [&] { return MakeCpuCollector(config, proc_stat); });
  add("diskstats", [&] { return MakeDiskstatsCollector(config); });
  add("filefd", [&] { return MakeFilefdCollector(paths); });
  add("filesystem", [&] { return MakeFilesystemCollector(config); });
  add("loadavg", [&] { return MakeLoadavgCollector(paths); });
  add("meminfo", [&] { return MakeMeminfoCollector(paths); });
  add("netdev", [&] { return MakeNetdevCollector(config); });
  add("netstat", [&] { return MakeNetstatCollector(config); });
  add("pressure", [&] { return MakePressureCollector(paths); });
  add("sockstat", [&] { return MakeSockstatCollector(paths); });
  add("stat", [&] { return MakeStatCollector(config, proc_stat); });
  add("time", [&] { return MakeTimeCollector(paths); });
  add("uname", [&] { return MakeUnameCollector(paths); });
  add("vmstat", [&] { return MakeVmstatCollector(config); });
  add("arp", [&] { return MakeArpCollector(config); });
  add("bcache", [&] { return MakeBcacheCollector(config); });
  add("bonding", [&] { return MakeBondingCollector(config); });
  add("btrfs", [&] { return MakeBtrfsCollector(config); });
  add("conntrack", [&] { return MakeConntrackCollector(config); });
  add("cpufreq", [&] { return MakeCpufreqCollector(config); });
  add("dmi", [&] { return MakeDmiCollector(config); });
  add("edac", [&] { return MakeEdacCollector(config); });
  add("entropy", [&] { return MakeEntropyCollector(config); });
  add("fibrechannel", [&] { return MakeFibrechannelCollector(config); });
  add("hwmon", [&] { return MakeHwmonCollector(config); });
  add("infiniband", [&] { return MakeInfinibandCollector(config); });
  add("ipvs", [&] { return MakeIpvsCollector(config); });
  add("mdadm", [&] { return MakeMdadmCollector(config); });
  add("netclass", [&] { return MakeNetclassCollector(config); });
  add("nfs", [&] { return MakeNfsCollector(config); });
  add("nfsd", [&] { return MakeNfsdCollector(config); });
  add("nvme", [&] { return MakeNvmeCollector(config); });
  add("os", [&] { return MakeOsCollector(config); });
  add("powersupplyclass", [&] { return MakePowersupplyclassCollector(config); });
  add("rapl", [&] { return MakeRaplCollector(config); });
  add("schedstat", [&] { return MakeSchedstatCollector(config); });
  add("selinux", [&] { return MakeSelinuxCollector(config); });
  add("softnet", [&] { return MakeSoftnetCollector(config); });
  add("tapestats", [&] { return MakeTapestatsCollector(config); });
  add("textfile", [&] { return MakeTextfileCollector(config); });
  add("thermal_zone", [&] { return MakeThermalZoneCollector(config); });
  add("timex", [&] { return MakeTimexCollector(config); });
  add("udp_queues", [&] { return MakeUdpQueuesCollector(config); });
  add("xfs", [&] { return MakeXfsCollector(config); });
  add("zfs", [&] { return MakeZfsCollector(config); });
  // Process groups have no switch of their own: configuring a group turns them on.
  if (!config.processes.empty()) collectors.push_back(MakeProcessesCollector(config));
  return collectors;
}

}  // namespace metricsd::host
