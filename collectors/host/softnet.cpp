// node_exporter's softnet collector: node_softnet_{processed,dropped,times_squeezed}_total{cpu}
// from /proc/net/softnet_stat, one row per CPU (the cpu label is the row's index, as in 1.5).
#include <array>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

constexpr std::array<std::string_view, 3> kNames = {
    "node_softnet_processed_total", "node_softnet_dropped_total",
    "node_softnet_times_squeezed_total"};
constexpr std::array<std::string_view, 3> kSoftnetHelp = {
    "Number of processed packets", "Number of dropped packets",
    "Number of times processing packets ran out of quota"};

class SoftnetCollector final : public HostCollector {
 public:
  explicit SoftnetCollector(const HostConfig& config)
      : file_(config.paths.Proc("net/softnet_stat")) {}

  std::string_view Name() const override { return "softnet"; }

  void Collect(FamilySet& out) override {
    const std::string* text = sysfs::ReadUnlessAbsent(file_);
    if (text == nullptr) return;
    rows_.clear();
    std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(*text); lines.Next(line);) {
      // 00049279 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 ...
      // ^processed ^dropped ^time_squeezed (hex, 32 bit)                  (9 columns or more)
      SplitFields(line, fields);
      if (fields.size() < 9) {
        throw CollectError(file_.path() + ": " + std::to_string(fields.size()) +
                           " columns were detected, but at least 9 were expected");
      }
      std::array<double, 3> row{};
      for (std::size_t i = 0; i < row.size(); ++i) {
        std::optional<std::uint64_t> value = sysfs::ParseGoUint(fields[i], 16, 32);
        if (!value) {
          throw CollectError(file_.path() + ": bad number \"" + std::string(fields[i]) + "\"");
        }
        row[i] = static_cast<double>(*value);
      }
      rows_.push_back(row);
    }
    if (rows_.empty()) return;
    for (std::size_t column = 0; column < kNames.size(); ++column) {
      out.Family(kNames[column], kSoftnetHelp[column], MetricType::kCounter);
      for (std::size_t cpu = 0; cpu < rows_.size(); ++cpu) {
        out.Sample({{"cpu", std::to_string(cpu)}}, rows_[cpu][column]);
      }
    }
  }

 private:
  CachedFile file_;
  std::vector<std::array<double, 3>> rows_;  // reused across polls
};

}  // namespace

std::unique_ptr<HostCollector> MakeSoftnetCollector(const HostConfig& config) {
  return std::make_unique<SoftnetCollector>(config);
}

}  // namespace metricsd::host
