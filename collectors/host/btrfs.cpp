// node_exporter's btrfs collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class BtrfsCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "btrfs"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeBtrfsCollector(const HostConfig& /*config*/) {
  return std::make_unique<BtrfsCollector>();
}

}  // namespace metricsd::host
