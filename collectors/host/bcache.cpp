// node_exporter's bcache collector: node_bcache_* from /sys/fs/bcache/<uuid>/ (the cache set,
// its internal/ directory, its bdev<N> backing devices and cache<N> cache devices), read as
// prometheus/procfs v0.8.0's bcache package does, priority_stats only when
// host.bcache.priority_stats (--collector.bcache.priorityStats) asks for it.
#include <cstdint>

#include "collectors/host/collectors.h"
#include "collectors/host/storage_sysfs.h"

namespace metricsd::host {
namespace {

// bch_hprint's "10.5k": the fraction is a count of 1/1024ths printed as tenths (procfs's
// parsePseudoFloat); a plain number has no suffix.
std::optional<double> ParsePseudoFloat(std::string_view text) {
  std::size_t dot = text.find('.');
  std::optional<double> whole = ParseDouble(text.substr(0, dot));
  if (!whole || dot == std::string_view::npos) return whole;
  std::string_view rest = text.substr(dot + 1);
  std::optional<double> fraction = ParseDouble(rest.substr(0, rest.find('.')));
  if (!fraction) return std::nullopt;
  return *whole + *fraction / 10.24;
}

// procfs's dehumanize: "1.1M" -> 1150976, truncated to an integer.
std::uint64_t Dehumanize(std::string_view text, const std::string& path) {
  if (text.empty()) throw CollectError(path + ": zero-length reply");
  double multiplier = 1;
  std::optional<double> mantissa;
  if (text.back() > '9') {
    // Any byte past the digits is a multiplier; one bch_hprint does not print counts as zero.
    switch (text.back()) {
      case 'k': multiplier = 0x1p10; break;
      case 'M': multiplier = 0x1p20; break;
      case 'G': multiplier = 0x1p30; break;
      case 'T': multiplier = 0x1p40; break;
      case 'P': multiplier = 0x1p50; break;
      case 'E': multiplier = 0x1p60; break;
      case 'Z': multiplier = 0x1p70; break;
      case 'Y': multiplier = 0x1p80; break;
      default: multiplier = 0;
    }
    mantissa = ParsePseudoFloat(text.substr(0, text.size() - 1));
  } else {
    mantissa = ParseDouble(text);
  }
  if (!mantissa) throw CollectError(path + ": bad number \"" + std::string(text) + "\"");
  double value = *mantissa * multiplier;
  // Go's uint64(float64) on amd64: a negative value wraps through int64.
  if (value < 0) return static_cast<std::uint64_t>(static_cast<std::int64_t>(value));
  return value >= 0x1p64 ? UINT64_MAX : static_cast<std::uint64_t>(value);
}

double DehumanizeSigned(std::string_view text, const std::string& path) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  auto value = static_cast<std::int64_t>(Dehumanize(text, path));
  return static_cast<double>(negative ? -value : value);
}

// procfs's readValue: an absent file is 0, any other failure an error; the last byte (the
// newline) is dropped before parsing.
double ReadValue(const std::string& path) {
  std::optional<std::string> text = ReadSysfsFile(path);
  if (!text) return 0;
  if (text->empty()) throw CollectError(path + ": empty file");
  return static_cast<double>(Dehumanize(std::string_view(*text).substr(0, text->size() - 1), path));
}

std::string_view LastField(std::string_view line) {
  std::vector<std::string_view> fields = SplitFields(line);
  return fields.empty() ? std::string_view{} : fields.back();
}

std::string_view TrimSuffix(std::string_view text, std::string_view suffix) {
  if (text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix) {
    text.remove_suffix(suffix.size());
  }
  return text;
}

struct WritebackRateDebug {
  double rate = 0, target = 0, proportional = 0, integral = 0, change = 0;
};

// <bdev>/writeback_rate_debug, which must exist:
//   rate:           1.1M/sec
//   proportional:   427.5k
WritebackRateDebug ReadWritebackRateDebug(const std::string& path) {
  std::optional<std::string> text = ReadSysfsFile(path);
  if (!text) throw CollectError("failed to read: " + path);
  WritebackRateDebug debug;
  std::string_view line;
  for (LineReader lines(*text); lines.Next(line);) {
    auto starts = [&](std::string_view prefix) { return line.substr(0, prefix.size()) == prefix; };
    std::string_view value = LastField(line);
    if (starts("rate:")) {
      debug.rate = static_cast<double>(Dehumanize(TrimSuffix(value, "/sec"), path));
    } else if (starts("dirty:")) {
      Dehumanize(value, path);  // parsed (and so checked) by procfs, not exposed
    } else if (starts("target:")) {
      debug.target = static_cast<double>(Dehumanize(value, path));
    } else if (starts("proportional:")) {
      debug.proportional = DehumanizeSigned(value, path);
    } else if (starts("integral:")) {
      debug.integral = DehumanizeSigned(value, path);
    } else if (starts("change:")) {
      debug.change = DehumanizeSigned(TrimSuffix(value, "/sec"), path);
    } else if (starts("next io:")) {
      std::string_view ms = TrimSuffix(value, "ms");
      if (!ms.empty() && (ms[0] == '-' || ms[0] == '+')) ms.remove_prefix(1);
      if (!ParseUint(ms)) throw CollectError(path + ": bad number \"" + std::string(value) + "\"");
    }
  }
  return debug;
}

// <cache>/priority_stats, which must exist: "Unused:\t\t99%" and "Metadata:\t0%".
std::pair<double, double> ReadPriorityStats(const std::string& path) {
  std::optional<std::string> text = ReadSysfsFile(path);
  if (!text) throw CollectError("failed to read: " + path);
  double unused = 0, metadata = 0;
  std::string_view line;
  for (LineReader lines(*text); lines.Next(line);) {
    bool is_unused = line.substr(0, 7) == "Unused:";
    if (!is_unused && line.substr(0, 9) != "Metadata:") continue;
    std::string_view value = TrimSuffix(LastField(line), "%");
    std::optional<std::uint64_t> percent = ParseUint(value);
    if (!percent) throw CollectError(path + ": bad percentage \"" + std::string(value) + "\"");
    (is_unused ? unused : metadata) = static_cast<double>(*percent);
  }
  return {unused, metadata};
}

// "bdev[0-9]*" and "cache[0-9]*" as procfs globs them.
bool HasNumberedPrefix(std::string_view name, std::string_view prefix) {
  return name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix &&
         name[prefix.size()] >= '0' && name[prefix.size()] <= '9';
}

struct Metric {
  std::string_view file, name, help;
  MetricType type;
};

// Files of <uuid>/ and <uuid>/internal/, in node_exporter's names.
constexpr Metric kSetMetrics[] = {
    {"average_key_size", "node_bcache_average_key_size_sectors", "Average data per key in the btree (sectors).", MetricType::kGauge},
    {"btree_cache_size", "node_bcache_btree_cache_size_bytes", "Amount of memory currently used by the btree cache.", MetricType::kGauge},
    {"cache_available_percent", "node_bcache_cache_available_percent", "Percentage of cache device without dirty data, usable for writeback (may contain clean cached data).", MetricType::kGauge},
    {"congested", "node_bcache_congested", "Congestion.", MetricType::kGauge},
    {"root_usage_percent", "node_bcache_root_usage_percent", "Percentage of the root btree node in use (tree depth increases if too high).", MetricType::kGauge},
    {"tree_depth", "node_bcache_tree_depth", "Depth of the btree.", MetricType::kGauge},
    {"internal/active_journal_entries", "node_bcache_active_journal_entries", "Number of journal entries that are newer than the index.", MetricType::kGauge},
    {"internal/btree_nodes", "node_bcache_btree_nodes", "Total nodes in the btree.", MetricType::kGauge},
    {"internal/btree_read_average_duration_us", "node_bcache_btree_read_average_duration_seconds", "Average btree read duration.", MetricType::kGauge},
    {"internal/cache_read_races", "node_bcache_cache_read_races_total", "Counts instances where while data was being read from the cache, the bucket was reused and invalidated - i.e. where the pointer was stale after the read completed.", MetricType::kCounter},
};

// Files of <bdev>/stats_total/.
constexpr Metric kPeriodMetrics[] = {
    {"bypassed", "node_bcache_bypassed_bytes_total", "Amount of IO (both reads and writes) that has bypassed the cache.", MetricType::kCounter},
    {"cache_hits", "node_bcache_cache_hits_total", "Hits counted per individual IO as bcache sees them.", MetricType::kCounter},
    {"cache_misses", "node_bcache_cache_misses_total", "Misses counted per individual IO as bcache sees them.", MetricType::kCounter},
    {"cache_bypass_hits", "node_bcache_cache_bypass_hits_total", "Hits for IO intended to skip the cache.", MetricType::kCounter},
    {"cache_bypass_misses", "node_bcache_cache_bypass_misses_total", "Misses for IO intended to skip the cache.", MetricType::kCounter},
    {"cache_miss_collisions", "node_bcache_cache_miss_collisions_total", "Instances where data insertion from cache miss raced with write (data already present).", MetricType::kCounter},
    {"cache_readaheads", "node_bcache_cache_readaheads_total", "Count of times readahead occurred.", MetricType::kCounter},
};

// Files of <cache>/.
constexpr Metric kCacheMetrics[] = {
    {"io_errors", "node_bcache_io_errors", "Number of errors that have occurred, decayed by io_error_halflife.", MetricType::kGauge},
    {"metadata_written", "node_bcache_metadata_written_bytes_total", "Sum of all non data writes (btree writes and all other metadata).", MetricType::kCounter},
    {"written", "node_bcache_written_bytes_total", "Sum of all data that has been written to the cache.", MetricType::kCounter},
};

class BcacheCollector final : public HostCollector {
 public:
  explicit BcacheCollector(const HostConfig& config)
      : root_(config.paths.Sys("fs/bcache")), priority_stats_(config.bcache_priority_stats) {}

  std::string_view Name() const override { return "bcache"; }

  void Collect(FamilySet& out) override {
    // procfs globs fs/bcache/*-*: no directory means no cache set, not an error.
    std::optional<std::vector<SysfsEntry>> sets = ListSysfsDirectory(root_);
    if (!sets) return;
    FamilyBuffer buffer;
    for (const SysfsEntry& set : *sets) {
      if (set.name.find('-') == std::string::npos) continue;
      CollectSet(set.name, buffer);
    }
    buffer.Flush(out);
  }

 private:
  void CollectSet(const std::string& uuid, FamilyBuffer& buffer) {
    std::string dir = root_ + "/" + uuid;
    for (const Metric& m : kSetMetrics) {
      double value = ReadValue(dir + "/" + std::string(m.file));
      // node_exporter scales the microsecond file by 1e-9, as if it held nanoseconds.
      if (m.file == "internal/btree_read_average_duration_us") value *= 1e-9;
      buffer.Add(m.name, m.help, m.type, {{"uuid", uuid}}, value);
    }
    std::optional<std::vector<SysfsEntry>> entries = ListSysfsDirectory(dir);
    if (!entries) return;
    for (const SysfsEntry& entry : *entries) {
      if (!HasNumberedPrefix(entry.name, "bdev")) continue;
      std::string bdev = dir + "/" + entry.name;
      FamilyBuffer::Labels labels = {{"uuid", uuid}, {"backing_device", entry.name}};
      double dirty = ReadValue(bdev + "/dirty_data");
      WritebackRateDebug debug = ReadWritebackRateDebug(bdev + "/writeback_rate_debug");
      buffer.Add("node_bcache_dirty_data_bytes", "Amount of dirty data for this backing device in the cache.", MetricType::kGauge, labels, dirty);
      buffer.Add("node_bcache_dirty_target_bytes", "Current dirty data target threshold for this backing device in bytes.", MetricType::kGauge, labels, debug.target);
      buffer.Add("node_bcache_writeback_rate", "Current writeback rate for this backing device in bytes.", MetricType::kGauge, labels, debug.rate);
      buffer.Add("node_bcache_writeback_rate_proportional_term", "Current result of proportional controller, part of writeback rate", MetricType::kGauge, labels, debug.proportional);
      buffer.Add("node_bcache_writeback_rate_integral_term", "Current result of integral controller, part of writeback rate", MetricType::kGauge, labels, debug.integral);
      buffer.Add("node_bcache_writeback_change", "Last writeback rate change step for this backing device.", MetricType::kGauge, labels, debug.change);
      for (const Metric& m : kPeriodMetrics) {
        buffer.Add(m.name, m.help, m.type, labels, ReadValue(bdev + "/stats_total/" + std::string(m.file)));
      }
    }
    for (const SysfsEntry& entry : *entries) {
      if (!HasNumberedPrefix(entry.name, "cache")) continue;
      std::string cache = dir + "/" + entry.name;
      FamilyBuffer::Labels labels = {{"uuid", uuid}, {"cache_device", entry.name}};
      for (const Metric& m : kCacheMetrics) {
        buffer.Add(m.name, m.help, m.type, labels, ReadValue(cache + "/" + std::string(m.file)));
      }
      if (!priority_stats_) continue;
      // Expensive for the kernel (it walks every bucket): only on request, as node_exporter.
      auto [unused, metadata] = ReadPriorityStats(cache + "/priority_stats");
      buffer.Add("node_bcache_priority_stats_unused_percent", "The percentage of the cache that doesn't contain any data.", MetricType::kGauge, labels, unused);
      buffer.Add("node_bcache_priority_stats_metadata_percent", "Bcache's metadata overhead.", MetricType::kGauge, labels, metadata);
    }
  }

  std::string root_;
  bool priority_stats_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeBcacheCollector(const HostConfig& config) {
  return std::make_unique<BcacheCollector>(config);
}

}  // namespace metricsd::host
