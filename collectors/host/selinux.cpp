// node_exporter's selinux collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class SelinuxCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "selinux"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeSelinuxCollector(const HostConfig& /*config*/) {
  return std::make_unique<SelinuxCollector>();
}

}  // namespace metricsd::host
