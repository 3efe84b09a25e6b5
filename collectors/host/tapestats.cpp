// node_exporter's tapestats collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class TapestatsCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "tapestats"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeTapestatsCollector(const HostConfig& /*config*/) {
  return std::make_unique<TapestatsCollector>();
}

}  // namespace metricsd::host
