// node_exporter's thermal_zone collector: node_thermal_zone_temp{zone,type} and
// node_cooling_device_{cur,max}_state{name,type} from /sys/class/thermal (procfs's
// ClassThermalZoneStats and ClassCoolingDeviceStats).
#include <cerrno>
#include <cstring>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class ThermalZoneCollector final : public HostCollector {
 public:
  explicit ThermalZoneCollector(const HostPaths& paths) : dir_(paths.Sys("class/thermal")) {}

  std::string_view Name() const override { return "thermal_zone"; }

  void Collect(FamilySet& out) override {
    struct Zone {
      std::string name, type;
      double celsius;
    };
    std::vector<Zone> zones;
    for (const std::string& entry : sysfs::NumberedEntries(dir_, "thermal_zone")) {
      std::string zone = dir_ + "/" + entry;
      std::string type = Text(zone + "/type");
      Text(zone + "/policy");  // required by procfs although not exported
      int error = 0;
      std::optional<std::int64_t> millidegrees = sysfs::ReadIntFile(zone + "/temp", error);
      if (!millidegrees) {
        // A sensor that is asleep or gone answers ENODATA: procfs skips the zone.
        if (error == ENODATA) continue;
        throw CollectError("cannot read " + zone + "/temp: " + std::strerror(error));
      }
      zones.push_back({entry.substr(12), std::move(type), static_cast<double>(*millidegrees) / 1000.0});
    }
    struct Device {
      std::string name, type;
      double cur, max;
    };
    std::vector<Device> devices;
    for (const std::string& entry : sysfs::NumberedEntries(dir_, "cooling_device")) {
      std::string device = dir_ + "/" + entry;
      std::string type = Text(device + "/type");
      double max = State(device + "/max_state");
      double cur = State(device + "/cur_state");
      devices.push_back({entry.substr(14), std::move(type), cur, max});
    }
    if (!zones.empty()) {
      out.Family("node_thermal_zone_temp", "Zone temperature in Celsius", MetricType::kGauge);
      for (const Zone& zone : zones) out.Sample({{"zone", zone.name}, {"type", zone.type}}, zone.celsius);
    }
    if (!devices.empty()) {
      out.Family("node_cooling_device_cur_state", "Current throttle state of the cooling device",
                 MetricType::kGauge);
      for (const Device& d : devices) out.Sample({{"name", d.name}, {"type", d.type}}, d.cur);
      out.Family("node_cooling_device_max_state", "Maximum throttle state of the cooling device",
                 MetricType::kGauge);
      for (const Device& d : devices) out.Sample({{"name", d.name}, {"type", d.type}}, d.max);
    }
  }

 private:
  // A required attribute's trimmed text (procfs's util.SysReadFile).
  static std::string Text(const std::string& path) {
    sysfs::SysText text = sysfs::ReadSysText(path);
    if (!text.ok()) throw CollectError("cannot read " + path + ": " + std::strerror(text.error));
    return std::string(sysfs::TrimSpace(text.text));
  }
  static double State(const std::string& path) {
    std::string text = Text(path);
    std::optional<std::int64_t> value = sysfs::ParseGoInt(text, 10);
    if (!value) throw CollectError(path + ": bad number \"" + text + "\"");
    return static_cast<double>(*value);
  }

  std::string dir_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeThermalZoneCollector(const HostConfig& config) {
  return std::make_unique<ThermalZoneCollector>(config.paths);
}

}  // namespace metricsd::host
