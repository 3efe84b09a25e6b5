// node_exporter's netstat collector: /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6
// as node_netstat_<Proto>_<Field>, filtered by node_exporter's default field regex.
#include <map>

#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

class NetstatCollector final : public HostCollector {
 public:
  explicit NetstatCollector(const HostConfig& config)
      : netstat_(config.paths.Proc("net/netstat")),
        snmp_(config.paths.Proc("net/snmp")),
        snmp6_(config.paths.Proc("net/snmp6")),
        fields_(config.netstat_fields) {}

  std::string_view Name() const override { return "netstat"; }

  void Collect(FamilySet& out) override {
    ParsePairs(netstat_.Read(), netstat_.path(), out);
    ParsePairs(snmp_.Read(), snmp_.path(), out);
    if (const std::string* snmp6 = snmp6_.TryRead()) ParseSnmp6(*snmp6, out);  // absent without IPv6
  }

 private:
  // Header and value lines alternate:  "Tcp: RtoAlgorithm RtoMin ..." / "Tcp: 1 200 ...".
  // The header lines never change while the kernel runs, so which columns are exported (and
  // their family names) is worked out once per distinct header line.
  void ParsePairs(const std::string& text, const std::string& path, FamilySet& out) {
    LineReader lines(text);
    std::string_view header, values;
    while (lines.Next(header) && lines.Next(values)) {
      const Header& layout = LayoutOf(header);
      SplitFields(values, fields_buffer_);
      if (fields_buffer_.size() != layout.fields) {
        throw CollectError(path + ": header and value lines do not match");
      }
      for (const Column& column : layout.columns) {
        std::optional<double> number = ParseDouble(fields_buffer_[column.index]);
        if (!number) continue;  // Tcp MaxConn is -1; other values are never negative
        out.Family(column.name, column.help, MetricType::kUntyped);
        out.Sample({}, *number);
      }
    }
  }

  struct Column {
    std::size_t index;
    std::string name, help;
  };

  struct Header {
    std::size_t fields;           // fields on the line, protocol included
    std::vector<Column> columns;  // the exported ones
  };

  const Header& LayoutOf(std::string_view header) {
    auto it = layouts_.find(header);
    if (it != layouts_.end()) return it->second;
    std::vector<std::string_view> names = SplitFields(header);
    std::vector<Column> columns;
    std::string_view proto = names.empty() ? "" : names[0].substr(0, names[0].size() - 1);
    for (std::size_t j = 1; j < names.size(); ++j) {
      std::string key = std::string(proto) + "_" + std::string(names[j]);
      if (!fields_.Matches(key)) continue;
      columns.push_back({j, "node_netstat_" + key,
                         "Statistic " + std::string(proto) + std::string(names[j]) + "."});
    }
    return layouts_.emplace(std::string(header), Header{names.size(), std::move(columns)})
        .first->second;
  }

  // "Ip6InReceives 123": the protocol runs up to and including its '6'.
  void ParseSnmp6(const std::string& text, FamilySet& out) {
    for (std::string_view line : SplitLines(text)) {
      std::vector<std::string_view> fields = SplitFields(line);
      if (fields.size() != 2) continue;
      std::size_t six = fields[0].find('6');
      if (six == std::string_view::npos) continue;
      Emit(out, fields[0].substr(0, six + 1), fields[0].substr(six + 1), fields[1]);
    }
  }

  void Emit(FamilySet& out, std::string_view proto, std::string_view field,
            std::string_view value) {
    // Built in a reused buffer: most of the ~250 fields are filtered out, so they should cost
    // a cached lookup, not an allocation.
    key_.assign(proto).append("_").append(field);
    if (!fields_.Matches(key_)) return;
    const std::string& key = key_;
    std::optional<double> number = ParseDouble(value);  // Tcp MaxConn is -1
    if (!number) return;
    out.Family("node_netstat_" + key, "Statistic " + std::string(proto) + std::string(field) + ".",
               MetricType::kUntyped);
    out.Sample({}, *number);
  }

  CachedFile netstat_, snmp_, snmp6_;
  MatchCache fields_;
  std::string key_;
  std::vector<std::string_view> fields_buffer_;
  std::map<std::string, Header, std::less<>> layouts_;  // by header line
};

}  // namespace

std::unique_ptr<HostCollector> MakeNetstatCollector(const HostConfig& config) {
  return std::make_unique<NetstatCollector>(config);
}

}  // namespace metricsd::host
