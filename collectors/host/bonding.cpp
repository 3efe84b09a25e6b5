// node_exporter's bonding collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class BondingCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "bonding"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeBondingCollector(const HostConfig& /*config*/) {
  return std::make_unique<BondingCollector>();
}

}  // namespace metricsd::host
