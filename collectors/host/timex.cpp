// node_exporter's timex collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class TimexCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "timex"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeTimexCollector(const HostConfig& /*config*/) {
  return std::make_unique<TimexCollector>();
}

}  // namespace metricsd::host
