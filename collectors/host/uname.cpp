// node_exporter's uname collector: node_uname_info with the uname(2) fields as labels.
#include <sys/utsname.h>

#include <cerrno>
#include <cstring>

#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class UnameCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "uname"; }

  void Collect(FamilySet& out) override {
    struct utsname u {};
    if (::uname(&u) != 0) throw CollectError(std::string("uname: ") + std::strerror(errno));
    out.Family("node_uname_info",
               "Labeled system information as provided by the uname system call.",
               MetricType::kGauge);
    out.Sample({{"domainname", u.domainname}, {"machine", u.machine}, {"nodename", u.nodename},
                {"release", u.release}, {"sysname", u.sysname}, {"version", u.version}},
               1);
  }
};

}  // namespace

std::unique_ptr<HostCollector> MakeUnameCollector(const HostPaths&) {
  return std::make_unique<UnameCollector>();
}

}  // namespace metricsd::host
