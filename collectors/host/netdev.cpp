// node_exporter's netdev collector: node_network_{receive,transmit}_*_total{device} from
// /proc/net/dev, plus receive_nohandler from sysfs (node_exporter reads it over netlink),
// filtered by netdev.device_include / device_exclude.
#include <array>
#include <map>
#include <memory>

#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

// The 16 columns of /proc/net/dev, in order.
constexpr std::array<std::string_view, 16> kColumns = {
    "receive_bytes",  "receive_packets", "receive_errs", "receive_drop",
    "receive_fifo",   "receive_frame",   "receive_compressed", "receive_multicast",
    "transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop",
    "transmit_fifo",  "transmit_colls",   "transmit_carrier", "transmit_compressed"};

class NetdevCollector final : public HostCollector {
 public:
  explicit NetdevCollector(const HostConfig& config)
      : file_(config.paths.Proc("net/dev")),
        sysfs_(config.paths.sysfs),
        has_include_(config.netdev_device_include.regex != nullptr),
        include_(config.netdev_device_include),
        exclude_(config.netdev_device_exclude) {}

  std::string_view Name() const override { return "netdev"; }

  void Collect(FamilySet& out) override {
    const std::string& text = file_.Read();
    struct Device {
      std::string name;
      std::array<double, 17> values{};  // 16 columns + nohandler
      bool has_nohandler = false;
    };
    std::vector<Device> devices;
    for (std::string_view line : SplitLines(text)) {
      //   eth0: 46086575    1100    0 ...
      //   ^name ^16 counters
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;  // the two header lines
      std::vector<std::string_view> name_fields = SplitFields(line.substr(0, colon));
      std::vector<std::string_view> fields = SplitFields(line.substr(colon + 1));
      if (name_fields.size() != 1 || fields.size() < kColumns.size()) continue;
      Device device{std::string(name_fields[0]), {}, false};
      // node_exporter's deviceFilter: excluded if the exclude pattern matches, or if an
      // include pattern is set and does not.
      if (exclude_.Matches(device.name)) continue;
      if (has_include_ && !include_.Matches(device.name)) continue;
      for (std::size_t i = 0; i < kColumns.size(); ++i) {
        device.values[i] = static_cast<double>(RequireUint(fields[i], file_.path()));
      }
      auto& file = nohandler_[device.name];
      if (!file) {
        file = std::make_unique<CachedFile>(sysfs_ + "/class/net/" + device.name +
                                            "/statistics/rx_nohandler");
      }
      if (const std::string* nohandler = file->TryRead()) {
        if (auto value = ParseUint(FirstLine(*nohandler))) {
          device.values[16] = static_cast<double>(*value);
          device.has_nohandler = true;
        }
      }
      devices.push_back(std::move(device));
    }
    if (devices.empty()) return;
    for (std::size_t i = 0; i <= kColumns.size(); ++i) {
      std::string_view column = i < kColumns.size() ? kColumns[i] : "receive_nohandler";
      std::string name = "node_network_" + std::string(column) + "_total";
      bool any = false;
      for (const Device& device : devices) {
        if (i == kColumns.size() && !device.has_nohandler) continue;
        if (!any) {
          out.Family(name, "Network device statistic " + std::string(column) + ".",
                     MetricType::kCounter);
          any = true;
        }
        out.Sample({{"device", device.name}}, device.values[i]);
      }
    }
  }

 private:
  CachedFile file_;
  std::string sysfs_;
  bool has_include_;
  MatchCache include_;
  MatchCache exclude_;
  std::map<std::string, std::unique_ptr<CachedFile>, std::less<>> nohandler_;  // per device
};

}  // namespace

std::unique_ptr<HostCollector> MakeNetdevCollector(const HostConfig& config) {
  return std::make_unique<NetdevCollector>(config);
}

}  // namespace metricsd::host
