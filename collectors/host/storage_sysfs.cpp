// sysfs access shared by the storage collectors (see storage_sysfs.h).
#include "collectors/host/storage_sysfs.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace metricsd::host {

std::optional<std::vector<SysfsEntry>> ListSysfsDirectory(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return std::nullopt;
    throw CollectError("cannot list " + path + ": " + std::strerror(errno));
  }
  std::vector<SysfsEntry> entries;
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat info{};
      is_dir = lstat((path + "/" + entry->d_name).c_str(), &info) == 0 && S_ISDIR(info.st_mode);
    }
    entries.push_back({std::string(name), is_dir});
  }
  closedir(dir);
  std::sort(entries.begin(), entries.end(),
            [](const SysfsEntry& a, const SysfsEntry& b) { return a.name < b.name; });
  return entries;
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
