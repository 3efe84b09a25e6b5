// node_exporter's zfs collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class ZfsCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "zfs"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeZfsCollector(const HostConfig& /*config*/) {
  return std::make_unique<ZfsCollector>();
}

}  // namespace metricsd::host
