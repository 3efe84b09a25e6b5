// node_exporter's edac collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class EdacCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "edac"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeEdacCollector(const HostConfig& /*config*/) {
  return std::make_unique<EdacCollector>();
}

}  // namespace metricsd::host
