// The `host` config section: polling interval, roots, enabled collectors and their filters.
#pragma once

#include <functional>
#include <unordered_map>
#include <memory>
#include <set>
#include <vector>
#include <string>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "collectors/host/host_collector.h"
#include "daemon/core/config_node.h"
#include "daemon/core/duration.h"

namespace metricsd::host {

// A user regex (RE2: linear time, Go's syntax), anchored like node_exporter's flags.
struct Pattern {
  std::string text;
  std::shared_ptr<const RE2> regex;  // null when text is empty (matches nothing)

  bool Matches(std::string_view value) const {
    return regex != nullptr && RE2::PartialMatch(value, *regex);
  }
};

// Remembers a Pattern's verdict per key: field and device names repeat on every poll, so
// each is matched once. Not thread-safe (one per collector).
class MatchCache {
 public:
  explicit MatchCache(Pattern pattern) : pattern_(std::move(pattern)) {}
  bool Matches(std::string_view key) {
    auto it = verdicts_.find(key);
    if (it == verdicts_.end()) it = verdicts_.emplace(std::string(key), pattern_.Matches(key)).first;
    return it->second;
  }

 private:
  // Transparent hashing: look up by string_view without building a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  Pattern pattern_;
  std::unordered_map<std::string, bool, Hash, std::equal_to<>> verdicts_;
};

// One process group of host.processes: processes matched by comm, by a regex over the command
// line, or by a pidfile, exposed as process-exporter's namedprocess_namegroup_* families.
struct ProcessGroup {
  std::string name;
  std::vector<std::string> comm;  // exact comm values (as in /proc/PID/comm, 15 chars max)
  Pattern cmdline;                // RE2 over the arguments joined by single spaces
  std::string pidfile;            // a file holding one PID

  nlohmann::json ToJson() const;
};

struct HostConfig {
  bool enabled = true;
  Duration interval = std::chrono::seconds(5);
  HostPaths paths;
  std::set<std::string, std::less<>> collectors;  // enabled collector names

  Pattern diskstats_device_exclude;
  Pattern filesystem_mount_points_exclude;
  Pattern filesystem_fs_types_exclude;
  Duration filesystem_statfs_timeout = std::chrono::seconds(5);
  Pattern netdev_device_exclude;
  Pattern vmstat_fields;
  Pattern netstat_fields;
  std::vector<ProcessGroup> processes;

  bool Enabled(std::string_view collector) const { return collectors.count(collector) > 0; }
  nlohmann::json ToJson() const;
};

// Every collector metricsd has, all enabled by default.
const std::set<std::string, std::less<>>& AllCollectors();

// Parses the section (unset means all defaults). Throws ConfigError.
HostConfig ParseHostConfig(const ConfigNode& node);

}  // namespace metricsd::host
