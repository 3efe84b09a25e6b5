// node_exporter's arp collector: node_arp_entries{device} counts the rows of /proc/net/arp
// per device, filtered by --collector.arp.device-include/-exclude.
#include <map>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

class ArpCollector final : public HostCollector {
 public:
  explicit ArpCollector(const HostConfig& config)
      : file_(config.paths.Proc("net/arp")),
        include_(config.arp_device_include),
        exclude_(config.arp_device_exclude),
        has_include_(config.arp_device_include.regex != nullptr) {}

  std::string_view Name() const override { return "arp"; }

  void Collect(FamilySet& out) override {
    const std::string* text = sysfs::ReadUnlessAbsent(file_);
    if (text == nullptr) return;
    std::map<std::string_view, double> entries;  // sorted: a stable output order
    std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(*text); lines.Next(line);) {
      // IP address       HW type     Flags       HW address            Mask     Device
      // 192.168.1.1      0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0
      //                                                                         ^device (last)
      SplitFields(line, fields);
      if (fields.size() < 6) throw CollectError(file_.path() + ": unexpected ARP table format");
      if (fields[0] != "IP") entries[fields.back()] += 1;
    }
    bool any = false;
    for (const auto& [device, count] : entries) {
      // node_exporter's deviceFilter: excluded, or not included when an include is set.
      if (exclude_.Matches(device) || (has_include_ && !include_.Matches(device))) continue;
      if (!any) {
        out.Family("node_arp_entries", "ARP entries by device", MetricType::kGauge);
        any = true;
      }
      out.Sample({{"device", device}}, count);
    }
  }

 private:
  CachedFile file_;
  MatchCache include_;
  MatchCache exclude_;
  bool has_include_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeArpCollector(const HostConfig& config) {
  return std::make_unique<ArpCollector>(config);
}

}  // namespace metricsd::host
