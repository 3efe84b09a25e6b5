// node_exporter's vmstat collector: the /proc/vmstat fields its default regex selects.
#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

class VmstatCollector final : public HostCollector {
 public:
  explicit VmstatCollector(const HostConfig& config)
      : file_(config.paths.Proc("vmstat")), fields_(config.vmstat_fields) {}

  std::string_view Name() const override { return "vmstat"; }

  void Collect(FamilySet& out) override {
    const std::string& text = file_.Read();
    std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(text); lines.Next(line);) {
      SplitFields(line, fields);  // "pgfault 123"
      if (fields.size() != 2 || !fields_.Matches(fields[0])) continue;
      std::string key(fields[0]);
      out.Family("node_vmstat_" + key, "/proc/vmstat information field " + key + ".",
                 MetricType::kUntyped);
      out.Sample({}, static_cast<double>(RequireUint(fields[1], file_.path())));
    }
  }

 private:
  CachedFile file_;
  MatchCache fields_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeVmstatCollector(const HostConfig& config) {
  return std::make_unique<VmstatCollector>(config);
}

}  // namespace metricsd::host
