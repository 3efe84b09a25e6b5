// node_exporter's nvme collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class NvmeCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "nvme"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeNvmeCollector(const HostConfig& /*config*/) {
  return std::make_unique<NvmeCollector>();
}

}  // namespace metricsd::host
