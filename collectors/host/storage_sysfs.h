// sysfs access shared by the storage collectors (bcache, btrfs, nvme, tapestats): directory
// listings and attribute reads with prometheus/procfs's distinction between an absent file
// (nothing to report) and any other failure (CollectError), plus a buffer that groups samples
// produced device by device into families, as node_exporter's per-device metric loops do.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/family_set.h"
#include "collectors/host/sysfs_files.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {

using SysfsEntry = sysfs::DirEntry;

// The entries of `path` sorted by name, as Go's os.ReadDir; nullopt when `path` does not
// exist; CollectError on any other failure (permission, not a directory).
std::optional<std::vector<SysfsEntry>> ListSysfsDirectory(const std::string& path);

// The whole file; nullopt when it does not exist; CollectError on any other failure.
std::optional<std::string> ReadSysfsFile(const std::string& path);

// Samples appended in any order, emitted one family at a time in first-seen family order.
// Thread-safety: not thread-safe; a local of one Collect call.
class FamilyBuffer {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  // `name` and `help` must outlive the buffer (string literals).
  void Add(std::string_view name, std::string_view help, MetricType type, Labels labels,
           double value);
  void Flush(FamilySet& out);

 private:
  struct Pending {
    std::string_view name, help;
    MetricType type;
    std::vector<std::pair<Labels, double>> samples;
  };
  std::vector<Pending> families_;
};

}  // namespace metricsd::host
