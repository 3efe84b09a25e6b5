// node_exporter's powersupplyclass collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class PowersupplyclassCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "powersupplyclass"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakePowersupplyclassCollector(const HostConfig& /*config*/) {
  return std::make_unique<PowersupplyclassCollector>();
}

}  // namespace metricsd::host
