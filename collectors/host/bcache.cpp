// node_exporter's bcache collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class BcacheCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "bcache"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeBcacheCollector(const HostConfig& /*config*/) {
  return std::make_unique<BcacheCollector>();
}

}  // namespace metricsd::host
