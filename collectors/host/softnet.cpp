// node_exporter's softnet collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class SoftnetCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "softnet"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeSoftnetCollector(const HostConfig& /*config*/) {
  return std::make_unique<SoftnetCollector>();
}

}  // namespace metricsd::host
