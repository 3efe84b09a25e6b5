// node_exporter's xfs collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class XfsCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "xfs"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeXfsCollector(const HostConfig& /*config*/) {
  return std::make_unique<XfsCollector>();
}

}  // namespace metricsd::host
