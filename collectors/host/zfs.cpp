// node_exporter's zfs collector (Linux): the kstat files under /proc/spl/kstat/zfs, untyped as
// node_exporter reports them. Each global file (arcstats, zil, ...) gives node_zfs_<subsystem>_*;
// each pool directory gives node_zfs_zpool_*{zpool} from its io file, node_zfs_zpool_dataset_*
// {zpool,dataset} from its objset-* files and node_zfs_zpool_state{zpool,state}.
// Family names come from the files, so the table is node_exporter's file-to-subsystem map.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "collectors/host/collectors.h"
#include "collectors/host/fsstats_common.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

// node_exporter's linuxPathMap: subsystem (family prefix) and the kstat file it reads.
struct Subsystem {
  std::string_view prefix, file;
};
constexpr Subsystem kSubsystems[] = {
    {"zfs_abd", "abdstats"},
    {"zfs_arc", "arcstats"},
    {"zfs_dbuf", "dbuf_stats"},
    {"zfs_dmu_tx", "dmu_tx"},
    {"zfs_dnode", "dnodestats"},
    {"zfs_fm", "fm"},
    {"zfs_vdev_cache", "vdev_cache_stats"},  // deprecated in ZFS
    {"zfs_vdev_mirror", "vdev_mirror_stats"},
    {"zfs_xuio", "xuio_stats"},
    {"zfs_zfetch", "zfetchstats"},
    {"zfs_zil", "zil"},
};

constexpr std::string_view kPoolStates[] = {"online",  "degraded", "faulted",
                                            "offline", "removed",  "unavail"};

// kstat's KSTAT_DATA_UINT64: the only data type node_exporter reports.
constexpr std::string_view kUint64Type = "4";

// node_exporter's zfsSysctl.metricName(): the key's last dot-separated part, '-' as '_'.
void AppendMetricName(std::string& out, std::string_view kstat_name) {
  std::size_t dot = kstat_name.rfind('.');
  if (dot != std::string_view::npos) kstat_name.remove_prefix(dot + 1);
  for (char c : kstat_name) out.push_back(c == '-' ? '_' : c);
}

// The lines of a kstat file after its "name type data" header with at least three fields;
// false when the file has no header.
template <typename OnLine>
bool ForEachKstatLine(std::string_view text, std::vector<std::string_view>& fields,
                      OnLine on_line) {
  bool started = false;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    SplitFields(line, fields);
    if (!started) {
      started = fields.size() == 3 && fields[0] == "name" && fields[1] == "type" &&
                fields[2] == "data";
      continue;
    }
    if (fields.size() >= 3) on_line(fields);
  }
  return started;
}

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class ZfsCollector final : public HostCollector {
 public:
  explicit ZfsCollector(const HostPaths& paths) : base_(paths.Proc("spl/kstat/zfs")) {
    for (const Subsystem& subsystem : kSubsystems) {
      subsystems_.push_back(std::make_unique<SubsystemFile>(subsystem, base_));
    }
  }

  std::string_view Name() const override { return "zfs"; }

  void Collect(FamilySet& out) override {
    if (::access(base_.c_str(), F_OK) != 0) return;  // no ZFS module: node_exporter's ErrNoData
    for (auto& subsystem : subsystems_) CollectSubsystem(*subsystem, out);
    CollectPools(out);
  }

 private:
  struct Names {
    std::string family, help;
  };
  struct SubsystemFile {
    SubsystemFile(const Subsystem& spec, const std::string& base)
        : subsystem(spec), file(base + "/" + std::string(spec.file)) {}
    Subsystem subsystem;
    CachedFile file;
    std::map<std::string, Names, std::less<>> names;  // by kstat name, built once each
  };
  // A pool family gathered over every pool and dataset before it is appended.
  struct PoolFamily {
    std::string help;
    MetricType type;
    std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, double>> samples;
  };

  void CollectSubsystem(SubsystemFile& subsystem, FamilySet& out) {
    // Files come with ZFS features; one the module lacks is skipped, as node_exporter does.
    const std::string* text = subsystem.file.TryRead();
    if (text == nullptr) return;
    bool started = ForEachKstatLine(*text, fields_, [&](const auto& fields) {
      if (fields[1] != kUint64Type) return;
      std::uint64_t value = RequireUint(fields[2], subsystem.file.path());
      auto it = subsystem.names.find(fields[0]);
      if (it == subsystem.names.end()) {
        Names names{"node_" + std::string(subsystem.subsystem.prefix) + "_",
                    "kstat.zfs.misc." + std::string(subsystem.subsystem.file) + "." +
                        std::string(fields[0])};
        AppendMetricName(names.family, fields[0]);
        it = subsystem.names.emplace(std::string(fields[0]), std::move(names)).first;
      }
      out.Family(it->second.family, it->second.help, MetricType::kUntyped);
      out.Sample({}, static_cast<double>(value));
    });
    if (!started) throw CollectError(subsystem.file.path() + ": no \"name type data\" header");
  }

  // node_exporter globs <base>/*/io, then <base>/*/objset-*, then <base>/*/state.
  void CollectPools(FamilySet& out) {
    for (auto& [name, family] : pool_families_) family.samples.clear();
    // An unreadable or absent directory lists nothing: filepath.Glob ignores I/O errors.
    for (const sysfs::DirEntry& pool_entry : sysfs::ListDir(base_).entries) {
      const std::string& pool = pool_entry.name;
      std::string dir = base_ + "/" + pool;
      if (std::string io = dir + "/io"; ::access(io.c_str(), F_OK) == 0) {
        ParsePoolIo(files_.Get(io), pool);
      }
      for (const sysfs::DirEntry& entry : sysfs::ListDir(dir).entries) {
        if (entry.name.starts_with("objset-")) {
          ParseObjset(files_.Get(dir + "/" + entry.name), pool);
        }
      }
      if (std::string state = dir + "/state"; ::access(state.c_str(), F_OK) == 0) {
        ParseState(files_.Get(state), pool);
      }
    }
    files_.Sweep();
    for (const auto& [name, family] : pool_families_) {
      if (family.samples.empty()) continue;
      out.Family(name, family.help, family.type);
      for (const auto& [labels, value] : family.samples) out.Sample(labels, value);
    }
  }

  PoolFamily& Pool(std::string_view prefix, std::string_view kstat_name, std::string_view help,
                   MetricType type) {
    name_.assign(prefix);
    AppendMetricName(name_, kstat_name);
    auto it = pool_families_.find(name_);
    if (it == pool_families_.end()) {
      it = pool_families_.emplace(name_, PoolFamily{std::string(help), type, {}}).first;
    }
    return it->second;
  }

  // "nread nwritten reads ..." then a line of as many numbers.
  void ParsePoolIo(CachedFile& file, const std::string& pool) {
    std::vector<std::string_view> header;
    LineReader lines(file.Read());
    std::string_view line;
    while (lines.Next(line)) {
      SplitFields(line, fields_);
      if (header.empty()) {
        if (fields_.size() >= 12 && fields_[0] == "nread") header = fields_;
        continue;
      }
      if (fields_.size() < header.size()) {
        throw CollectError(file.path() + ": " + std::to_string(fields_.size()) + " values for " +
                           std::to_string(header.size()) + " columns");
      }
      for (std::size_t i = 0; i < header.size(); ++i) {
        std::uint64_t value = RequireUint(fields_[i], file.path());
        help_.assign("kstat.zfs.misc.io.").append(header[i]);
        Pool("node_zfs_zpool_", header[i], help_, MetricType::kUntyped)
            .samples.push_back({{{"zpool", pool}}, static_cast<double>(value)});
      }
    }
  }

  // A kstat file whose dataset_name line names the dataset of the values after it.
  void ParseObjset(CachedFile& file, const std::string& pool) {
    std::string dataset, zpool;
    bool started = ForEachKstatLine(file.Read(), fields_, [&](const auto& fields) {
      if (fields[0] == "dataset_name") {
        zpool = pool;
        dataset.assign(fields[2]);
        return;
      }
      if (fields[1] != kUint64Type) return;
      std::uint64_t value = RequireUint(fields[2], file.path());
      help_.assign("kstat.zfs.misc.objset.").append(fields[0]);
      Pool("node_zfs_zpool_dataset_", fields[0], help_, MetricType::kUntyped)
          .samples.push_back({{{"zpool", zpool}, {"dataset", dataset}}, static_cast<double>(value)});
    });
    if (!started) throw CollectError(file.path() + ": no \"name type data\" header");
  }

  // The first line is the pool's state ("ONLINE"): 1 for it, 0 for the other known states.
  void ParseState(CachedFile& file, const std::string& pool) {
    std::string actual(FirstLine(file.Read()));
    std::transform(actual.begin(), actual.end(), actual.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    PoolFamily& family = Pool("node_zfs_zpool_", "state", "kstat.zfs.misc.state",
                              MetricType::kGauge);
    for (std::string_view state : kPoolStates) {
      family.samples.push_back(
          {{{"zpool", pool}, {"state", std::string(state)}}, actual == state ? 1.0 : 0.0});
    }
  }

  std::string base_;
  std::vector<std::unique_ptr<SubsystemFile>> subsystems_;
  fsstats::FileCache files_;
  std::map<std::string, PoolFamily, std::less<>> pool_families_;
  std::vector<std::string_view> fields_;
  std::string name_, help_;  // reused per value
};

}  // namespace

std::unique_ptr<HostCollector> MakeZfsCollector(const HostConfig& config) {
  return std::make_unique<ZfsCollector>(config.paths);
}

}  // namespace metricsd::host
