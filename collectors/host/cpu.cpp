// node_exporter's cpu collector: node_cpu_seconds_total{cpu,mode} and
// node_cpu_guest_seconds_total{cpu,mode} from the per-CPU lines of /proc/stat (kept
// monotonic across polls, as node_exporter does); thermal
// throttle counters and isolated CPUs from sysfs; with host.cpu.info, node_cpu_info and the
// first CPU's flags and bugs from /proc/cpuinfo (node_exporter 1.5's cpu_linux.go and the
// procfs v0.8.0 parsers it uses).
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

// cpu0 user nice system idle iowait irq softirq steal guest guest_nice   (USER_HZ ticks)
constexpr std::array<std::string_view, 8> kModes = {"user", "nice",    "system", "idle",
                                                    "iowait", "irq", "softirq", "steal"};

// node_exporter's readUintFromFile: the whole file, trimmed, as a decimal uint64; nullopt
// when it is absent or not a number (that CPU is then skipped, as node_exporter does).
std::optional<std::uint64_t> ReadUintFile(const std::string& path) {
  std::optional<std::string> text = TryReadFile(path);
  if (!text) return std::nullopt;
  return ParseUint(sysfs::TrimSpace(*text));
}

// One "processor" block of /proc/cpuinfo: the fields node_cpu_info and the flag/bug series use.
struct CpuInfo {
  std::string processor, vendor, family, model, model_name, stepping, microcode, cache_size,
      physical_id, core_id;
  std::vector<std::string> flags, bugs;
};

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  for (std::string_view word : SplitFields(text)) words.emplace_back(word);
  return words;
}

// procfs's parseCPUInfoX86. Each line is split at the first ": " (so "power management:" with
// nothing after it has no value and is ignored); keys are trimmed, values kept as written.
//   processor	: 0
//   ^key      ^   ^value
// The file must start with a "processor" line; numeric fields that do not parse make the
// whole file an error, as in procfs.
std::vector<CpuInfo> ParseCpuInfo(std::string_view text, const std::string& path) {
  std::vector<CpuInfo> cpus;
  std::string_view line;
  auto bad = [&path](std::string_view why, std::string_view value) {
    return CollectError(path + ": " + std::string(why) + " \"" + std::string(value) + "\"");
  };
  for (LineReader lines(text); lines.Next(line);) {
    if (cpus.empty() && sysfs::TrimSpace(line).empty()) continue;
    std::size_t colon = line.find(": ");
    std::string_view key = sysfs::TrimSpace(line.substr(0, colon));
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 2);
    if (cpus.empty()) {
      if (!line.starts_with("processor") || line.find(':') == std::string_view::npos) {
        throw bad("invalid cpuinfo file:", line);
      }
    } else if (line.find(':') == std::string_view::npos) {
      continue;
    }
    if (key == "processor") {
      if (!ParseUint(value)) throw bad("bad processor number", value);
      cpus.push_back(CpuInfo{});
      cpus.back().processor = std::to_string(*ParseUint(value));
      continue;
    }
    if (cpus.empty()) continue;  // "processor:" with no space: procfs fails on its number
    CpuInfo& cpu = cpus.back();
    if (key == "vendor" || key == "vendor_id") cpu.vendor = value;
    else if (key == "cpu family") cpu.family = value;
    else if (key == "model") cpu.model = value;
    else if (key == "model name") cpu.model_name = value;
    else if (key == "stepping") cpu.stepping = value;
    else if (key == "microcode") cpu.microcode = value;
    else if (key == "cache size") cpu.cache_size = value;
    else if (key == "physical id") cpu.physical_id = value;
    else if (key == "core id") cpu.core_id = value;
    else if (key == "flags") cpu.flags = Words(value);
    else if (key == "bugs") cpu.bugs = Words(value);
    else if (key == "siblings" || key == "cpu cores" || key == "cpuid level" ||
             key == "clflush size" || key == "cache_alignment") {
      if (!ParseUint(value)) throw bad("bad number", value);
    } else if (key == "cpu MHz" || key == "bogomips") {
      if (!ParseDouble(value)) throw bad("bad number", value);
    }
  }
  if (cpus.empty()) throw bad("invalid cpuinfo file:", "");
  return cpus;
}

// procfs's parseIsolatedCPUs: "1,3-5,9\n" is CPUs 1, 3, 4, 5 and 9.
std::vector<std::uint64_t> ParseIsolated(std::string_view text, const std::string& path) {
  std::vector<std::uint64_t> cpus;
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  while (!text.empty()) {
    std::string_view item = text.substr(0, text.find(','));
    text.remove_prefix(std::min(text.size(), item.size() + 1));
    if (item.empty()) continue;
    std::size_t dash = item.find('-');
    std::optional<std::uint64_t> first = ParseUint(item.substr(0, dash));
    std::optional<std::uint64_t> last =
        dash == std::string_view::npos ? first : ParseUint(item.substr(dash + 1));
    if (!first || !last) throw CollectError(path + ": invalid cpu range \"" + std::string(item) + "\"");
    for (std::uint64_t cpu = *first; cpu <= *last; ++cpu) cpus.push_back(cpu);
  }
  return cpus;
}

class CpuCollector final : public HostCollector {
 public:
  CpuCollector(const HostConfig& config, std::shared_ptr<SharedFile> proc_stat)
      : file_(proc_stat ? std::move(proc_stat)
                        : std::make_shared<SharedFile>(config.paths.Proc("stat"))),
        ticks_(static_cast<double>(sysconf(_SC_CLK_TCK))),
        sys_cpu_(config.paths.Sys("devices/system/cpu")),
        cpuinfo_path_(config.paths.Proc("cpuinfo")),
        // As node_exporter, a flags or bugs filter turns the info series on by itself.
        info_(config.cpu_info || config.cpu_info_flags_include.regex != nullptr ||
              config.cpu_info_bugs_include.regex != nullptr),
        flags_include_(config.cpu_info_flags_include),
        bugs_include_(config.cpu_info_bugs_include) {}

  std::string_view Name() const override { return "cpu"; }

  void Collect(FamilySet& out) override {
    if (info_) CollectInfo(out);
    CollectStat(out);
    CollectIsolated(out);
    CollectThrottles(out);
  }

 private:
  // Per-CPU lines of /proc/stat, as procfs and node_exporter 1.5 read them: rows indexed by
  // the CPU number (an offline CPU in a gap reports zeros), and each counter kept monotonic
  // across polls (updateCPUStats): a value below the previous one keeps the previous one,
  // unless idle fell back by kJumpBackSeconds or more, which is a hotplugged CPU whose
  // counters start afresh.
  void CollectStat(FamilySet& out) {
    const std::string& text = file_->Read();
    std::vector<std::array<double, 10>> rows;
    std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(text); lines.Next(line);) {
      // Per-CPU lines only: "cpu0 ...", not the "cpu " total.
      if (line.size() < 4 || line.substr(0, 3) != "cpu" || line[3] == ' ') continue;
      SplitFields(line, fields);
      if (fields.size() < 9) throw CollectError(file_->path() + ": short cpu line");
      std::uint64_t cpu = RequireUint(fields[0].substr(3), file_->path());
      if (cpu >= kMaxCpus) throw CollectError(file_->path() + ": cpu number out of range");
      if (rows.size() <= cpu) rows.resize(cpu + 1);
      for (std::size_t i = 1; i < fields.size() && i <= 10; ++i) {
        rows[cpu][i - 1] = static_cast<double>(RequireUint(fields[i], file_->path())) / ticks_;
      }
    }
    if (rows.empty()) throw CollectError(file_->path() + ": no cpu lines");

    if (last_.size() != rows.size()) last_.assign(rows.size(), {});  // CPUs came or went
    constexpr std::size_t kIdle = 3;
    for (std::size_t cpu = 0; cpu < rows.size(); ++cpu) {
      if (last_[cpu][kIdle] - rows[cpu][kIdle] >= kJumpBackSeconds) last_[cpu] = {};
      for (std::size_t i = 0; i < rows[cpu].size(); ++i) {
        last_[cpu][i] = std::max(last_[cpu][i], rows[cpu][i]);
      }
    }

    out.Family("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.",
               MetricType::kCounter);
    for (std::size_t cpu = 0; cpu < last_.size(); ++cpu) {
      std::string name = std::to_string(cpu);
      for (std::size_t m = 0; m < kModes.size(); ++m) {
        out.Sample({{"cpu", name}, {"mode", kModes[m]}}, last_[cpu][m]);
      }
    }
    out.Family("node_cpu_guest_seconds_total",
               "Seconds the CPUs spent in guests (VMs) for each mode.", MetricType::kCounter);
    for (std::size_t cpu = 0; cpu < last_.size(); ++cpu) {
      std::string name = std::to_string(cpu);
      out.Sample({{"cpu", name}, {"mode", "user"}}, last_[cpu][8]);
      out.Sample({{"cpu", name}, {"mode", "nice"}}, last_[cpu][9]);
    }
  }

  // Without /proc/cpuinfo (not Linux's procfs) the info families are left out.
  void CollectInfo(FamilySet& out) {
    std::optional<std::string> text = TryReadFile(cpuinfo_path_);
    if (!text) return;
    std::vector<CpuInfo> cpus = ParseCpuInfo(*text, cpuinfo_path_);
    out.Family("node_cpu_info", "CPU information from /proc/cpuinfo.", MetricType::kGauge);
    for (const CpuInfo& cpu : cpus) {
      out.Sample({{"cachesize", cpu.cache_size},
                  {"core", cpu.core_id},
                  {"cpu", cpu.processor},
                  {"family", cpu.family},
                  {"microcode", cpu.microcode},
                  {"model", cpu.model},
                  {"model_name", cpu.model_name},
                  {"package", cpu.physical_id},
                  {"stepping", cpu.stepping},
                  {"vendor", cpu.vendor}},
                 1);
    }
    // Flags and bugs of the first CPU only; without a filter, no series at all.
    auto field_info = [&out](std::string_view family, std::string_view help,
                             std::string_view label, const std::vector<std::string>& values,
                             const Pattern& include) {
      bool any = false;
      for (const std::string& value : values) {
        if (!include.Matches(value)) continue;  // no filter matches nothing
        if (!any) out.Family(family, help, MetricType::kGauge);
        any = true;
        out.Sample({{label, value}}, 1);
      }
    };
    field_info("node_cpu_flag_info",
               "The `flags` field of CPU information from /proc/cpuinfo taken from the first core.",
               "flag", cpus.front().flags, flags_include_);
    field_info("node_cpu_bug_info",
               "The `bugs` field of CPU information from /proc/cpuinfo taken from the first core.",
               "bug", cpus.front().bugs, bugs_include_);
  }

  // devices/system/cpu/isolated (the isolcpus= boot parameter); absent on old kernels.
  void CollectIsolated(FamilySet& out) {
    std::string path = sys_cpu_ + "/isolated";
    std::optional<std::string> text = TryReadFile(path);
    if (!text) return;
    std::vector<std::uint64_t> cpus = ParseIsolated(*text, path);
    if (cpus.empty()) return;  // no family without series, as node_exporter
    out.Family("node_cpu_isolated",
               "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
               MetricType::kGauge);
    for (std::uint64_t cpu : cpus) {
      out.Sample({{"cpu", std::to_string(cpu)}}, 1);
    }
  }

  // cpu[0-9]*/thermal_throttle/{core,package}_throttle_count: one counter per core and one per
  // package, read from the first CPU of each that has it (siblings show the same counter). A
  // CPU without topology is skipped.
  void CollectThrottles(FamilySet& out) {
    std::vector<std::string> cpus;
    std::error_code error;
    for (std::filesystem::directory_iterator it(sys_cpu_, error), end; !error && it != end;
         it.increment(error)) {
      std::string name = it->path().filename().string();
      if (name.size() > 3 && name.starts_with("cpu") && name[3] >= '0' && name[3] <= '9') {
        cpus.push_back(it->path().string());
      }
    }
    std::sort(cpus.begin(), cpus.end());
    std::map<std::uint64_t, std::uint64_t> package_throttles;
    std::map<std::uint64_t, std::map<std::uint64_t, std::uint64_t>> core_throttles;
    for (const std::string& cpu : cpus) {
      std::optional<std::uint64_t> package = ReadUintFile(cpu + "/topology/physical_package_id");
      if (!package) continue;
      std::optional<std::uint64_t> core = ReadUintFile(cpu + "/topology/core_id");
      if (!core) continue;
      // Read once per core; a CPU without the counter leaves it to the core's next sibling.
      if (core_throttles[*package].count(*core) == 0) {
        if (auto count = ReadUintFile(cpu + "/thermal_throttle/core_throttle_count")) {
          core_throttles[*package][*core] = *count;
        }
      }
      if (package_throttles.count(*package) == 0) {
        if (auto count = ReadUintFile(cpu + "/thermal_throttle/package_throttle_count")) {
          package_throttles[*package] = *count;
        }
      }
    }
    if (!package_throttles.empty()) {
      out.Family("node_cpu_package_throttles_total",
                 "Number of times this CPU package has been throttled.", MetricType::kCounter);
      for (const auto& [package, count] : package_throttles) {
        out.Sample({{"package", std::to_string(package)}}, static_cast<double>(count));
      }
    }
    bool any_core = std::any_of(core_throttles.begin(), core_throttles.end(),
                                [](const auto& entry) { return !entry.second.empty(); });
    if (any_core) {
      out.Family("node_cpu_core_throttles_total",
                 "Number of times this CPU core has been throttled.", MetricType::kCounter);
      for (const auto& [package, cores] : core_throttles) {
        for (const auto& [core, count] : cores) {
          out.Sample({{"core", std::to_string(core)}, {"package", std::to_string(package)}},
                     static_cast<double>(count));
        }
      }
    }
  }

  // node_exporter's jumpBackSeconds; and a bound on "cpuN" so a corrupt line cannot make the
  // row table huge.
  static constexpr double kJumpBackSeconds = 3.0;
  static constexpr std::uint64_t kMaxCpus = 1 << 16;

  std::shared_ptr<SharedFile> file_;
  double ticks_;
  std::vector<std::array<double, 10>> last_;  // the counters served, per CPU number
  std::string sys_cpu_;
  std::string cpuinfo_path_;
  bool info_;
  Pattern flags_include_, bugs_include_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeCpuCollector(const HostConfig& config,
                                                std::shared_ptr<SharedFile> proc_stat) {
  return std::make_unique<CpuCollector>(config, std::move(proc_stat));
}

}  // namespace metricsd::host
