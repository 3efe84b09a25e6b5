// node_exporter's fibrechannel collector: each /sys/class/fc_host/<host>'s attributes as
// node_fibrechannel_info and its statistics/ counters as node_fibrechannel_*_total
// (prometheus/procfs's sysfs.FibreChannelClass).
#include <array>
#include <cstdint>
#include <limits>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

// statistics/<file> → family suffix and HELP, in node_exporter's order of output.
struct FcCounter {
  std::string_view file, family, help;
};
constexpr std::array<FcCounter, 14> kFcCounters{{
    {"dumped_frames", "node_fibrechannel_dumped_frames_total", "Number of dumped frames"},
    {"error_frames", "node_fibrechannel_error_frames_total", "Number of errors in frames"},
    {"invalid_crc_count", "node_fibrechannel_invalid_crc_total",
     "Invalid Cyclic Redundancy Check count"},
    {"rx_frames", "node_fibrechannel_rx_frames_total", "Number of frames received"},
    {"rx_words", "node_fibrechannel_rx_words_total", "Number of words received by host port"},
    {"tx_frames", "node_fibrechannel_tx_frames_total", "Number of frames transmitted by host port"},
    {"tx_words", "node_fibrechannel_tx_words_total", "Number of words transmitted by host port"},
    {"seconds_since_last_reset", "node_fibrechannel_seconds_since_last_reset_total",
     "Number of seconds since last host port reset"},
    {"invalid_tx_word_count", "node_fibrechannel_invalid_tx_words_total",
     "Number of invalid words transmitted by host port"},
    {"link_failure_count", "node_fibrechannel_link_failure_total",
     "Number of times the host port link has failed"},
    {"loss_of_sync_count", "node_fibrechannel_loss_of_sync_total",
     "Number of failures on either bit or transmission word boundaries"},
    {"loss_of_signal_count", "node_fibrechannel_loss_of_signal_total",
     "Number of times signal has been lost"},
    {"nos_count", "node_fibrechannel_nos_total",
     "Number Not_Operational Primitive Sequence received by host port"},
    {"fcp_packet_aborts", "node_fibrechannel_fcp_packet_aborts_total", "Number of aborted packets"},
}};

// The attribute files procfs requires, and the info label each becomes ("" for node_name,
// which procfs reads but node_exporter does not label).
constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kAttributes{{
    {"speed", "speed"},
    {"port_state", "port_state"},
    {"port_type", "port_type"},
    {"node_name", ""},
    {"port_id", "port_id"},
    {"port_name", "port_name"},
    {"fabric_name", "fabric_name"},
    {"dev_loss_tmo", "dev_loss_tmo"},
    {"symbolic_name", "symbolic_name"},
    {"supported_classes", "supported_classes"},
    {"supported_speeds", "supported_speeds"},
}};

struct Host {
  std::vector<std::pair<std::string, std::string>> info;  // fc_host first
  std::array<std::uint64_t, kFcCounters.size()> counters{};  // absent files count 0, as procfs's
};

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class FibrechannelCollector final : public HostCollector {
 public:
  explicit FibrechannelCollector(const HostConfig& config)
      : class_dir_(config.paths.Sys("class/fc_host")) {}

  std::string_view Name() const override { return "fibrechannel"; }

  void Collect(FamilySet& out) override {
    std::optional<std::vector<sysfs::DirEntry>> names = sysfs::ListDirUnlessAbsent(class_dir_);
    if (!names) return;  // "fibrechannel statistics not found, skipping"
    std::vector<Host> hosts;
    hosts.reserve(names->size());
    for (const sysfs::DirEntry& entry : *names) hosts.push_back(ReadHost(entry.name));
    if (hosts.empty()) return;

    out.Family("node_fibrechannel_info",
               "Non-numeric data from /sys/class/fc_host/<host>, value is always 1.",
               MetricType::kGauge);
    for (const Host& host : hosts) out.Sample(host.info, 1);
    // A counter the HBA firmware does not implement reads as all ones: not exported.
    constexpr std::uint64_t kUnimplemented = std::numeric_limits<std::uint64_t>::max();
    for (std::size_t i = 0; i < kFcCounters.size(); ++i) {
      bool any = false;
      for (const Host& host : hosts) {
        if (host.counters[i] == kUnimplemented) continue;
        if (!any) out.Family(kFcCounters[i].family, kFcCounters[i].help, MetricType::kCounter);
        any = true;
        out.Sample({{"fc_host", host.info.front().second}}, static_cast<double>(host.counters[i]));
      }
    }
  }

 private:
  Host ReadHost(const std::string& name) const {
    std::string dir = class_dir_ + "/" + name;
    Host host;
    host.info.emplace_back("fc_host", name);
    for (const auto& [file, label] : kAttributes) {
      std::string value = sysfs::RequireSysValue(dir + "/" + std::string(file));
      // Hexadecimal names and ids lose their "0x", as procfs strips them.
      if ((file == "node_name" || file == "port_id" || file == "port_name" ||
           file == "fabric_name") && value.size() > 2) {
        value.erase(0, 2);
      }
      if (!label.empty()) host.info.emplace_back(std::string(label), std::move(value));
    }
    std::string stats_dir = dir + "/statistics";
    for (const sysfs::DirEntry& entry : sysfs::RequireDir(stats_dir)) {
      if (!entry.regular || entry.name == "reset_statistics") continue;
      auto counter = std::find_if(kFcCounters.begin(), kFcCounters.end(),
                                  [&](const FcCounter& c) { return c.file == entry.name; });
      std::string path = stats_dir + "/" + entry.name;
      sysfs::SysText value = sysfs::ReadSysValue(path);
      if (value.error != 0) {
        if (sysfs::SkippableSysError(value.error)) continue;  // write-only files
        throw CollectError(path + ": " + std::strerror(value.error));
      }
      if (counter == kFcCounters.end()) continue;
      std::optional<std::uint64_t> number = sysfs::ParseGoUint(value.text, 0);
      if (!number) throw CollectError(path + ": bad number \"" + value.text + "\"");
      host.counters[static_cast<std::size_t>(counter - kFcCounters.begin())] = *number;
    }
    return host;
  }

  std::string class_dir_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeFibrechannelCollector(const HostConfig& config) {
  return std::make_unique<FibrechannelCollector>(config);
}

}  // namespace metricsd::host
