// node_exporter's time collector: node_time_seconds (computed at scrape time, so clock-skew
// alerts compare it with the scrape's own timestamp), the zone offset and the clocksources.
#include <ctime>

#include <chrono>
#include <memory>

#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

class TimeCollector final : public HostCollector {
 public:
  explicit TimeCollector(const HostPaths& paths) {
    // Clocksource devices are fixed at boot: find them once, keep their files open.
    std::string dir = paths.Sys("devices/system/clocksource");
    for (int device = 0;; ++device) {
      std::string base = dir + "/clocksource" + std::to_string(device);
      if (!TryReadFile(base + "/available_clocksource")) break;
      devices_.push_back(std::make_unique<Device>(std::to_string(device), base));
    }
  }

  std::string_view Name() const override { return "time"; }

  void Collect(FamilySet& out) override {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    out.Family("node_time_zone_offset_seconds", "System time zone offset in seconds.",
               MetricType::kGauge);
    out.Sample({{"time_zone", local.tm_zone != nullptr ? local.tm_zone : ""}},
               static_cast<double>(local.tm_gmtoff));

    // clocksource0/available_clocksource: "kvm-clock tsc", current_clocksource: "tsc".
    std::vector<std::pair<std::string_view, std::string_view>> available, current;
    for (auto& device : devices_) {
      if (const std::string* names = device->available.TryRead()) {
        for (std::string_view name : SplitFields(FirstLine(*names))) {
          available.emplace_back(device->id, name);
        }
      }
      if (const std::string* name = device->current.TryRead()) {
        std::vector<std::string_view> fields = SplitFields(FirstLine(*name));
        if (!fields.empty()) current.emplace_back(device->id, fields[0]);
      }
    }
    if (!available.empty()) {
      out.Family("node_time_clocksource_available_info",
                 "Available clocksources read from '/sys/devices/system/clocksource'.",
                 MetricType::kGauge);
      for (const auto& [device, name] : available) {
        out.Sample({{"clocksource", name}, {"device", device}}, 1);
      }
    }
    if (!current.empty()) {
      out.Family("node_time_clocksource_current_info",
                 "Current clocksource read from '/sys/devices/system/clocksource'.",
                 MetricType::kGauge);
      for (const auto& [device, name] : current) {
        out.Sample({{"clocksource", name}, {"device", device}}, 1);
      }
    }
  }

  void VisitLive(FamilyVisitor& visitor) const override {
    std::chrono::duration<double> now = std::chrono::system_clock::now().time_since_epoch();
    visitor.Family("node_time_seconds", "System time in seconds since epoch (1970).",
                   MetricType::kGauge);
    visitor.Sample({}, now.count());
  }

 private:
  struct Device {
    Device(std::string device_id, const std::string& base)
        : id(std::move(device_id)),
          available(base + "/available_clocksource"),
          current(base + "/current_clocksource") {}
    std::string id;
    CachedFile available, current;
  };
  std::vector<std::unique_ptr<Device>> devices_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeTimeCollector(const HostPaths& paths) {
  return std::make_unique<TimeCollector>(paths);
}

}  // namespace metricsd::host
