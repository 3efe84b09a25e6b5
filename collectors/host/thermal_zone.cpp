// node_exporter's thermal_zone collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class ThermalZoneCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "thermal_zone"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeThermalZoneCollector(const HostConfig& /*config*/) {
  return std::make_unique<ThermalZoneCollector>();
}

}  // namespace metricsd::host
