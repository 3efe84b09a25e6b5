// node_exporter's conntrack collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class ConntrackCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "conntrack"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeConntrackCollector(const HostConfig& /*config*/) {
  return std::make_unique<ConntrackCollector>();
}

}  // namespace metricsd::host
