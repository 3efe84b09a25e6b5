// node_exporter's mdadm collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class MdadmCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "mdadm"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeMdadmCollector(const HostConfig& /*config*/) {
  return std::make_unique<MdadmCollector>();
}

}  // namespace metricsd::host
