// node_exporter's edac collector: memory controllers' correctable and uncorrectable error
// counts, per controller and per csrow, from /sys/devices/system/edac/mc/mc[0-9]*.
#include <cerrno>
#include <cstring>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

// The digits after `prefix` in "mc12" or "csrow3": the label node_exporter's regexps capture.
std::string LeadingNumber(const std::string& name, std::size_t prefix) {
  std::size_t end = prefix;
  while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
  return name.substr(prefix, end - prefix);
}

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class EdacCollector final : public HostCollector {
 public:
  explicit EdacCollector(const HostPaths& paths) : mc_dir_(paths.Sys("devices/system/edac/mc")) {}

  std::string_view Name() const override { return "edac"; }

  void Collect(FamilySet& out) override {
    struct Row {
      std::string controller, csrow;
      double correctable, uncorrectable;
    };
    std::vector<Row> controllers, csrows;
    // Controllers are listed on every poll, as node_exporter globs them on every scrape.
    for (const std::string& mc : sysfs::NumberedEntries(mc_dir_, "mc")) {
      std::string dir = mc_dir_ + "/" + mc;
      std::string controller = LeadingNumber(mc, 2);
      controllers.push_back({controller, "", Count(dir, "ce_count"), Count(dir, "ue_count")});
      // Errors the driver could not attribute to a csrow.
      csrows.push_back(
          {controller, "unknown", Count(dir, "ce_noinfo_count"), Count(dir, "ue_noinfo_count")});
      for (const std::string& row : sysfs::NumberedEntries(dir, "csrow")) {
        std::string row_dir = dir + "/" + row;
        csrows.push_back({controller, LeadingNumber(row, 5), Count(row_dir, "ce_count"),
                          Count(row_dir, "ue_count")});
      }
    }
    if (controllers.empty()) return;
    out.Family("node_edac_correctable_errors_total", "Total correctable memory errors.",
               MetricType::kCounter);
    for (const Row& row : controllers) out.Sample({{"controller", row.controller}}, row.correctable);
    out.Family("node_edac_uncorrectable_errors_total", "Total uncorrectable memory errors.",
               MetricType::kCounter);
    for (const Row& row : controllers) {
      out.Sample({{"controller", row.controller}}, row.uncorrectable);
    }
    out.Family("node_edac_csrow_correctable_errors_total",
               "Total correctable memory errors for this csrow.", MetricType::kCounter);
    for (const Row& row : csrows) {
      out.Sample({{"controller", row.controller}, {"csrow", row.csrow}}, row.correctable);
    }
    out.Family("node_edac_csrow_uncorrectable_errors_total",
               "Total uncorrectable memory errors for this csrow.", MetricType::kCounter);
    for (const Row& row : csrows) {
      out.Sample({{"controller", row.controller}, {"csrow", row.csrow}}, row.uncorrectable);
    }
  }

 private:
  // Every count file is required: node_exporter fails the collection without one.
  static double Count(const std::string& dir, std::string_view file) {
    std::string path = dir + "/" + std::string(file);
    int error = 0;
    std::optional<std::uint64_t> value = sysfs::ReadUintFile(path, error);
    if (!value) throw CollectError("cannot read " + path + ": " + std::strerror(error));
    return static_cast<double>(*value);
  }

  std::string mc_dir_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeEdacCollector(const HostConfig& config) {
  return std::make_unique<EdacCollector>(config.paths);
}

}  // namespace metricsd::host
