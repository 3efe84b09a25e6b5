// node_exporter's rapl collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class RaplCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "rapl"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeRaplCollector(const HostConfig& /*config*/) {
  return std::make_unique<RaplCollector>();
}

}  // namespace metricsd::host
