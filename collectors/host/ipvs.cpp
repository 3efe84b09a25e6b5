// node_exporter's ipvs collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class IpvsCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "ipvs"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeIpvsCollector(const HostConfig& /*config*/) {
  return std::make_unique<IpvsCollector>();
}

}  // namespace metricsd::host
