// node_exporter's netclass collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class NetclassCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "netclass"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeNetclassCollector(const HostConfig& /*config*/) {
  return std::make_unique<NetclassCollector>();
}

}  // namespace metricsd::host
