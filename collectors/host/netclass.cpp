// node_exporter's netclass collector (sysfs, without netlink): node_network_up, _info and one
// node_network_<property> gauge or counter per numeric attribute of /sys/class/net/<iface>.

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

struct NumericAttribute {
  std::string_view file;    // under /sys/class/net/<iface>/
  std::string_view metric;  // node_network_<metric>, HELP "Network device property: <metric>"
  MetricType type;
};
constexpr std::array<NumericAttribute, 16> kNetclassNumeric = {{
    {"addr_assign_type", "address_assign_type", MetricType::kGauge},
    {"carrier", "carrier", MetricType::kGauge},
    {"carrier_changes", "carrier_changes_total", MetricType::kCounter},
    {"carrier_up_count", "carrier_up_changes_total", MetricType::kCounter},
    {"carrier_down_count", "carrier_down_changes_total", MetricType::kCounter},
    {"dev_id", "device_id", MetricType::kGauge},
    {"dormant", "dormant", MetricType::kGauge},
    {"flags", "flags", MetricType::kGauge},
    {"ifindex", "iface_id", MetricType::kGauge},
    {"iflink", "iface_link", MetricType::kGauge},
    {"link_mode", "iface_link_mode", MetricType::kGauge},
    {"mtu", "mtu_bytes", MetricType::kGauge},
    {"name_assign_type", "name_assign_type", MetricType::kGauge},
    {"netdev_group", "net_dev_group", MetricType::kGauge},
    {"tx_queue_len", "transmit_queue_length", MetricType::kGauge},
    {"type", "protocol_type", MetricType::kGauge},
}};
// The node_network_info labels besides device, each read from the file of its name.
constexpr std::array<std::string_view, 5> kInfo = {"address", "broadcast", "duplex", "operstate",
                                                   "ifalias"};
constexpr std::size_t kOperstate = 3;

struct Device {
  std::string name;
  std::array<std::string, kInfo.size()> info;
  std::array<std::optional<std::int64_t>, kNetclassNumeric.size()> numeric;
  std::optional<std::int64_t> speed;  // Mbit/s; -1 when the driver does not know
};

// procfs's ValueParser.PInt64: Go's strconv.ParseInt with base 0 ("0x1003" is hex), and a
// value that does not parse reads as 0, not as missing (procfs never checks vp.Err()).
std::int64_t ParseAttribute(std::string_view text) { return sysfs::ParseGoInt(text, 0).value_or(0); }

// A netclass directory's entries; nullopt when it is absent or refused (node_exporter's
// "no data"), throws on any other failure.
std::optional<std::vector<sysfs::DirEntry>> ListNetclassDir(const std::string& path) {
  sysfs::DirListing listing = sysfs::ListDir(path);
  if (listing.ok()) return std::move(listing.entries);
  if (listing.error == ENOENT || listing.error == EACCES || listing.error == EPERM) {
    return std::nullopt;
  }
  throw CollectError("cannot access dir " + path + ": " + std::strerror(listing.error));
}

class NetclassCollector final : public HostCollector {
 public:
  explicit NetclassCollector(const HostConfig& config)
      : root_(config.paths.Sys("class/net")),
        ignored_(config.netclass_ignored_devices),
        ignore_invalid_speed_(config.netclass_ignore_invalid_speed) {}

  std::string_view Name() const override { return "netclass"; }

  void Collect(FamilySet& out) override {
    std::vector<Device> devices;
    if (!ReadDevices(devices)) return;
    if (devices.empty()) return;

    out.Family("node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.",
               MetricType::kGauge);
    for (const Device& device : devices) {
      out.Sample({{"device", device.name}}, device.info[kOperstate] == "up" ? 1 : 0);
    }
    out.Family("node_network_info",
               "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
               MetricType::kGauge);
    for (const Device& device : devices) {
      out.Sample({{"device", device.name},
                  {kInfo[0], device.info[0]},
                  {kInfo[1], device.info[1]},
                  {kInfo[2], device.info[2]},
                  {kInfo[3], device.info[3]},
                  {kInfo[4], device.info[4]}},
                 1);
    }
    for (std::size_t i = 0; i < kNetclassNumeric.size(); ++i) {
      Emit(kNetclassNumeric[i].metric, kNetclassNumeric[i].type, devices, out,
           [i](const Device& device) -> std::optional<double> {
             if (!device.numeric[i]) return std::nullopt;
             return static_cast<double>(*device.numeric[i]);
           });
    }
    Emit("speed_bytes", MetricType::kGauge, devices, out,
         [this](const Device& device) -> std::optional<double> {
           // Some devices report -1 when the speed is unknown.
           if (!device.speed || (*device.speed < 0 && ignore_invalid_speed_)) return std::nullopt;
           // Go's int64 arithmetic, wrapping as it does: speed * 1000 * 1000 / 8.
           auto bits = static_cast<std::int64_t>(static_cast<std::uint64_t>(*device.speed) *
                                                 1000000u);
           return static_cast<double>(bits / 8);
         });
  }

 private:
  template <typename Value>
  static void Emit(std::string_view metric, MetricType type, const std::vector<Device>& devices,
                   FamilySet& out, Value value) {
    bool any = false;
    for (const Device& device : devices) {
      std::optional<double> v = value(device);
      if (!v) continue;
      if (!any) {
        out.Family("node_network_" + std::string(metric),
                   "Network device property: " + std::string(metric), type);
        any = true;
      }
      out.Sample({{"device", device.name}}, *v);
    }
  }

  // Every device not ignored, sorted by name; false when node_exporter would report no data
  // (the class directory or a device directory absent or refused).
  bool ReadDevices(std::vector<Device>& devices) {
    std::optional<std::vector<sysfs::DirEntry>> entries = ListNetclassDir(root_);
    if (!entries) return false;
    for (sysfs::DirEntry& entry : *entries) {  // sorted by name
      if (entry.regular) continue;  // bonding_masters
      if (ignored_.Matches(entry.name)) continue;
      devices.push_back(Device{std::move(entry.name), {}, {}, std::nullopt});
      if (!ReadDevice(devices.back())) return false;
    }
    return true;
  }

  // The attributes procfs reads: the regular files of the device's directory.
  bool ReadDevice(Device& device) {
    std::string path = root_ + "/" + device.name;
    std::optional<std::vector<sysfs::DirEntry>> entries = ListNetclassDir(path);
    if (!entries) return false;
    for (const sysfs::DirEntry& entry : *entries) {
      std::string_view file = entry.name;
      auto numeric = std::find_if(kNetclassNumeric.begin(), kNetclassNumeric.end(),
                                  [file](const NumericAttribute& a) { return a.file == file; });
      auto info = std::find(kInfo.begin(), kInfo.end(), file);
      if (numeric == kNetclassNumeric.end() && info == kInfo.end() && file != "speed") continue;
      if (!entry.regular) continue;
      // A driver that cannot tell (speed of a link that is down: EINVAL, phys_port_id:
      // EOPNOTSUPP) makes the read fail; procfs then leaves the attribute out.
      sysfs::SysText text = sysfs::ReadSysValue(path + "/" + entry.name);
      if (!text.ok()) continue;
      const std::string& value = text.text;
      if (numeric != kNetclassNumeric.end()) {
        device.numeric[static_cast<std::size_t>(numeric - kNetclassNumeric.begin())] =
            ParseAttribute(value);
      } else if (info != kInfo.end()) {
        device.info[static_cast<std::size_t>(info - kInfo.begin())] = value;
      } else {
        device.speed = ParseAttribute(value);
      }
    }
    return true;
  }

  std::string root_;
  MatchCache ignored_;
  bool ignore_invalid_speed_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeNetclassCollector(const HostConfig& config) {
  return std::make_unique<NetclassCollector>(config);
}

}  // namespace metricsd::host
