// node_exporter's filefd collector: allocated and maximum file handles from
// /proc/sys/fs/file-nr ("allocated  unused  maximum").
#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

class FilefdCollector final : public HostCollector {
 public:
  explicit FilefdCollector(const HostPaths& paths) : file_(paths.Proc("sys/fs/file-nr")) {}

  std::string_view Name() const override { return "filefd"; }

  void Collect(FamilySet& out) override {
    const std::string& text = file_.Read();
    std::vector<std::string_view> fields = SplitFields(FirstLine(text));
    if (fields.size() != 3) throw CollectError(file_.path() + ": expected 3 fields");
    out.Family("node_filefd_allocated", "File descriptor statistics: allocated.",
               MetricType::kGauge);
    out.Sample({}, static_cast<double>(RequireUint(fields[0], file_.path())));
    out.Family("node_filefd_maximum", "File descriptor statistics: maximum.", MetricType::kGauge);
    out.Sample({}, static_cast<double>(RequireUint(fields[2], file_.path())));
  }

 private:
  CachedFile file_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeFilefdCollector(const HostPaths& paths) {
  return std::make_unique<FilefdCollector>(paths);
}

}  // namespace metricsd::host
