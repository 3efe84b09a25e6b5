// sysfs access shared by the storage collectors (see storage_sysfs.h).
#include "collectors/host/storage_sysfs.h"


#include <algorithm>
#include <cerrno>
#include <cstring>

namespace metricsd::host {

std::optional<std::vector<SysfsEntry>> ListSysfsDirectory(const std::string& path) {
  sysfs::DirListing listing = sysfs::ListDir(path);
  // Only ENOENT is "absent" here (ListDirUnlessAbsent also takes ENOTDIR): procfs's storage
  // readers fail on a path that exists but is not a directory.
  if (listing.error == ENOENT) return std::nullopt;
  if (!listing.ok()) throw CollectError("cannot list " + path + ": " + std::strerror(listing.error));
  return std::move(listing.entries);
}

std::optional<std::string> ReadSysfsFile(const std::string& path) {
  errno = 0;
  std::optional<std::string> text = TryReadFile(path);
  // TryReadFile leaves the failing open(2)/read(2)'s errno in place.
  if (!text && errno != ENOENT) {
    throw CollectError("cannot read " + path + ": " + std::strerror(errno));
  }
  return text;
}

void FamilyBuffer::Add(std::string_view name, std::string_view help, MetricType type,
                       Labels labels, double value) {
  auto it = std::find_if(families_.begin(), families_.end(),
                         [&](const Pending& family) { return family.name == name; });
  if (it == families_.end()) it = families_.insert(families_.end(), Pending{name, help, type, {}});
  it->samples.emplace_back(std::move(labels), value);
}

void FamilyBuffer::Flush(FamilySet& out) {
  for (const Pending& family : families_) {
    out.Family(family.name, family.help, family.type);
    for (const auto& [labels, value] : family.samples) out.Sample(labels, value);
  }
  families_.clear();
}

}  // namespace metricsd::host
