// node_exporter's netclass collector (sysfs, without netlink): node_network_up, _info and one
// node_network_<property> gauge or counter per numeric attribute of /sys/class/net/<iface>.
//
// node_exporter lists each device's directory and opens, reads and closes every attribute on
// every scrape (~22 opens per device). Here the first poll of a device keeps its directory and
// attribute files open, and later polls re-list the directory through the kept handle and pread
// the kept descriptors: the output is the same, without the path walks and kernfs opens.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
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

// Every attribute the collector reads has a slot: kNetclassNumeric's index, then kInfo's, then
// speed. A device's set of attribute files is a bit mask of slots.
constexpr std::size_t kNetclassInfoSlot = kNetclassNumeric.size();
constexpr std::size_t kNetclassSpeedSlot = kNetclassInfoSlot + kInfo.size();
static_assert(kNetclassSpeedSlot < 32, "slot masks are 32 bits");

std::optional<std::size_t> NetclassSlot(std::string_view file) {
  for (std::size_t i = 0; i < kNetclassNumeric.size(); ++i) {
    if (kNetclassNumeric[i].file == file) return i;
  }
  for (std::size_t i = 0; i < kInfo.size(); ++i) {
    if (kInfo[i] == file) return kNetclassInfoSlot + i;
  }
  if (file == "speed") return kNetclassSpeedSlot;
  return std::nullopt;
}

// At most this many devices keep their files open (about 23 descriptors each); the others are
// read as node_exporter reads them, so a host with thousands of veths does not run out of
// descriptors.
constexpr std::size_t kNetclassMaxKeptDevices = 64;

// procfs's util.SysReadFile on a kept descriptor: one pread(2) of at most 128 bytes from the
// start (sysfs regenerates the text on each read), trimmed as SysReadFile trims it.
sysfs::SysText NetclassPread(int fd) {
  sysfs::SysText out;
  char buffer[128];
  ssize_t n;
  do {
    n = ::pread(fd, buffer, sizeof buffer, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    out.error = errno;
    return out;
  }
  out.text = sysfs::TrimSpace(std::string_view(buffer, static_cast<std::size_t>(n)));
  return out;
}

// A device whose directory and attribute files stay open across polls. It is valid while the
// device of that name still has this ifindex (a device renamed away keeps its kernfs nodes,
// so the kept handles would follow it, not the name).
struct NetclassKeptDevice {
  NetclassKeptDevice() = default;
  NetclassKeptDevice(const NetclassKeptDevice&) = delete;
  NetclassKeptDevice& operator=(const NetclassKeptDevice&) = delete;
  ~NetclassKeptDevice() {
    for (const auto& [slot, fd] : files) ::close(fd);
    if (dir != nullptr) ::closedir(dir);
  }
  std::int64_t ifindex = 0;
  DIR* dir = nullptr;
  std::uint32_t slots = 0;  // the attribute files the directory held when it was listed
  std::vector<std::pair<std::size_t, int>> files;  // slot, descriptor
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

// Not thread-safe; the poller calls Collect from one thread (the kept descriptors are its own).
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
    if (!entries) {
      kept_.clear();
      return false;
    }
    // Devices no longer listed give their descriptors back (both lists are sorted by name).
    auto listed = entries->begin();
    for (auto kept = kept_.begin(); kept != kept_.end();) {
      while (listed != entries->end() && listed->name < kept->first) ++listed;
      if (listed == entries->end() || listed->name != kept->first) {
        kept = kept_.erase(kept);
      } else {
        ++kept;
      }
    }
    for (sysfs::DirEntry& entry : *entries) {  // sorted by name
      if (entry.regular) continue;  // bonding_masters
      if (ignored_.Matches(entry.name)) continue;
      devices.push_back(Device{std::move(entry.name), {}, {}, std::nullopt});
      if (!ReadDevice(devices.back())) return false;
    }
    return true;
  }

  // The attributes procfs reads: the regular files of the device's directory. Through the kept
  // files when the device is kept and still the same, else listed and opened afresh (and kept,
  // while there is room).
  bool ReadDevice(Device& device) {
    std::string path = root_ + "/" + device.name;
    // Opened by path each poll: the ifindex tells whether the name still means the same device.
    std::optional<std::int64_t> ifindex;
    if (sysfs::SysText text = sysfs::ReadSysValue(path + "/ifindex"); text.ok()) {
      ifindex = ParseAttribute(text.text);
    }
    auto kept = kept_.find(device.name);
    if (kept != kept_.end()) {
      if (ifindex && kept->second->ifindex == *ifindex && ReadKept(*kept->second, device)) {
        return true;
      }
      // Gone, replaced, or its set of files changed: list it again.
      kept_.erase(kept);
      device.info = {};
      device.numeric = {};
      device.speed.reset();
    }
    std::optional<std::vector<sysfs::DirEntry>> entries = ListNetclassDir(path);
    if (!entries) return false;
    std::unique_ptr<NetclassKeptDevice> keep;
    if (ifindex && kept_.size() < kNetclassMaxKeptDevices) {
      keep = std::make_unique<NetclassKeptDevice>();
      keep->ifindex = *ifindex;
      keep->dir = ::opendir(path.c_str());
      if (keep->dir == nullptr) keep = nullptr;
    }
    for (const sysfs::DirEntry& entry : *entries) {
      std::optional<std::size_t> slot = NetclassSlot(entry.name);
      if (!slot || !entry.regular) continue;
      std::string file = path + "/" + entry.name;
      if (keep) {
        keep->slots |= std::uint32_t{1} << *slot;
        int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
          keep->files.emplace_back(*slot, fd);
          Store(device, *slot, NetclassPread(fd));
          continue;
        }
        // Not openable (write-only, refused): read it as procfs does, and list the device
        // again next poll rather than keep a set of files that lacks it.
        keep = nullptr;
      }
      Store(device, *slot, sysfs::ReadSysValue(file));
    }
    if (keep) kept_.emplace(device.name, std::move(keep));
    return true;
  }

  // The kept device's attributes; false when they cannot stand for what a listing would read
  // now (an attribute file appeared or went, or the device was removed: ENODEV).
  static bool ReadKept(NetclassKeptDevice& kept, Device& device) {
    ::rewinddir(kept.dir);
    std::uint32_t slots = 0;
    while (dirent* entry = ::readdir(kept.dir)) {
      std::optional<std::size_t> slot = NetclassSlot(entry->d_name);
      if (!slot) continue;
      bool regular = entry->d_type == DT_REG;
      if (entry->d_type == DT_UNKNOWN) {
        struct stat info {};
        regular = ::fstatat(::dirfd(kept.dir), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) == 0 &&
                  S_ISREG(info.st_mode);
      }
      if (regular) slots |= std::uint32_t{1} << *slot;
    }
    if (slots != kept.slots) return false;
    for (const auto& [slot, fd] : kept.files) {
      sysfs::SysText text = NetclassPread(fd);
      if (text.error == ENODEV) return false;
      Store(device, slot, std::move(text));
    }
    return true;
  }

  // One attribute's text into its field. A driver that cannot tell (speed of a link that is
  // down: EINVAL, phys_port_id: EOPNOTSUPP) makes the read fail; procfs then leaves the
  // attribute out.
  static void Store(Device& device, std::size_t slot, sysfs::SysText text) {
    if (!text.ok()) return;
    if (slot < kNetclassInfoSlot) {
      device.numeric[slot] = ParseAttribute(text.text);
    } else if (slot < kNetclassSpeedSlot) {
      device.info[slot - kNetclassInfoSlot] = std::move(text.text);
    } else {
      device.speed = ParseAttribute(text.text);
    }
  }

  std::string root_;
  MatchCache ignored_;
  bool ignore_invalid_speed_;
  // Devices read through kept descriptors, by name.
  std::map<std::string, std::unique_ptr<NetclassKeptDevice>, std::less<>> kept_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeNetclassCollector(const HostConfig& config) {
  return std::make_unique<NetclassCollector>(config);
}

}  // namespace metricsd::host
