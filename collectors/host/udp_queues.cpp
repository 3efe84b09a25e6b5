// node_exporter's udp_queues collector: node_udp_queues{queue,ip}, the tx_queue and rx_queue
// columns of /proc/net/udp and /proc/net/udp6 summed over all sockets.
#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

// procfs's parseIP: 8 or 32 hex digits (an IPv4 or IPv6 address).
bool IsHexAddress(std::string_view text) {
  if (text.size() != 8 && text.size() != 32) return false;
  return sysfs::ParseGoUint(text.substr(0, 16), 16).has_value() &&
         (text.size() == 8 || sysfs::ParseGoUint(text.substr(16), 16).has_value());
}

// procfs's "address:port" fields: a hex address, then a hex port.
bool IsAddressPort(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
    return false;
  }
  return IsHexAddress(text.substr(0, colon)) && sysfs::ParseGoUint(text.substr(colon + 1), 16);
}

class UdpQueuesCollector final : public HostCollector {
 public:
  explicit UdpQueuesCollector(const HostConfig& config)
      : v4_(config.paths.Proc("net/udp")), v6_(config.paths.Proc("net/udp6")) {}

  std::string_view Name() const override { return "udp_queues"; }

  void Collect(FamilySet& out) override {
    // Either file may be absent (IPv6 disabled); each is reported alone.
    bool family = false;
    Summarise(v4_, "v4", family, out);
    Summarise(v6_, "v6", family, out);
  }

 private:
  void Summarise(CachedFile& file, std::string_view ip, bool& family, FamilySet& out) {
    const std::string* text = sysfs::ReadUnlessAbsent(file);
    if (text == nullptr) return;
    double tx = 0, rx = 0;
    std::string_view line;
    LineReader lines(*text);
    lines.Next(line);  // the header
    while (lines.Next(line)) {
      //    0: 00000000:0016 00000000:0000 0A 00000015:00000000 00:00000000 00000000     0 ...
      //    ^sl ^local       ^remote       ^st ^tx_queue:rx_queue             ^uid  ^inode (fields[9])
      SplitFields(line, fields_);
      auto bad = [&](std::string_view what) {
        return CollectError(file.path() + ": cannot parse " + std::string(what) +
                            " in socket line \"" + std::string(line) + "\"");
      };
      if (fields_.size() < 10) throw bad("a line of less than 10 columns");
      std::string_view sl = fields_[0];
      std::size_t colon = sl.find(':');
      if (colon == std::string_view::npos || sl.find(':', colon + 1) != std::string_view::npos ||
          !sysfs::ParseGoUint(sl.substr(0, colon), 0)) {
        throw bad("sl");
      }
      if (!IsAddressPort(fields_[1])) throw bad("local_address");
      if (!IsAddressPort(fields_[2])) throw bad("rem_address");
      if (!sysfs::ParseGoUint(fields_[3], 16)) throw bad("st");
      std::string_view queues = fields_[4];
      colon = queues.find(':');
      if (colon == std::string_view::npos ||
          queues.find(':', colon + 1) != std::string_view::npos) {
        throw bad("tx/rx queues");
      }
      std::optional<std::uint64_t> tx_queue = sysfs::ParseGoUint(queues.substr(0, colon), 16);
      std::optional<std::uint64_t> rx_queue = sysfs::ParseGoUint(queues.substr(colon + 1), 16);
      if (!tx_queue || !rx_queue) throw bad("tx/rx queues");
      if (!sysfs::ParseGoUint(fields_[7], 0)) throw bad("uid");
      if (!sysfs::ParseGoUint(fields_[9], 0)) throw bad("inode");
      tx += static_cast<double>(*tx_queue);
      rx += static_cast<double>(*rx_queue);
    }
    if (!family) {
      out.Family("node_udp_queues",
                 "Number of allocated memory in the kernel for UDP datagrams in bytes.",
                 MetricType::kGauge);
      family = true;
    }
    out.Sample({{"queue", "tx"}, {"ip", ip}}, tx);
    out.Sample({{"queue", "rx"}, {"ip", ip}}, rx);
  }

  CachedFile v4_;
  CachedFile v6_;
  std::vector<std::string_view> fields_;  // reused across lines and polls
};

}  // namespace

std::unique_ptr<HostCollector> MakeUdpQueuesCollector(const HostConfig& config) {
  return std::make_unique<UdpQueuesCollector>(config);
}

}  // namespace metricsd::host
