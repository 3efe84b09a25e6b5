// node_exporter's dmi collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class DmiCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "dmi"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeDmiCollector(const HostConfig& /*config*/) {
  return std::make_unique<DmiCollector>();
}

}  // namespace metricsd::host
