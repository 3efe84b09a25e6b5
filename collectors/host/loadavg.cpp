// node_exporter's loadavg collector: node_load1, node_load5, node_load15 from /proc/loadavg.
#include "collectors/host/collectors.h"
#include "collectors/host/proc_file.h"

namespace metricsd::host {
namespace {

class LoadavgCollector final : public HostCollector {
 public:
  explicit LoadavgCollector(const HostPaths& paths) : path_(paths.Proc("loadavg")) {}

  std::string_view Name() const override { return "loadavg"; }

  void Collect(FamilySet& out) override {
    std::string text = ReadFile(path_);
    std::vector<std::string_view> fields = SplitFields(FirstLine(text));
    if (fields.size() < 3) throw CollectError(path_ + ": expected 3 load averages");
    static constexpr std::string_view kNames[] = {"node_load1", "node_load5", "node_load15"};
    static constexpr std::string_view kHelp[] = {"1m load average.", "5m load average.",
                                                 "15m load average."};
    for (int i = 0; i < 3; ++i) {
      std::optional<double> value = ParseDouble(fields[i]);
      if (!value) throw CollectError(path_ + ": bad load average");
      out.Family(kNames[i], kHelp[i], MetricType::kGauge);
      out.Sample({}, *value);
    }
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeLoadavgCollector(const HostPaths& paths) {
  return std::make_unique<LoadavgCollector>(paths);
}

}  // namespace metricsd::host
