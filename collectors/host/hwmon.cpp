// node_exporter's hwmon collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class HwmonCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "hwmon"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeHwmonCollector(const HostConfig& /*config*/) {
  return std::make_unique<HwmonCollector>();
}

}  // namespace metricsd::host
