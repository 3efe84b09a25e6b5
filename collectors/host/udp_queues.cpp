// node_exporter's udp_queues collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class UdpQueuesCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "udp_queues"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeUdpQueuesCollector(const HostConfig& /*config*/) {
  return std::make_unique<UdpQueuesCollector>();
}

}  // namespace metricsd::host
