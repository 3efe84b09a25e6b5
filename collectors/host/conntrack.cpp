// node_exporter's conntrack collector: node_nf_conntrack_entries{,_limit} from
// /proc/sys/net/netfilter and node_nf_conntrack_stat_* summed over the CPUs of
// /proc/net/stat/nf_conntrack.
#include <array>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

struct StatColumn {
  std::size_t index;  // column of /proc/net/stat/nf_conntrack
  std::string_view name, help;
};
// In node_exporter's order; the file's 17 columns are entries searched found new invalid
// ignore delete delete_list insert insert_failed drop early_drop icmp_error expect_new
// expect_create expect_delete search_restart.
constexpr std::array<StatColumn, 8> kStatColumns = {{
    {2, "node_nf_conntrack_stat_found", "Number of searched entries which were successful."},
    {4, "node_nf_conntrack_stat_invalid", "Number of packets seen which can not be tracked."},
    {5, "node_nf_conntrack_stat_ignore",
     "Number of packets seen which are already connected to a conntrack entry."},
    {8, "node_nf_conntrack_stat_insert", "Number of entries inserted into the list."},
    {9, "node_nf_conntrack_stat_insert_failed",
     "Number of entries for which list insertion was attempted but failed."},
    {10, "node_nf_conntrack_stat_drop", "Number of packets dropped due to conntrack failure."},
    {11, "node_nf_conntrack_stat_early_drop",
     "Number of dropped conntrack entries to make room for new ones, if maximum table size was "
     "reached."},
    {16, "node_nf_conntrack_stat_search_restart",
     "Number of conntrack table lookups which had to be restarted due to hashtable resizes."},
}};

class ConntrackCollector final : public HostCollector {
 public:
  explicit ConntrackCollector(const HostConfig& config)
      : count_(config.paths.Proc("sys/net/netfilter/nf_conntrack_count")),
        max_(config.paths.Proc("sys/net/netfilter/nf_conntrack_max")),
        stat_(config.paths.Proc("net/stat/nf_conntrack")) {}

  std::string_view Name() const override { return "conntrack"; }

  void Collect(FamilySet& out) override {
    // As node_exporter: each family is out before the next file is read, so a missing
    // later file (conntrack not loaded, stat hidden) leaves the earlier families in place.
    if (!ReadGauge(count_, "node_nf_conntrack_entries",
                   "Number of currently allocated flow entries for connection tracking.", out)) {
      return;
    }
    if (!ReadGauge(max_, "node_nf_conntrack_entries_limit",
                   "Maximum size of connection tracking table.", out)) {
      return;
    }
    const std::string* text = sysfs::ReadUnlessAbsent(stat_);
    if (text == nullptr) return;
    std::array<double, kStatColumns.size()> sums{};
    std::vector<std::string_view> fields;
    std::string_view line;
    LineReader lines(*text);
    lines.Next(line);  // the header
    while (lines.Next(line)) {
      // 00000021  00000000 00000000 00000000 00000003 0000588a ... (17 hex columns, per CPU)
      SplitFields(line, fields);
      if (fields.size() != 17) {
        throw CollectError(stat_.path() + ": invalid conntrackstat entry, missing fields");
      }
      for (std::size_t i = 0; i < kStatColumns.size(); ++i) {
        std::string_view field = fields[kStatColumns[i].index];
        std::optional<std::uint64_t> value = sysfs::ParseGoUint(field, 16);
        if (!value) {
          throw CollectError(stat_.path() + ": couldn't parse \"" + std::string(field) + "\"");
        }
        sums[i] += static_cast<double>(*value);
      }
    }
    for (std::size_t i = 0; i < kStatColumns.size(); ++i) {
      out.Family(kStatColumns[i].name, kStatColumns[i].help, MetricType::kGauge);
      out.Sample({}, sums[i]);
    }
  }

 private:
  // One decimal number (readUintFromFile); false when the file is absent.
  static bool ReadGauge(CachedFile& file, std::string_view name, std::string_view help,
                        FamilySet& out) {
    const std::string* text = sysfs::ReadUnlessAbsent(file);
    if (text == nullptr) return false;
    double value = static_cast<double>(RequireUint(sysfs::TrimSpace(*text), file.path()));
    out.Family(name, help, MetricType::kGauge);
    out.Sample({}, value);
    return true;
  }

  CachedFile count_;
  CachedFile max_;
  CachedFile stat_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeConntrackCollector(const HostConfig& config) {
  return std::make_unique<ConntrackCollector>(config);
}

}  // namespace metricsd::host
