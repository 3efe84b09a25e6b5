// node_exporter's cpufreq collector. STUB: reports nothing yet (being written).
#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

class CpufreqCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "cpufreq"; }
  void Collect(FamilySet& /*out*/) override {}
};

}  // namespace

std::unique_ptr<HostCollector> MakeCpufreqCollector(const HostConfig& /*config*/) {
  return std::make_unique<CpufreqCollector>();
}

}  // namespace metricsd::host
