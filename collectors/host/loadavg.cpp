// node_exporter's loadavg collector: node_load1, node_load5, node_load15 from /proc/loadavg.
#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

class LoadavgCollector final : public HostCollector {
 public:
  explicit LoadavgCollector(const HostPaths& paths) : file_(paths.Proc("loadavg")) {}

  std::string_view Name() const override { return "loadavg"; }

  void Collect(FamilySet& out) override {
    const std::string& text = file_.Read();
    std::vector<std::string_view> fields = SplitFields(FirstLine(text));
    if (fields.size() < 3) throw CollectError(file_.path() + ": expected 3 load averages");
    static constexpr std::string_view kNames[] = {"node_load1", "node_load5", "node_load15"};
    static constexpr std::string_view kHelp[] = {"1m load average.", "5m load average.",
                                                 "15m load average."};
    for (int i = 0; i < 3; ++i) {
      std::optional<double> value = ParseDouble(fields[i]);
      if (!value) throw CollectError(file_.path() + ": bad load average");
      out.Family(kNames[i], kHelp[i], MetricType::kGauge);
      out.Sample({}, *value);
    }
  }

 private:
  CachedFile file_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeLoadavgCollector(const HostPaths& paths) {
  return std::make_unique<LoadavgCollector>(paths);
}

}  // namespace metricsd::host
