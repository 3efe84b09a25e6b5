#include "collectors/host/collectors.h"

namespace metricsd::host {

std::vector<std::unique_ptr<HostCollector>> MakeEnabledCollectors(const HostConfig& config) {
  std::vector<std::unique_ptr<HostCollector>> collectors;
  auto add = [&](std::string_view name, auto make) {
    if (config.Enabled(name)) collectors.push_back(make());
  };
  const HostPaths& paths = config.paths;
  auto proc_stat = std::make_shared<SharedFile>(paths.Proc("stat"));
  add("cpu", [&] { return MakeCpuCollector(paths, proc_stat); });
  add("diskstats", [&] { return MakeDiskstatsCollector(config); });
  add("filefd", [&] { return MakeFilefdCollector(paths); });
  add("filesystem", [&] { return MakeFilesystemCollector(config); });
  add("loadavg", [&] { return MakeLoadavgCollector(paths); });
  add("meminfo", [&] { return MakeMeminfoCollector(paths); });
  add("netdev", [&] { return MakeNetdevCollector(config); });
  add("netstat", [&] { return MakeNetstatCollector(config); });
  add("pressure", [&] { return MakePressureCollector(paths); });
  add("sockstat", [&] { return MakeSockstatCollector(paths); });
  add("stat", [&] { return MakeStatCollector(paths, proc_stat); });
  add("time", [&] { return MakeTimeCollector(paths); });
  add("uname", [&] { return MakeUnameCollector(paths); });
  add("vmstat", [&] { return MakeVmstatCollector(config); });
  // Process groups have no switch of their own: configuring a group turns them on.
  if (!config.processes.empty()) collectors.push_back(MakeProcessesCollector(config));
  return collectors;
}

}  // namespace metricsd::host
