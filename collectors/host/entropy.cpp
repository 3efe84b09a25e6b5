// node_exporter's entropy collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class EntropyCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "entropy"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeEntropyCollector(const HostConfig& /*config*/) {
  return std::make_unique<EntropyCollector>();
}

}  // namespace metricsd::host
