// node_exporter's schedstat collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class SchedstatCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "schedstat"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeSchedstatCollector(const HostConfig& /*config*/) {
  return std::make_unique<SchedstatCollector>();
}

}  // namespace metricsd::host
