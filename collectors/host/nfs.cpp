// node_exporter's nfs collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class NfsCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "nfs"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeNfsCollector(const HostConfig& /*config*/) {
  return std::make_unique<NfsCollector>();
}

}  // namespace metricsd::host
