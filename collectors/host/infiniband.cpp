// node_exporter's infiniband collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class InfinibandCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "infiniband"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeInfinibandCollector(const HostConfig& /*config*/) {
  return std::make_unique<InfinibandCollector>();
}

}  // namespace metricsd::host
