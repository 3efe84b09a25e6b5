// node_exporter's ipvs collector: node_ipvs_* totals from /proc/net/ip_vs_stats and
// node_ipvs_backend_* per virtual/real server pair from /proc/net/ip_vs, with the default
// backend labels (local_address, local_port, remote_address, remote_port, proto, local_mark).
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

struct Total {
  std::string_view name, help;
};
// The five hex columns of ip_vs_stats' third line, in order.
constexpr std::array<Total, 5> kTotals = {{
    {"node_ipvs_connections_total", "The total number of connections made."},
    {"node_ipvs_incoming_packets_total", "The total number of incoming packets."},
    {"node_ipvs_outgoing_packets_total", "The total number of outgoing packets."},
    {"node_ipvs_incoming_bytes_total", "The total amount of incoming data."},
    {"node_ipvs_outgoing_bytes_total", "The total amount of outgoing data."},
}};

constexpr std::array<std::string_view, 6> kLabels = {
    "local_address", "local_port", "remote_address", "remote_port", "proto", "local_mark"};
using LabelValues = std::array<std::string, kLabels.size()>;

// Go's net.IP.String() of an IPv6 address: RFC 5952 (the first longest run of two or more zero
// words as "::", lower-case hex), IPv4-mapped addresses dotted. Unlike glibc's inet_ntop it
// never writes "::a.b.c.d" for other addresses.
std::string FormatIpv6(const unsigned char (&bytes)[16]) {
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped, kMapped + 12, bytes)) {
    return std::to_string(bytes[12]) + "." + std::to_string(bytes[13]) + "." +
           std::to_string(bytes[14]) + "." + std::to_string(bytes[15]);
  }
  std::array<unsigned, 8> words{};
  for (std::size_t i = 0; i < 8; ++i) words[i] = (bytes[2 * i] << 8u) | bytes[2 * i + 1];
  std::size_t best = 8, best_len = 1;  // runs of one zero word stay written out
  for (std::size_t i = 0; i < 8;) {
    std::size_t j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string out;
  char hex[8];
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(hex, sizeof hex, "%x", words[i]);
    out += hex;
  }
  return out;
}

// procfs's parseIPPort and Go's net.IP.String(): "C0A80016:0CEA" (IPv4 as 8 hex digits) or
// "[2620:0000:...:0001]:0050" (IPv6 written out), then the port as 4 hex digits. Address and
// port as label values; nullopt where procfs fails.
std::optional<std::pair<std::string, std::string>> ParseIpPort(std::string_view text) {
  std::string address;
  if (text.size() == 13) {
    std::optional<std::uint64_t> ip = sysfs::ParseGoUint(text.substr(0, 8), 16);
    if (!ip) return std::nullopt;
    address = std::to_string(*ip >> 24) + "." + std::to_string((*ip >> 16) & 0xff) + "." +
              std::to_string((*ip >> 8) & 0xff) + "." + std::to_string(*ip & 0xff);
  } else if (text.size() == 46) {
    std::string literal(text.substr(1, 39));
    unsigned char bytes[16];
    if (::inet_pton(AF_INET6, literal.c_str(), bytes) != 1) return std::nullopt;
    address = FormatIpv6(bytes);
  } else {
    return std::nullopt;
  }
  std::optional<std::uint64_t> port = sysfs::ParseGoUint(text.substr(text.size() - 4), 16, 16);
  if (!port) return std::nullopt;
  return std::make_pair(std::move(address), std::to_string(*port));
}

class IpvsCollector final : public HostCollector {
 public:
  explicit IpvsCollector(const HostConfig& config)
      : stats_(config.paths.Proc("net/ip_vs_stats")), backends_(config.paths.Proc("net/ip_vs")) {}

  std::string_view Name() const override { return "ipvs"; }

  void Collect(FamilySet& out) override {
    const std::string* stats = sysfs::ReadUnlessAbsent(stats_);
    if (stats == nullptr) return;  // no IPVS on this host
    CollectTotals(*stats, out);
    CollectBackends(backends_.Read(), out);
  }

 private:
  void CollectTotals(std::string_view text, FamilySet& out) {
    //    Total Incoming Outgoing         Incoming         Outgoing
    //    Conns  Packets  Packets            Bytes            Bytes
    //  16AA370 E33656E5        0     51D8C8883AB3                0     <- the third line
    std::size_t first = text.find('\n');
    std::size_t second = first == std::string_view::npos ? first : text.find('\n', first + 1);
    std::size_t third = second == std::string_view::npos ? second : text.find('\n', second + 1);
    if (third == std::string_view::npos) {
      throw CollectError(stats_.path() + ": ip_vs_stats corrupt: too short");
    }
    std::vector<std::string_view> fields = SplitFields(text.substr(second + 1, third - second - 1));
    if (fields.size() != kTotals.size()) {
      throw CollectError(stats_.path() + ": ip_vs_stats corrupt: unexpected number of fields");
    }
    std::array<double, kTotals.size()> values{};
    for (std::size_t i = 0; i < kTotals.size(); ++i) {
      std::optional<std::uint64_t> value = sysfs::ParseGoUint(fields[i], 16);
      if (!value) {
        throw CollectError(stats_.path() + ": bad number \"" + std::string(fields[i]) + "\"");
      }
      values[i] = static_cast<double>(*value);
    }
    for (std::size_t i = 0; i < kTotals.size(); ++i) {
      out.Family(kTotals[i].name, kTotals[i].help, MetricType::kCounter);
      out.Sample({}, values[i]);
    }
  }

  void CollectBackends(std::string_view text, FamilySet& out) {
    struct Sums {
      double active = 0, inactive = 0, weight = 0;
    };
    std::map<LabelValues, Sums> sums;  // node_exporter sums pairs with the same labels
    std::string proto, local_mark, local_address, local_port = "0";
    std::vector<std::string_view> fields;
    std::string_view line;
    auto bad = [&](std::string_view what, std::string_view value) {
      return CollectError(backends_.path() + ": " + std::string(what) + " \"" +
                          std::string(value) + "\"");
    };
    for (LineReader lines(text); lines.Next(line);) {
      // IP Virtual Server version 1.2.1 (size=4096)
      // Prot LocalAddress:Port Scheduler Flags
      //   -> RemoteAddress:Port Forward Weight ActiveConn InActConn
      // TCP  C0A80016:0CEA wlc                        <- a virtual server (or FWM <mark>)
      //   -> C0A85216:0CEA      Tunnel  100    248        2    <- its real servers
      SplitFields(line, fields);
      if (fields.empty() || fields[0] == "IP" || fields[0] == "Prot" ||
          (fields.size() > 1 && fields[1] == "RemoteAddress:Port")) {
        continue;
      }
      if (fields.size() < 2) continue;
      if (fields[0] == "TCP" || fields[0] == "UDP") {
        auto local = ParseIpPort(fields[1]);
        if (!local) throw bad("unexpected IP:Port", fields[1]);
        proto = fields[0];
        local_mark.clear();
        local_address = std::move(local->first);
        local_port = std::move(local->second);
      } else if (fields[0] == "FWM") {
        proto = fields[0];
        local_mark = fields[1];
        local_address.clear();
        local_port = "0";
      } else if (fields[0] == "->" && fields.size() >= 6) {
        auto remote = ParseIpPort(fields[1]);
        if (!remote) throw bad("unexpected IP:Port", fields[1]);
        std::array<double, 3> values{};  // weight, active, inactive
        for (std::size_t i = 0; i < values.size(); ++i) {
          std::optional<std::uint64_t> value = sysfs::ParseGoUint(fields[3 + i], 10);
          if (!value) throw bad("bad number", fields[3 + i]);
          values[i] = static_cast<double>(*value);
        }
        Sums& sum = sums[LabelValues{local_address, local_port, remote->first, remote->second,
                                     proto, local_mark}];
        sum.weight += values[0];
        sum.active += values[1];
        sum.inactive += values[2];
      }
    }
    if (sums.empty()) return;
    auto emit = [&](std::string_view name, std::string_view help, double Sums::*field) {
      out.Family(name, help, MetricType::kGauge);
      std::vector<std::pair<std::string, std::string>> labels;
      for (const auto& [values, sum] : sums) {
        labels.clear();
        for (std::size_t i = 0; i < kLabels.size(); ++i) {
          labels.emplace_back(std::string(kLabels[i]), values[i]);
        }
        out.Sample(labels, sum.*field);
      }
    };
    emit("node_ipvs_backend_connections_active",
         "The current active connections by local and remote address.", &Sums::active);
    emit("node_ipvs_backend_connections_inactive",
         "The current inactive connections by local and remote address.", &Sums::inactive);
    emit("node_ipvs_backend_weight", "The current backend weight by local and remote address.",
         &Sums::weight);
  }

  CachedFile stats_;
  CachedFile backends_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeIpvsCollector(const HostConfig& config) {
  return std::make_unique<IpvsCollector>(config);
}

}  // namespace metricsd::host
