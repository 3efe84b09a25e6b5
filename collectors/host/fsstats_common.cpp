// The file cache and the RPC statistics reader of fsstats_common.h.
#include "collectors/host/fsstats_common.h"

#include <algorithm>

#include "collectors/host/sysfs_files.h"

namespace metricsd::host::fsstats {

CachedFile& FileCache::Get(const std::string& path) {
  auto it = files_.find(path);
  if (it == files_.end()) it = files_.try_emplace(path, path).first;
  it->second.seen = true;
  return it->second.file;
}

void FileCache::Sweep() {
  std::erase_if(files_, [](const auto& entry) { return !entry.second.seen; });
  for (auto& [path, entry] : files_) entry.seen = false;
}

RpcStatsFile::RpcStatsFile(std::string path, std::span<const RpcLine> lines,
                           std::vector<RpcFamily> families)
    : file_(std::move(path)),
      lines_(lines),
      families_(std::move(families)),
      values_(lines.size()),
      width_(lines.size(), 0) {
  for (const RpcFamily& family : families_) {
    for (const RpcSample& sample : family.samples) {
      width_[sample.line] = std::max(width_[sample.line], sample.index + 1);
    }
  }
}

void RpcStatsFile::Parse(std::string_view text) {
  for (auto& values : values_) values.clear();
  LineReader reader(text);
  std::string_view line;
  while (reader.Next(line)) {
    SplitFields(line, fields_);
    if (fields_.size() < 2) {
      throw CollectError(file_.path() + ": invalid line \"" + std::string(line) + "\"");
    }
    auto kind = std::find_if(lines_.begin(), lines_.end(),
                             [&](const RpcLine& spec) { return spec.label == fields_[0]; });
    if (kind == lines_.end()) {
      throw CollectError(file_.path() + ": unknown line \"" + std::string(fields_[0]) + "\"");
    }
    std::size_t end = fields_.size();
    if (kind->only_first != 0) {
      if (end < 1 + kind->only_first) {
        throw CollectError(file_.path() + ": invalid " + std::string(kind->label) + " line");
      }
      end = 1 + kind->only_first;
    }
    std::vector<std::uint64_t>& values = values_[static_cast<std::size_t>(kind - lines_.begin())];
    values.clear();
    for (std::size_t i = 1; i < end; ++i) values.push_back(RequireUint(fields_[i], file_.path()));
    std::size_t count = values.size();
    if (kind->counted) {
      // "proc3 22 v1 ... v22": the first number says how many follow.
      count = values.size() - 1;
      if (values[0] != count) {
        throw CollectError(file_.path() + ": " + std::string(kind->label) + " announces " +
                           std::to_string(values[0]) + " values, has " + std::to_string(count));
      }
      values.erase(values.begin());
    }
    if (count < kind->min_values || (kind->max_values != 0 && count > kind->max_values)) {
      throw CollectError(file_.path() + ": " + std::to_string(count) + " values on the " +
                         std::string(kind->label) + " line");
    }
  }
  // A line the file lacks, or a shorter proc4 of an older kernel, reads as zeros (procfs pads).
  for (std::size_t i = 0; i < values_.size(); ++i) {
    if (values_[i].size() < width_[i]) values_[i].resize(width_[i], 0);
  }
}

void RpcStatsFile::Collect(FamilySet& out) {
  const std::string* text = sysfs::ReadUnlessAbsent(file_);
  if (text == nullptr) return;  // no NFS: node_exporter's ErrNoData
  Parse(*text);
  for (const RpcFamily& family : families_) {
    out.Family(family.name, family.help, family.type);
    for (const RpcSample& sample : family.samples) {
      double value = static_cast<double>(values_[sample.line][sample.index]);
      if (family.label_name[0].empty()) {
        out.Sample({}, value);
      } else if (family.label_name[1].empty()) {
        out.Sample({{family.label_name[0], sample.label_value[0]}}, value);
      } else {
        out.Sample({{family.label_name[0], sample.label_value[0]},
                    {family.label_name[1], sample.label_value[1]}},
                   value);
      }
    }
  }
}

void AddMethodSamples(RpcFamily& family, std::size_t line, std::string_view proto,
                      std::span<const std::string_view> methods,
                      std::span<const std::string_view> skip) {
  for (std::size_t i = 0; i < methods.size(); ++i) {
    if (std::find(skip.begin(), skip.end(), methods[i]) != skip.end()) continue;
    family.samples.push_back(RpcSample{line, i, {proto, methods[i]}});
  }
}

}  // namespace metricsd::host::fsstats
