// node_exporter's os collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class OsCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "os"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeOsCollector(const HostConfig& /*config*/) {
  return std::make_unique<OsCollector>();
}

}  // namespace metricsd::host
