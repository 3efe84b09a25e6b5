// node_exporter's infiniband collector: each /sys/class/infiniband/<device> as
// node_infiniband_info, and per port its state, rate and counters/ and counters_ext/ files as
// node_infiniband_* (prometheus/procfs's sysfs.InfiniBandClass).
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

// A counter file → family and HELP. The data counters count 32-bit words: procfs multiplies
// them by 4 to report octets.
struct IbCounter {
  std::string_view dir, file, family, help;
  std::uint64_t scale;
};
constexpr std::string_view kCnt = "counters";
constexpr std::string_view kExt = "counters_ext";
constexpr std::array<IbCounter, 30> kIbCounters{{
    {kExt, "port_multicast_rcv_packets", "node_infiniband_legacy_multicast_packets_received_total",
     "Number of multicast packets received", 1},
    {kExt, "port_multicast_xmit_packets",
     "node_infiniband_legacy_multicast_packets_transmitted_total",
     "Number of multicast packets transmitted", 1},
    {kExt, "port_rcv_data_64", "node_infiniband_legacy_data_received_bytes_total",
     "Number of data octets received on all links", 4},
    {kExt, "port_rcv_packets_64", "node_infiniband_legacy_packets_received_total",
     "Number of data packets received on all links", 1},
    {kExt, "port_unicast_rcv_packets", "node_infiniband_legacy_unicast_packets_received_total",
     "Number of unicast packets received", 1},
    {kExt, "port_unicast_xmit_packets", "node_infiniband_legacy_unicast_packets_transmitted_total",
     "Number of unicast packets transmitted", 1},
    {kExt, "port_xmit_data_64", "node_infiniband_legacy_data_transmitted_bytes_total",
     "Number of data octets transmitted on all links", 4},
    {kExt, "port_xmit_packets_64", "node_infiniband_legacy_packets_transmitted_total",
     "Number of data packets received on all links", 1},
    {kCnt, "excessive_buffer_overrun_errors",
     "node_infiniband_excessive_buffer_overrun_errors_total",
     "Number of times that OverrunErrors consecutive flow control update periods occurred, each "
     "having at least one overrun error.", 1},
    {kCnt, "link_downed", "node_infiniband_link_downed_total",
     "Number of times the link failed to recover from an error state and went down", 1},
    {kCnt, "link_error_recovery", "node_infiniband_link_error_recovery_total",
     "Number of times the link successfully recovered from an error state", 1},
    {kCnt, "local_link_integrity_errors", "node_infiniband_local_link_integrity_errors_total",
     "Number of times that the count of local physical errors exceeded the threshold specified "
     "by LocalPhyErrors.", 1},
    {kCnt, "multicast_rcv_packets", "node_infiniband_multicast_packets_received_total",
     "Number of multicast packets received (including errors)", 1},
    {kCnt, "multicast_xmit_packets", "node_infiniband_multicast_packets_transmitted_total",
     "Number of multicast packets transmitted (including errors)", 1},
    {kCnt, "port_rcv_constraint_errors", "node_infiniband_port_constraint_errors_received_total",
     "Number of packets received on the switch physical port that are discarded", 1},
    {kCnt, "port_xmit_constraint_errors",
     "node_infiniband_port_constraint_errors_transmitted_total",
     "Number of packets not transmitted from the switch physical port", 1},
    {kCnt, "port_rcv_data", "node_infiniband_port_data_received_bytes_total",
     "Number of data octets received on all links", 4},
    {kCnt, "port_xmit_data", "node_infiniband_port_data_transmitted_bytes_total",
     "Number of data octets transmitted on all links", 4},
    {kCnt, "port_rcv_discards", "node_infiniband_port_discards_received_total",
     "Number of inbound packets discarded by the port because the port is down or congested", 1},
    {kCnt, "port_xmit_discards", "node_infiniband_port_discards_transmitted_total",
     "Number of outbound packets discarded by the port because the port is down or congested", 1},
    {kCnt, "port_rcv_errors", "node_infiniband_port_errors_received_total",
     "Number of packets containing an error that were received on this port", 1},
    {kCnt, "port_rcv_packets", "node_infiniband_port_packets_received_total",
     "Number of packets received on all VLs by this port (including errors)", 1},
    {kCnt, "port_xmit_packets", "node_infiniband_port_packets_transmitted_total",
     "Number of packets transmitted on all VLs from this port (including errors)", 1},
    {kCnt, "port_xmit_wait", "node_infiniband_port_transmit_wait_total",
     "Number of ticks during which the port had data to transmit but no data was sent during the "
     "entire tick", 1},
    {kCnt, "unicast_rcv_packets", "node_infiniband_unicast_packets_received_total",
     "Number of unicast packets received (including errors)", 1},
    {kCnt, "unicast_xmit_packets", "node_infiniband_unicast_packets_transmitted_total",
     "Number of unicast packets transmitted (including errors)", 1},
    {kCnt, "port_rcv_remote_physical_errors",
     "node_infiniband_port_receive_remote_physical_errors_total",
     "Number of packets marked with the EBP (End of Bad Packet) delimiter received on the port.", 1},
    {kCnt, "port_rcv_switch_relay_errors", "node_infiniband_port_receive_switch_relay_errors_total",
     "Number of packets that could not be forwarded by the switch.", 1},
    {kCnt, "symbol_error", "node_infiniband_symbol_error_total",
     "Number of minor link errors detected on one or more physical lanes.", 1},
    {kCnt, "VL15_dropped", "node_infiniband_vl15_dropped_total",
     "Number of incoming VL15 packets dropped due to resource limitations.", 1},
}};

struct Port {
  std::string device, port;
  double state_id = 0, phys_state_id = 0, rate = 0;
  std::array<std::optional<std::uint64_t>, kIbCounters.size()> counters;
};

// "4: ACTIVE" → 4 (procfs's parseState).
double ParseState(const std::string& path, std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
    throw CollectError(path + ": expected \"ID: NAME\"");
  }
  std::optional<std::uint64_t> id = ParseUint(sysfs::TrimSpace(text.substr(0, colon)));
  if (!id || *id > 0xffffffffu) throw CollectError(path + ": bad state id");
  return static_cast<double>(*id);
}

// "100 Gb/sec (4X EDR)" → bytes per second (procfs's parseRate: Gb/s × 125000000, the number
// parsed as a float32 and truncated).
double ParseRate(const std::string& path, std::string_view text) {
  std::size_t space = text.find(' ');
  if (space == std::string_view::npos) throw CollectError(path + ": bad rate");
  std::optional<double> gbits = ParseDouble(sysfs::TrimSpace(text.substr(0, space)));
  if (!gbits) throw CollectError(path + ": bad rate");
  float as_float32 = static_cast<float>(*gbits);
  return static_cast<double>(
      static_cast<std::uint64_t>(static_cast<double>(as_float32) * 125000000.0));
}

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class InfinibandCollector final : public HostCollector {
 public:
  explicit InfinibandCollector(const HostConfig& config)
      : class_dir_(config.paths.Sys("class/infiniband")) {}

  std::string_view Name() const override { return "infiniband"; }

  void Collect(FamilySet& out) override {
    std::optional<std::vector<sysfs::DirEntry>> devices = sysfs::ListDirUnlessAbsent(class_dir_);
    if (!devices) return;  // "infiniband statistics not found, skipping"
    std::vector<std::vector<std::pair<std::string, std::string>>> infos;
    std::vector<Port> ports;
    for (const sysfs::DirEntry& device : *devices) ReadDevice(device.name, infos, ports);
    if (infos.empty()) return;

    out.Family("node_infiniband_info",
               "Non-numeric data from /sys/class/infiniband/<device>, value is always 1.",
               MetricType::kGauge);
    for (const auto& info : infos) out.Sample(info, 1);
    if (ports.empty()) return;
    auto gauge = [&](std::string_view name, std::string_view help, double Port::*field) {
      out.Family(name, help, MetricType::kGauge);
      for (const Port& port : ports) {
        out.Sample({{"device", port.device}, {"port", port.port}}, port.*field);
      }
    };
    gauge("node_infiniband_state_id",
          "State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: "
          "act defer)",
          &Port::state_id);
    gauge("node_infiniband_physical_state_id",
          "Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, "
          "4: shift, 5: link up, 6: link error recover, 7: phytest)",
          &Port::phys_state_id);
    gauge("node_infiniband_rate_bytes_per_second", "Maximum signal transfer rate", &Port::rate);
    for (std::size_t i = 0; i < kIbCounters.size(); ++i) {
      bool any = false;
      for (const Port& port : ports) {
        if (!port.counters[i]) continue;
        if (!any) out.Family(kIbCounters[i].family, kIbCounters[i].help, MetricType::kCounter);
        any = true;
        out.Sample({{"device", port.device}, {"port", port.port}},
                   static_cast<double>(*port.counters[i]));
      }
    }
  }

 private:
  void ReadDevice(const std::string& name,
                  std::vector<std::vector<std::pair<std::string, std::string>>>& infos,
                  std::vector<Port>& ports) const {
    std::string dir = class_dir_ + "/" + name;
    std::vector<std::pair<std::string, std::string>> info{{"device", name}};
    static constexpr std::pair<std::string_view, std::string_view> kInfo[] = {
        {"board_id", "board_id"}, {"fw_ver", "firmware_version"}, {"hca_type", "hca_type"}};
    for (auto [file, label] : kInfo) {
      std::string path = dir + "/" + std::string(file);
      sysfs::SysText value = sysfs::ReadSysValue(path);
      if (value.error == ENOENT && file == "hca_type") {
        value.text.clear();  // optional: some drivers lack it
      } else if (value.error != 0) {
        throw CollectError(path + ": " + std::strerror(value.error));
      }
      info.emplace_back(std::string(label), std::move(value.text));
    }
    infos.push_back(std::move(info));
    std::string ports_dir = dir + "/ports";
    for (const sysfs::DirEntry& entry : sysfs::RequireDir(ports_dir)) {
      ports.push_back(ReadPort(name, entry.name, ports_dir + "/" + entry.name));
    }
  }

  static Port ReadPort(const std::string& device, const std::string& number,
                       const std::string& dir) {
    std::optional<std::uint64_t> port_number = ParseUint(number);
    if (!port_number || *port_number > 0xffffffffu) {
      throw CollectError(dir + ": port is not a number");
    }
    Port port;
    port.device = device;
    port.port = std::to_string(*port_number);
    auto read = [&](std::string_view file) {
      std::string path = dir + "/" + std::string(file);
      std::optional<std::string> text = TryReadFile(path);
      if (!text) throw CollectError(path + ": cannot read");
      return std::pair{path, std::move(*text)};
    };
    auto [state_path, state] = read("state");
    port.state_id = ParseState(state_path, state);
    auto [phys_path, phys] = read("phys_state");
    port.phys_state_id = ParseState(phys_path, phys);
    auto [rate_path, rate] = read("rate");
    port.rate = ParseRate(rate_path, rate);
    ReadCounters(dir, kCnt, true, port);
    ReadCounters(dir, kExt, false, port);
    return port;
  }

  static void ReadCounters(const std::string& port_dir, std::string_view subdir, bool required,
                           Port& port) {
    std::string dir = port_dir + "/" + std::string(subdir);
    std::optional<std::vector<sysfs::DirEntry>> entries = sysfs::ListDirUnlessAbsent(dir);
    if (!entries) {
      if (required) throw CollectError(dir + ": no such directory");
      return;  // counters_ext is optional
    }
    for (const sysfs::DirEntry& entry : *entries) {
      if (!entry.regular) continue;
      std::string path = dir + "/" + entry.name;
      sysfs::SysText value = sysfs::ReadSysValue(path);
      if (value.error != 0) {
        if (sysfs::SkippableSysError(value.error) || value.error == EACCES) continue;
        throw CollectError(path + ": " + std::strerror(value.error));
      }
      auto counter = std::find_if(kIbCounters.begin(), kIbCounters.end(), [&](const IbCounter& c) {
        return c.dir == subdir && c.file == entry.name;
      });
      if (counter == kIbCounters.end()) continue;
      std::optional<std::uint64_t> number = sysfs::ParseGoUint(value.text, 0);
      if (!number) {
        // A port without a performance management agent: the counter is absent.
        if (value.text.find("N/A (no PMA)") != std::string::npos) continue;
        throw CollectError(path + ": bad number \"" + value.text + "\"");
      }
      port.counters[static_cast<std::size_t>(counter - kIbCounters.begin())] =
          *number * counter->scale;
    }
  }

  std::string class_dir_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeInfinibandCollector(const HostConfig& config) {
  return std::make_unique<InfinibandCollector>(config);
}

}  // namespace metricsd::host
