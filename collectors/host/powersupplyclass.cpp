// node_exporter's powersupplyclass collector: each /sys/class/power_supply/<supply>'s numeric
// attributes as node_power_supply_<name> and its text attributes as node_power_supply_info
// (prometheus/procfs's sysfs.PowerSupplyClass), minus the supplies powersupply_ignored_supplies
// matches.
#include <array>
#include <cstdint>
#include <optional>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

// A numeric attribute file → its family's suffix (empty: procfs parses it, node_exporter does
// not export it) and the divisor to its unit (µA, µV, µWh, µW → base units; tenths of °C).
struct Numeric {
  std::string_view file, name;
  double divisor;
};
constexpr std::array<Numeric, 56> kSupplyNumeric{{
    {"authentic", "authentic", 1},
    {"calibrate", "calibrate", 1},
    {"capacity", "capacity", 1},
    {"capacity_alert_max", "capacity_alert_max", 1},
    {"capacity_alert_min", "capacity_alert_min", 1},
    {"cycle_count", "cyclecount", 1},
    {"online", "online", 1},
    {"present", "present", 1},
    {"time_to_empty_now", "time_to_empty_seconds", 1},
    {"time_to_full_now", "time_to_full_seconds", 1},
    {"current_boot", "current_boot", 1e6},
    {"current_max", "current_max", 1e6},
    {"current_now", "current_ampere", 1e6},
    {"energy_empty", "energy_empty", 1e6},
    {"energy_empty_design", "energy_empty_design", 1e6},
    {"energy_full", "energy_full", 1e6},
    {"energy_full_design", "energy_full_design", 1e6},
    {"energy_now", "energy_watthour", 1e6},
    {"voltage_boot", "voltage_boot", 1e6},
    {"voltage_max", "voltage_max", 1e6},
    {"voltage_max_design", "voltage_max_design", 1e6},
    {"voltage_min", "voltage_min", 1e6},
    {"voltage_min_design", "voltage_min_design", 1e6},
    {"voltage_now", "voltage_volt", 1e6},
    {"voltage_ocv", "voltage_ocv", 1e6},
    {"charge_control_limit", "charge_control_limit", 1e6},
    {"charge_control_limit_max", "charge_control_limit_max", 1e6},
    {"charge_counter", "charge_counter", 1e6},
    {"charge_empty", "charge_empty", 1e6},
    {"charge_empty_design", "charge_empty_design", 1e6},
    {"charge_full", "charge_full", 1e6},
    {"charge_full_design", "charge_full_design", 1e6},
    {"charge_now", "charge_ampere", 1e6},
    {"charge_term_current", "charge_term_current", 1e6},
    {"constant_charge_current", "constant_charge_current", 1e6},
    {"constant_charge_current_max", "constant_charge_current_max", 1e6},
    {"constant_charge_voltage", "constant_charge_voltage", 1e6},
    {"constant_charge_voltage_max", "constant_charge_voltage_max", 1e6},
    {"precharge_current", "precharge_current", 1e6},
    {"input_current_limit", "input_current_limit", 1e6},
    {"power_now", "power_watt", 1e6},
    {"temp", "temp_celsius", 10},
    {"temp_alert_max", "temp_alert_max_celsius", 10},
    {"temp_alert_min", "temp_alert_min_celsius", 10},
    {"temp_ambient", "temp_ambient_celsius", 10},
    {"temp_ambient_max", "temp_ambient_max_celsius", 10},
    {"temp_ambient_min", "temp_ambient_min_celsius", 10},
    {"temp_max", "temp_max_celsius", 10},
    {"temp_min", "temp_min_celsius", 10},
    {"charge_avg", "", 1},
    {"current_avg", "", 1},
    {"energy_avg", "", 1},
    {"power_avg", "", 1},
    {"time_to_empty_avg", "", 1},
    {"time_to_full_avg", "", 1},
    {"voltage_avg", "", 1},
}};

// Text attribute files, labels of node_power_supply_info when not empty.
constexpr std::array<std::string_view, 11> kText{
    "capacity_level", "charge_type", "health", "manufacturer", "model_name", "serial_number",
    "status", "technology", "type", "usb_type", "scope"};

struct Supply {
  std::string name;
  std::array<std::optional<std::int64_t>, kSupplyNumeric.size()> numeric;
  std::vector<std::pair<std::string, std::string>> info;
};

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class PowersupplyclassCollector final : public HostCollector {
 public:
  explicit PowersupplyclassCollector(const HostConfig& config)
      : class_dir_(config.paths.Sys("class/power_supply")),
        ignored_(config.powersupply_ignored_supplies) {
    for (const Numeric& numeric : kSupplyNumeric) {
      help_.push_back(std::string(numeric.name) +
                      " value of /sys/class/power_supply/<power_supply>.");
    }
  }

  std::string_view Name() const override { return "powersupplyclass"; }

  void Collect(FamilySet& out) override {
    std::optional<std::vector<sysfs::DirEntry>> entries = sysfs::ListDirUnlessAbsent(class_dir_);
    if (!entries) return;
    std::vector<Supply> supplies;
    for (const sysfs::DirEntry& entry : *entries) {
      // procfs reads every supply (a malformed ignored one still fails the collection), then
      // node_exporter drops the ignored ones.
      Supply supply = ReadSupply(entry.name);
      if (!ignored_.Matches(entry.name)) supplies.push_back(std::move(supply));
    }
    for (std::size_t i = 0; i < kSupplyNumeric.size(); ++i) {
      if (kSupplyNumeric[i].name.empty()) continue;
      bool any = false;
      for (const Supply& supply : supplies) {
        if (!supply.numeric[i]) continue;
        if (!any) {
          out.Family("node_power_supply_" + std::string(kSupplyNumeric[i].name), help_[i],
                     MetricType::kGauge);
        }
        any = true;
        out.Sample({{"power_supply", supply.name}},
                   static_cast<double>(*supply.numeric[i]) / kSupplyNumeric[i].divisor);
      }
    }
    if (supplies.empty()) return;
    out.Family("node_power_supply_info", "info of /sys/class/power_supply/<power_supply>.",
               MetricType::kGauge);
    for (const Supply& supply : supplies) out.Sample(supply.info, 1);
  }

 private:
  Supply ReadSupply(const std::string& name) const {
    std::string dir = class_dir_ + "/" + name;
    Supply supply;
    supply.name = name;
    supply.info.emplace_back("power_supply", sysfs::ToValidUtf8(name));
    for (const sysfs::DirEntry& entry : sysfs::RequireDir(dir)) {
      if (!entry.regular) continue;
      std::string path = dir + "/" + entry.name;
      sysfs::SysText value = sysfs::ReadSysValue(path);
      if (value.error != 0) {
        if (sysfs::SkippableSysError(value.error)) continue;
        throw CollectError(path + ": " + std::strerror(value.error));
      }
      auto text = std::find(kText.begin(), kText.end(), entry.name);
      if (text != kText.end()) {
        if (!value.text.empty()) {
          supply.info.emplace_back(entry.name, sysfs::ToValidUtf8(value.text));
        }
        continue;
      }
      auto numeric = std::find_if(kSupplyNumeric.begin(), kSupplyNumeric.end(),
                                  [&](const Numeric& n) { return n.file == entry.name; });
      if (numeric == kSupplyNumeric.end()) continue;
      std::optional<std::int64_t> number = sysfs::ParseGoInt(value.text, 0);
      if (!number) throw CollectError(path + ": bad number \"" + value.text + "\"");
      supply.numeric[static_cast<std::size_t>(numeric - kSupplyNumeric.begin())] = *number;
    }
    return supply;
  }

  std::string class_dir_;
  Pattern ignored_;
  std::vector<std::string> help_;  // per kSupplyNumeric row, built once
};

}  // namespace

std::unique_ptr<HostCollector> MakePowersupplyclassCollector(const HostConfig& config) {
  return std::make_unique<PowersupplyclassCollector>(config);
}

}  // namespace metricsd::host
