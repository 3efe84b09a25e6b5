// node_exporter's hwmon collector: every sensor under /sys/class/hwmon/* (and its device/
// directory) as node_hwmon_<type>[_<property>][_<unit>]{chip,sensor}, scaled to base units,
// plus node_hwmon_chip_names{chip,chip_name} and node_hwmon_sensor_label{chip,sensor,label}.
// The naming rules follow collector/hwmon_linux.go of node_exporter 1.5.0 line by line, since
// dashboards depend on the exact names it derives from file names.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

// The sensor types node_exporter reads; other files of a chip directory are ignored.
constexpr std::array<std::string_view, 13> kSensorTypes = {
    "vrm",  "beep_enable", "update_interval", "in",     "cpu",      "fan",      "pwm",
    "temp", "curr",        "power",           "energy", "humidity", "intrusion"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A sensor file name split as node_exporter's `^(?P<type>[^0-9]+)(?P<id>[0-9]*)?(_(?P<property>.+))?$`
// does it (leftmost-first, greedy):
//   temp1_crit_alarm   in0_input   beep_enable   pwm1
//   ^^^^|^^^^^^^^^^    ^^|^^^^^    ^^^^^^^^^^^   ^^^|
//   type id property   ...         type only     type id
struct SensorFile {
  std::string_view type, property;
  std::string sensor;  // type + id without leading zeros ("temp01" -> "temp1"; no id -> 0)
};

std::optional<SensorFile> ExplodeSensorFilename(std::string_view name) {
  std::size_t first_digit = 0;
  while (first_digit < name.size() && !IsDigit(name[first_digit])) ++first_digit;
  // The greedy type is everything before the first digit; when the rest does not match, the
  // regexp backtracks to a shorter type followed by "_<property>" (then without an id).
  for (std::size_t type_end = first_digit; type_end >= 1; --type_end) {
    std::string_view id, rest;
    if (type_end == first_digit) {
      std::size_t id_end = type_end;
      while (id_end < name.size() && IsDigit(name[id_end])) ++id_end;
      id = name.substr(type_end, id_end - type_end);
      rest = name.substr(id_end);
    } else {
      rest = name.substr(type_end);
    }
    if (!rest.empty() && (rest.front() != '_' || rest.size() < 2)) continue;
    std::uint64_t number = 0;
    if (!id.empty()) {
      std::optional<std::uint64_t> parsed = ParseUint(id);
      // strconv.Atoi fails beyond int64: the file is skipped.
      if (!parsed || *parsed > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
      number = *parsed;
    }
    SensorFile out;
    out.type = name.substr(0, type_end);
    out.property = rest.empty() ? std::string_view() : rest.substr(1);
    out.sensor = std::string(out.type) + std::to_string(number);
    return out;
  }
  return std::nullopt;
}

// node_exporter's cleanMetricName: lower case, every character (rune) outside [a-z0-9:_]
// replaced by "_", then leading and trailing "_" trimmed.
std::string CleanMetricName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  std::size_t i = 0;
  while (i < name.size()) {
    char c = name[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      bool keep = (c >= 'a' && c <= 'z') || IsDigit(c) || c == ':' || c == '_';
      out += keep ? c : '_';
      ++i;
      continue;
    }
    // One "_" per character: a valid UTF-8 sequence is one rune, an invalid byte is one too.
    // Two non-ASCII letters lower-case to ASCII in Go: KELVIN SIGN to "k", and LATIN CAPITAL
    // I WITH DOT ABOVE to "i" plus a combining dot.
    std::string_view rest = name.substr(i);
    std::size_t length = std::max<std::size_t>(1, sysfs::Utf8SequenceLength(rest));
    std::string_view rune = rest.substr(0, length);
    if (rune == "\xE2\x84\xAA") {
      out += 'k';
    } else if (rune == "\xC4\xB0") {
      out += "i_";
    } else {
      out += '_';
    }
    i += length;
  }
  std::size_t begin = out.find_first_not_of('_');
  if (begin == std::string::npos) return {};
  std::size_t end = out.find_last_not_of('_');
  return out.substr(begin, end - begin + 1);
}

// strconv.ParseFloat(value, 64) for the forms sysfs produces: a leading '+' is accepted too.
std::optional<double> ParseFloat(std::string_view text) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) return std::nullopt;
  }
  return ParseDouble(text);
}

// sensor -> its properties ("" for a file without one, like "pwm1") -> raw value.
struct Sensor {
  std::string type;
  std::map<std::string, std::string, std::less<>> properties;
};
using SensorMap = std::map<std::string, Sensor, std::less<>>;

using Labels = std::vector<std::pair<std::string, std::string>>;

// The families of one poll, grouped by name: several chips and sensors feed each one.
class HwmonFamilies {
 public:
  void Add(std::string name, std::string_view help, MetricType type, Labels labels, double value) {
    auto [it, inserted] = families_.try_emplace(std::move(name));
    if (inserted) {  // node_exporter gives one name one description; the first is kept
      it->second.help = help;
      it->second.type = type;
    }
    it->second.samples.emplace_back(std::move(labels), value);
  }
  void Emit(FamilySet& out) const {
    for (const auto& [name, family] : families_) {
      out.Family(name, family.help, family.type);
      for (const auto& [labels, value] : family.samples) out.Sample(labels, value);
    }
  }

 private:
  struct Entry {
    std::string help;
    MetricType type = MetricType::kGauge;
    std::vector<std::pair<Labels, double>> samples;
  };
  std::map<std::string, Entry, std::less<>> families_;
};

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class HwmonCollector final : public HostCollector {
 public:
  explicit HwmonCollector(const HostPaths& paths) : dir_(paths.Sys("class/hwmon")) {}

  std::string_view Name() const override { return "hwmon"; }

  void Collect(FamilySet& out) override {
    // Chips and their sensors come and go with modules, so everything is listed on each poll,
    // as node_exporter does on each scrape.
    sysfs::DirListing listing = sysfs::ListDir(dir_);
    if (!listing.ok()) {
      if (listing.error == ENOENT) return;  // no hwmon on this host
      throw CollectError("cannot list " + dir_ + ": " + std::strerror(listing.error));
    }
    HwmonFamilies families;
    std::string failure;
    for (const sysfs::DirEntry& entry : listing.entries) {
      std::string chip = dir_ + "/" + entry.name;
      struct stat info;
      if (::stat(chip.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) continue;
      // One broken chip does not hide the others from the listing; the collection fails after.
      if (std::string reason = CollectChip(chip, families); !reason.empty()) failure = reason;
    }
    if (!failure.empty()) throw CollectError(failure);
    families.Emit(out);
  }

 private:
  // node_exporter's updateHwmon; the reason on failure, else "".
  static std::string CollectChip(const std::string& dir, HwmonFamilies& families) {
    std::optional<std::string> name_file = TryReadFile(dir + "/name");
    std::optional<std::string> chip = ChipName(dir, name_file);
    if (!chip) return "cannot derive a monitoring name for " + dir;

    SensorMap sensors;
    if (std::string reason = ReadSensors(dir, sensors); !reason.empty()) return reason;
    struct stat info;
    if (::stat((dir + "/device").c_str(), &info) == 0) {
      if (std::string reason = ReadSensors(dir + "/device", sensors); !reason.empty()) return reason;
    }

    if (name_file && !name_file->empty()) {
      std::string chip_name = CleanMetricName(*name_file);
      if (!chip_name.empty()) {
        families.Add("node_hwmon_chip_names", "Annotation metric for human-readable chip names",
                     MetricType::kGauge, {{"chip", *chip}, {"chip_name", chip_name}}, 1);
      }
    }
    for (const auto& [sensor, data] : sensors) AddSensor(*chip, sensor, data, families);
    return {};
  }

  // node_exporter's hwmonName: "<bus>_<device>" of the resolved device link (stable across
  // reboots), else the cleaned name file, else the hwmonN directory name.
  static std::optional<std::string> ChipName(const std::string& dir,
                                             const std::optional<std::string>& name_file) {
    if (std::optional<std::string> device = RealPath(dir + "/device")) {
      std::string_view path = *device;
      std::size_t slash = path.rfind('/');
      std::string_view device_name = path.substr(slash + 1);
      std::string_view parent = path.substr(0, slash + 1);
      while (!parent.empty() && parent.back() == '/') parent.remove_suffix(1);
      std::string_view device_type = parent.substr(parent.rfind('/') + 1);
      std::string clean_name = CleanMetricName(device_name);
      std::string clean_type = CleanMetricName(device_type);
      if (!clean_type.empty() && !clean_name.empty()) return clean_type + "_" + clean_name;
      if (!clean_name.empty()) return clean_name;
    }
    if (name_file && !name_file->empty()) {
      if (std::string clean = CleanMetricName(*name_file); !clean.empty()) return clean;
    }
    std::optional<std::string> real = RealPath(dir);
    if (!real) return std::nullopt;
    std::string clean = CleanMetricName(std::string_view(*real).substr(real->rfind('/') + 1));
    if (clean.empty()) return std::nullopt;
    return clean;
  }

  static std::optional<std::string> RealPath(const std::string& path) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (resolved == nullptr) return std::nullopt;
    std::string out(resolved);
    std::free(resolved);
    return out;
  }

  // node_exporter's collectSensorData: the values of the sensor files in `dir`; a file that
  // cannot be read is left out (drivers answer EIO or EAGAIN for absent sensors).
  static std::string ReadSensors(const std::string& dir, SensorMap& sensors) {
    sysfs::DirListing listing = sysfs::ListDir(dir);
    if (!listing.ok()) return "cannot list " + dir + ": " + std::strerror(listing.error);
    for (const sysfs::DirEntry& entry : listing.entries) {
      const std::string& name = entry.name;
      std::optional<SensorFile> file = ExplodeSensorFilename(name);
      if (!file) continue;
      if (std::find(kSensorTypes.begin(), kSensorTypes.end(), file->type) == kSensorTypes.end()) {
        continue;
      }
      sysfs::SysText text = sysfs::ReadSysText(dir + "/" + name);
      if (!text.ok()) continue;
      std::string_view value = text.text;
      while (!value.empty() && value.front() == '\n') value.remove_prefix(1);
      while (!value.empty() && value.back() == '\n') value.remove_suffix(1);
      Sensor& sensor = sensors[file->sensor];
      sensor.type = std::string(file->type);
      sensor.properties[std::string(file->property)] = std::string(value);
    }
    return {};
  }

  // One sensor's series, named as node_exporter's updateHwmon names them.
  static void AddSensor(const std::string& chip, const std::string& sensor, const Sensor& data,
                        HwmonFamilies& families) {
    auto labels = [&] { return Labels{{"chip", chip}, {"sensor", sensor}}; };
    const auto& properties = data.properties;
    const std::string& type = data.type;
    auto property = [&](std::string_view key) -> const std::string* {
      auto it = properties.find(key);
      return it == properties.end() ? nullptr : &it->second;
    };
    if (const std::string* label = property("label")) {
      families.Add("node_hwmon_sensor_label", "Label for given chip and sensor", MetricType::kGauge,
                   {{"chip", chip}, {"sensor", sensor}, {"label", sysfs::ToValidUtf8(*label)}},
                   1);
    }
    const std::string* plain = property("");
    if (type == "beep_enable") {
      families.Add("node_hwmon_beep_enabled", "Hardware beep enabled", MetricType::kGauge, labels(),
                   plain && *plain == "1" ? 1.0 : 0.0);
      return;
    }
    if (type == "vrm" || type == "update_interval") {
      std::optional<double> value = plain ? ParseFloat(*plain) : std::nullopt;
      if (!value) return;
      if (type == "vrm") {
        families.Add("node_hwmon_voltage_regulator_version", "Hardware voltage regulator",
                     MetricType::kGauge, labels(), *value);
      } else {
        families.Add("node_hwmon_update_interval_seconds", "Hardware monitor update interval",
                     MetricType::kGauge, labels(), *value * 0.001);
      }
      return;
    }

    std::string prefix = "node_hwmon_" + type;
    for (const auto& [element, raw] : properties) {
      if (element == "label") continue;
      std::string name = prefix;
      if (element == "input") {
        // "temp1_input" is the value itself, unless a plain "temp1" file is there as well.
        if (plain) name += "_input";
      } else if (!element.empty()) {
        name += "_" + CleanMetricName(element);
      }
      std::optional<double> parsed = ParseFloat(raw);
      if (!parsed) continue;
      double value = *parsed;
      // Status elements carry no unit.
      if (element == "fault" || element == "alarm") {
        families.Add(name, "Hardware sensor " + element + " status (" + type + ")",
                     MetricType::kGauge, labels(), value);
      } else if (element == "beep") {
        families.Add(name + "_enabled", "Hardware monitor sensor has beeping enabled",
                     MetricType::kGauge, labels(), value);
      } else if (type == "in" || type == "cpu") {  // millivolts
        families.Add(name + "_volts", "Hardware monitor for voltage (" + element + ")",
                     MetricType::kGauge, labels(), value * 0.001);
      } else if (type == "temp" && element != "type") {  // millidegrees Celsius
        families.Add(name + "_celsius",
                     "Hardware monitor for temperature (" + (element.empty() ? "input" : element) + ")",
                     MetricType::kGauge, labels(), value * 0.001);
      } else if (type == "curr") {  // milliamperes
        families.Add(name + "_amps", "Hardware monitor for current (" + element + ")",
                     MetricType::kGauge, labels(), value * 0.001);
      } else if (type == "energy") {  // microjoules
        families.Add(name + "_joule_total",
                     "Hardware monitor for joules used so far (" + element + ")",
                     MetricType::kCounter, labels(), value / 1000000.0);
      } else if (type == "power" && element == "accuracy") {  // parts per million
        families.Add(name, "Hardware monitor power meter accuracy, as a ratio", MetricType::kGauge,
                     labels(), value / 1000000.0);
      } else if (type == "power" && (element == "average_interval" ||
                                     element == "average_interval_min" ||
                                     element == "average_interval_max")) {  // milliseconds
        families.Add(name + "_seconds",
                     "Hardware monitor power usage update interval (" + element + ")",
                     MetricType::kGauge, labels(), value * 0.001);
      } else if (type == "power") {  // microwatts
        families.Add(name + "_watt", "Hardware monitor for power usage in watts (" + element + ")",
                     MetricType::kGauge, labels(), value / 1000000.0);
      } else if (type == "humidity") {  // milli-percent
        families.Add(name,
                     "Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the "
                     "humidity as a percentage) (" + element + ")",
                     MetricType::kGauge, labels(), value / 1000000.0);
      } else if (type == "fan" && (element == "input" || element == "min" || element == "max" ||
                                   element == "target")) {
        families.Add(name + "_rpm",
                     "Hardware monitor for fan revolutions per minute (" + element + ")",
                     MetricType::kGauge, labels(), value);
      } else {  // anything else as it is
        families.Add(name, "Hardware monitor " + type + " element " + element, MetricType::kGauge,
                     labels(), value);
      }
    }
  }

  std::string dir_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeHwmonCollector(const HostConfig& config) {
  return std::make_unique<HwmonCollector>(config.paths);
}

}  // namespace metricsd::host
