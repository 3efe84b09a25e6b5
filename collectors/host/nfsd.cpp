// node_exporter's nfsd collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class NfsdCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "nfsd"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeNfsdCollector(const HostConfig& /*config*/) {
  return std::make_unique<NfsdCollector>();
}

}  // namespace metricsd::host
