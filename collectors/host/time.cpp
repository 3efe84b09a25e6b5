// node_exporter's time collector: node_time_seconds (computed at scrape time, so clock-skew
// alerts compare it with the scrape's own timestamp), the zone offset and the clocksources.
#include <ctime>

#include <chrono>

#include "collectors/host/collectors.h"
#include "collectors/host/proc_file.h"

namespace metricsd::host {
namespace {

class TimeCollector final : public HostCollector {
 public:
  explicit TimeCollector(const HostPaths& paths)
      : clocksource_dir_(paths.Sys("devices/system/clocksource")) {}

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
    std::vector<std::pair<std::string, std::string>> available, current;
    for (int device = 0;; ++device) {
      std::string dir = clocksource_dir_ + "/clocksource" + std::to_string(device);
      auto names = TryReadFile(dir + "/available_clocksource");
      if (!names) break;
      for (std::string_view name : SplitFields(FirstLine(*names))) {
        available.emplace_back(std::to_string(device), std::string(name));
      }
      if (auto name = TryReadFile(dir + "/current_clocksource")) {
        std::vector<std::string_view> fields = SplitFields(FirstLine(*name));
        if (!fields.empty()) current.emplace_back(std::to_string(device), std::string(fields[0]));
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
  std::string clocksource_dir_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeTimeCollector(const HostPaths& paths) {
  return std::make_unique<TimeCollector>(paths);
}

}  // namespace metricsd::host
