// One node_exporter collector: reads its files under the configured roots and appends its
// families to a FamilySet. Collectors are polled off the scrape path by HostPoller.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "daemon/core/family_set.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {

// Where the collectors read from: /proc, /sys and / by default, another tree in a container
// (the host's mounted in) or in tests (fixtures).
struct HostPaths {
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";
  std::string udev_data = "/run/udev/data";  // udev's database (node_exporter's --path.udev.data)

  std::string Proc(std::string_view relative) const;
  std::string Sys(std::string_view relative) const;
};

// A collection that cannot complete: the collector reports success 0 with this reason.
// Thrown by collectors and the file readers (daemon/core/proc_file.h), caught by the poller.
using ::metricsd::CollectError;

// Thread-safety: not thread-safe; the poller calls Collect from one thread at a time.
class HostCollector {
 public:
  virtual ~HostCollector() = default;
  // node_exporter's collector name: "cpu", "meminfo", ...
  virtual std::string_view Name() const = 0;
  // Appends the families; throws CollectError when the collector's source is unusable.
  virtual void Collect(FamilySet& out) = 0;
  // Samples that must be computed at scrape time, not poll time (node_time_seconds).
  virtual void VisitLive(FamilyVisitor& /*visitor*/) const {}
};

}  // namespace metricsd::host
