// node_exporter's textfile collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class TextfileCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "textfile"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeTextfileCollector(const HostConfig& /*config*/) {
  return std::make_unique<TextfileCollector>();
}

}  // namespace metricsd::host
