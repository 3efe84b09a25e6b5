// node_exporter's fibrechannel collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class FibrechannelCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "fibrechannel"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeFibrechannelCollector(const HostConfig& /*config*/) {
  return std::make_unique<FibrechannelCollector>();
}

}  // namespace metricsd::host
