// node_exporter's textfile collector: the families of every *.prom file in
// textfile_directory (a directory or a glob of directories), node_textfile_mtime_seconds per
// file read and node_textfile_scrape_error (textfile.go of node_exporter 1.5).
//
// A file is taken whole or not at all: one that does not parse (textfile_parser.h) or that
// carries client-side timestamps sets node_textfile_scrape_error and contributes nothing.
// Families of one name from several files merge. What Prometheus's registry would then refuse
// is dropped series by series, as node_exporter's Gather does with ContinueOnError: a family
// whose HELP or TYPE differs from the first file's, a series repeated with the same labels, a
// name that collides with a summary's or histogram's _sum/_count/_bucket. Series of one family
// with different label names get the missing ones as "" (node_exporter's convertMetricFamily).
//
// Counters, gauges and untyped families go into the poll's FamilySet; summaries and
// histograms, which a FamilySet cannot carry, are kept from the same poll and streamed by
// VisitLive.
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "collectors/host/textfile_parser.h"
#include "daemon/core/mutex.h"

namespace metricsd::host {
namespace {

// Go's filepath.Join for a directory and a file name: one '/' between, repeated and trailing
// slashes and "." elements removed.
std::string JoinPath(const std::string& dir, const std::string& name) {
  std::string joined = dir.empty() ? name : dir + "/" + name;
  std::string out;
  bool absolute = !joined.empty() && joined.front() == '/';
  std::size_t i = 0;
  while (i < joined.size()) {
    std::size_t end = joined.find('/', i);
    if (end == std::string::npos) end = joined.size();
    std::string_view part(joined.data() + i, end - i);
    if (!part.empty() && part != ".") {
      if (!out.empty() || absolute) out.push_back('/');
      out.append(part);
    }
    i = end + 1;
  }
  if (out.empty()) return absolute ? "/" : ".";
  return out;
}

// The directories textfile_directory names: its glob matches, or itself when it matches
// nothing (filepath.Glob, then "assume single directory").
std::vector<std::string> Directories(const std::string& pattern) {
  std::vector<std::string> paths;
  glob_t matches{};
  if (!pattern.empty() && glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) paths.emplace_back(matches.gl_pathv[i]);
  }
  globfree(&matches);
  if (paths.empty()) paths.push_back(pattern);
  return paths;
}

struct Parsed {
  std::string path;
  std::vector<TextFamily> families;
};

// One family as served: name, help, type and its series with labels filled in.
struct OutFamily {
  std::string name, help;
  MetricType type;
  std::vector<TextMetric> metrics;
  std::set<std::vector<std::pair<std::string, std::string>>> seen;  // sorted label sets
};

// The summaries and histograms of one poll, in the Source's terms.
struct LiveFamilies {
  std::vector<OutFamily> families;
};

void VisitComplex(const OutFamily& family, FamilyVisitor& visitor) {
  visitor.Family(family.name, family.help, family.type);
  std::vector<Label> labels;
  std::vector<double> bounds;
  std::vector<std::uint64_t> counts;
  std::vector<Quantile> quantiles;
  for (const TextMetric& metric : family.metrics) {
    labels.clear();
    for (const auto& [name, value] : metric.labels) labels.push_back({name, value});
    if (family.type == MetricType::kSummary) {
      // prometheus.MustNewConstSummary: one value per quantile (the last), sorted.
      std::map<double, double> by_quantile;
      for (const auto& [q, v] : metric.quantiles) by_quantile[q] = v;
      quantiles.clear();
      for (const auto& [q, v] : by_quantile) quantiles.push_back({q, v});
      visitor.Summary(labels, quantiles, metric.sum, metric.count);
    } else {
      std::map<double, std::uint64_t> by_bound;
      for (const auto& [bound, count] : metric.buckets) {
        if (!std::isinf(bound) || bound < 0) by_bound[bound] = count;
      }
      bounds.clear();
      counts.clear();
      for (const auto& [bound, count] : by_bound) {
        bounds.push_back(bound);
        counts.push_back(count);
      }
      visitor.Histogram(labels, bounds, counts, metric.sum, metric.count);
    }
  }
}

// Thread-safety: Collect from the poller's thread only; VisitLive from any thread (it reads a
// snapshot under live_mutex_).
class TextfileCollector final : public HostCollector {
 public:
  explicit TextfileCollector(const HostConfig& config) : directory_(config.textfile_directory) {}

  std::string_view Name() const override { return "textfile"; }

  void Collect(FamilySet& out) override {
    bool errored = false;
    std::vector<Parsed> parsed;
    std::map<std::string, double> mtimes;  // sorted by path, as node_exporter sorts them
    std::unordered_map<std::string, std::vector<std::string>> files_by_family;
    for (const std::string& dir : Directories(directory_)) {
      std::optional<std::vector<sysfs::DirEntry>> entries;
      try {
        entries = sysfs::ListDirUnlessAbsent(dir);
      } catch (const CollectError&) {
        entries = std::nullopt;
      }
      // An empty textfile_directory reads nothing and is no error (os.ReadDir("") fails,
      // node_exporter ignores that failure for the empty path only).
      if (!entries) {
        if (!dir.empty()) errored = true;
        continue;
      }
      for (const sysfs::DirEntry& entry : *entries) {
        if (!entry.name.ends_with(".prom")) continue;
        std::string path = JoinPath(dir, entry.name);
        std::optional<double> mtime;
        std::vector<TextFamily> families = ReadFile(path, mtime);
        for (const TextFamily& family : families) files_by_family[family.name].push_back(path);
        if (!families.empty()) parsed.push_back({path, std::move(families)});
        if (!mtime) {
          errored = true;
          continue;
        }
        mtimes[path] = *mtime;
      }
    }

    std::vector<OutFamily> served;
    std::unordered_map<std::string, std::size_t> served_by_name;
    for (Parsed& file : parsed) {
      for (TextFamily& family : file.families) {
        std::string help = family.help
                               ? *family.help
                               : "Metric read from " + Join(files_by_family[family.name], ", ");
        Merge(std::move(family), std::move(help), served, served_by_name);
      }
    }

    auto live = std::make_shared<LiveFamilies>();
    for (OutFamily& family : served) {
      if (family.metrics.empty()) continue;
      if (family.type == MetricType::kSummary || family.type == MetricType::kHistogram) {
        live->families.push_back(std::move(family));
        continue;
      }
      out.Family(family.name, family.help, family.type);
      for (const TextMetric& metric : family.metrics) out.Sample(metric.labels, metric.value);
    }
    if (!mtimes.empty()) {
      out.Family("node_textfile_mtime_seconds", "Unixtime mtime of textfiles successfully read.",
                 MetricType::kGauge);
      for (const auto& [path, mtime] : mtimes) out.Sample({{"file", path}}, mtime);
    }
    out.Family("node_textfile_scrape_error",
               "1 if there was an error opening or reading a file, 0 otherwise",
               MetricType::kGauge);
    out.Sample({}, errored ? 1 : 0);

    MutexLock lock(live_mutex_);
    live_ = live->families.empty() ? nullptr : std::move(live);
  }

  void VisitLive(FamilyVisitor& visitor) const override {
    std::shared_ptr<const LiveFamilies> live;
    {
      MutexLock lock(live_mutex_);
      live = live_;
    }
    if (!live) return;
    for (const OutFamily& family : live->families) VisitComplex(family, visitor);
  }

 private:
  static std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string joined;
    for (const std::string& part : parts) {
      if (!joined.empty()) joined.append(separator);
      joined.append(part);
    }
    return joined;
  }

  // The file's families, with `mtime` set when it was read whole (processFile): nothing and
  // no mtime when it cannot be opened, does not parse or has client-side timestamps.
  static std::vector<TextFamily> ReadFile(const std::string& path, std::optional<double>& mtime) {
    std::optional<std::string> text = TryReadFile(path);
    if (!text) return {};
    TextParseResult result = ParseTextFormat(*text);
    if (!result.ok()) return {};
    for (const TextFamily& family : result.families) {
      for (const TextMetric& metric : family.metrics) {
        if (metric.has_timestamp) return {};  // "unsupported client-side timestamps"
      }
    }
    // Stat only once parsed, so that a failure does not look fresh.
    struct stat info {};
    if (stat(path.c_str(), &info) == 0) {
      mtime = static_cast<double>(info.st_mtim.tv_sec);  // whole seconds: UnixNano() / 1e9
    }
    return std::move(result.families);
  }

  // Adds `family`'s series to the served families as client_golang's registry would accept
  // them, one by one.
  static void Merge(TextFamily family, std::string help, std::vector<OutFamily>& served,
                    std::unordered_map<std::string, std::size_t>& served_by_name) {
    // The label names any series of this file's family has; the others get "".
    std::vector<std::string> all_names;
    for (const TextMetric& metric : family.metrics) {
      for (const auto& [name, value] : metric.labels) {
        if (std::find(all_names.begin(), all_names.end(), name) == all_names.end()) {
          all_names.push_back(name);
        }
      }
    }
    auto it = served_by_name.find(family.name);
    if (it == served_by_name.end()) {
      if (SuffixCollision(family.name, family.type, served, served_by_name)) return;
      it = served_by_name.emplace(family.name, served.size()).first;
      served.push_back({family.name, help, family.type, {}, {}});
    }
    OutFamily& target = served[it->second];
    if (target.help != help || target.type != family.type) return;  // inconsistent: dropped
    for (TextMetric& metric : family.metrics) {
      for (const std::string& name : all_names) {
        bool present = std::any_of(metric.labels.begin(), metric.labels.end(),
                                   [&](const auto& label) { return label.first == name; });
        if (!present) metric.labels.emplace_back(name, "");
      }
      std::vector<std::pair<std::string, std::string>> key = metric.labels;
      std::sort(key.begin(), key.end());
      if (!target.seen.insert(std::move(key)).second) continue;  // "collected before"
      target.metrics.push_back(std::move(metric));
    }
  }

  // client_golang's checkSuffixCollisions: a new family must not be the _count/_sum (or
  // _bucket) of a summary or histogram, nor a summary or histogram whose parts exist.
  static bool SuffixCollision(const std::string& name, MetricType type,
                              const std::vector<OutFamily>& served,
                              const std::unordered_map<std::string, std::size_t>& by_name) {
    auto find = [&](const std::string& other) -> const OutFamily* {
      auto it = by_name.find(other);
      return it == by_name.end() ? nullptr : &served[it->second];
    };
    std::string base;
    if (name.ends_with("_count")) {
      base = name.substr(0, name.size() - 6);
    } else if (name.ends_with("_sum")) {
      base = name.substr(0, name.size() - 4);
    } else if (name.ends_with("_bucket")) {
      base = name.substr(0, name.size() - 7);
    }
    if (!base.empty()) {
      if (const OutFamily* existing = find(base)) {
        if (existing->type == MetricType::kSummary && !name.ends_with("_bucket")) return true;
        if (existing->type == MetricType::kHistogram) return true;
      }
    }
    if (type == MetricType::kSummary || type == MetricType::kHistogram) {
      if (find(name + "_count") != nullptr || find(name + "_sum") != nullptr) return true;
    }
    return type == MetricType::kHistogram && find(name + "_bucket") != nullptr;
  }

  std::string directory_;
  mutable Mutex live_mutex_;
  std::shared_ptr<const LiveFamilies> live_ ABSL_GUARDED_BY(live_mutex_);
};

}  // namespace

std::unique_ptr<HostCollector> MakeTextfileCollector(const HostConfig& config) {
  return std::make_unique<TextfileCollector>(config);
}

}  // namespace metricsd::host
