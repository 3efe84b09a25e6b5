#include "collectors/host/host_collector.h"

namespace metricsd::host {

std::string HostPaths::Proc(std::string_view relative) const {
  return procfs + "/" + std::string(relative);
}

std::string HostPaths::Sys(std::string_view relative) const {
  return sysfs + "/" + std::string(relative);
}

}  // namespace metricsd::host
