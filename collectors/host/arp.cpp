// node_exporter's arp collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class ArpCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "arp"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeArpCollector(const HostConfig& /*config*/) {
  return std::make_unique<ArpCollector>();
}

}  // namespace metricsd::host
