// node_exporter's sockstat collector: /proc/net/sockstat and sockstat6 as
// node_sockstat_<PROTO>_<field>, with mem also in bytes (pages * page size).
#include <unistd.h>

#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

class SockstatCollector final : public HostCollector {
 public:
  explicit SockstatCollector(const HostPaths& paths)
      : v4_(paths.Proc("net/sockstat")),
        v6_(paths.Proc("net/sockstat6")),
        page_size_(static_cast<double>(sysconf(_SC_PAGESIZE))) {}

  std::string_view Name() const override { return "sockstat"; }

  void Collect(FamilySet& out) override {
    Parse(v4_.Read(), v4_.path(), out);
    // IPv6 may be disabled: sockstat6 is optional, as in node_exporter.
    if (const std::string* v6 = v6_.TryRead()) Parse(*v6, v6_.path(), out);
  }

 private:
  void Parse(const std::string& text, const std::string& path, FamilySet& out) {
    std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(text); lines.Next(line);) {
      //  TCP: inuse 5 orphan 0 tw 0 alloc 7 mem 343
      //  ^proto ^key/value pairs
      SplitFields(line, fields);
      if (fields.size() < 3 || fields[0].back() != ':') continue;
      std::string proto(fields[0].substr(0, fields[0].size() - 1));
      for (std::size_t i = 1; i + 1 < fields.size(); i += 2) {
        std::string key(fields[i]);
        double value = static_cast<double>(RequireUint(fields[i + 1], path));
        if (proto == "sockets") {
          out.Family("node_sockstat_sockets_" + key, "Number of IPv4 sockets in use.",
                     MetricType::kGauge);
          out.Sample({}, value);
          continue;
        }
        Emit(out, proto, key, value);
        if (key == "mem") Emit(out, proto, "mem_bytes", value * page_size_);
      }
    }
  }

  static void Emit(FamilySet& out, const std::string& proto, const std::string& key, double value) {
    out.Family("node_sockstat_" + proto + "_" + key,
               "Number of " + proto + " sockets in state " + key + ".", MetricType::kGauge);
    out.Sample({}, value);
  }

  CachedFile v4_, v6_;
  double page_size_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeSockstatCollector(const HostPaths& paths) {
  return std::make_unique<SockstatCollector>(paths);
}

}  // namespace metricsd::host
