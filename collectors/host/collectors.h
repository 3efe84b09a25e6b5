// Factories for every host collector, one file each, named after node_exporter's collectors.
#pragma once

#include <sys/statvfs.h>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "collectors/host/host_collector.h"
#include "collectors/host/host_config.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {

// cpu and stat both parse /proc/stat: given the same SharedFile they read it once per poll.
std::unique_ptr<HostCollector> MakeCpuCollector(const HostConfig& config,
                                                std::shared_ptr<SharedFile> proc_stat = nullptr);
std::unique_ptr<HostCollector> MakeStatCollector(const HostConfig& config,
                                                 std::shared_ptr<SharedFile> proc_stat = nullptr);
std::unique_ptr<HostCollector> MakeMeminfoCollector(const HostPaths& paths);
std::unique_ptr<HostCollector> MakeLoadavgCollector(const HostPaths& paths);
std::unique_ptr<HostCollector> MakeDiskstatsCollector(const HostConfig& config);
// statvfs(2) as the filesystem collector calls it: 0 or an errno value. Tests inject a slow one.
using StatfsFunction = std::function<int(const char* path, struct statvfs* out)>;
std::unique_ptr<HostCollector> MakeFilesystemCollector(const HostConfig& config,
                                                       StatfsFunction statfs = nullptr);
std::unique_ptr<HostCollector> MakeNetdevCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakePressureCollector(const HostPaths& paths);
std::unique_ptr<HostCollector> MakeVmstatCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeFilefdCollector(const HostPaths& paths);
std::unique_ptr<HostCollector> MakeUnameCollector(const HostPaths& paths);
std::unique_ptr<HostCollector> MakeTimeCollector(const HostPaths& paths);
std::unique_ptr<HostCollector> MakeSockstatCollector(const HostPaths& paths);
std::unique_ptr<HostCollector> MakeNetstatCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeProcessesCollector(const HostConfig& config);

// The rest of node_exporter 1.5's default collectors, one file each (collectors/host/<name>.cpp).
// Each reports nothing when its files are absent on the host, as node_exporter does.
std::unique_ptr<HostCollector> MakeArpCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeBcacheCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeBondingCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeBtrfsCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeConntrackCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeCpufreqCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeDmiCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeEdacCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeEntropyCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeFibrechannelCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeHwmonCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeInfinibandCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeIpvsCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeMdadmCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeNetclassCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeNfsCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeNfsdCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeNvmeCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeOsCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakePowersupplyclassCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeRaplCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeSchedstatCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeSelinuxCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeSoftnetCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeTapestatsCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeTextfileCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeThermalZoneCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeTimexCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeUdpQueuesCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeXfsCollector(const HostConfig& config);
std::unique_ptr<HostCollector> MakeZfsCollector(const HostConfig& config);

// Every collector `config` enables, in a stable order.
std::vector<std::unique_ptr<HostCollector>> MakeEnabledCollectors(const HostConfig& config);

}  // namespace metricsd::host
