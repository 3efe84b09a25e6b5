// node_exporter's meminfo collector: every /proc/meminfo line as node_memory_<Key>[_bytes].
#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

class MeminfoCollector final : public HostCollector {
 public:
  explicit MeminfoCollector(const HostPaths& paths) : file_(paths.Proc("meminfo")) {}

  std::string_view Name() const override { return "meminfo"; }

  void Collect(FamilySet& out) override {
    const std::string& text = file_.Read();
    std::size_t families = 0;
    std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(text); lines.Next(line);) {
      // "Active(anon):     123 kB"  ->  node_memory_Active_anon_bytes = 123 * 1024
      //        ^ key        ^ value ^ unit (absent for counts such as HugePages_Total)
      SplitFields(line, fields);
      if (fields.size() < 2 || fields[0].back() != ':') continue;
      std::string key(fields[0].substr(0, fields[0].size() - 1));
      for (char& c : key) {
        if (c == '(' ) c = '_';
      }
      std::erase(key, ')');
      double value = static_cast<double>(RequireUint(fields[1], file_.path()));
      if (fields.size() >= 3 && fields[2] == "kB") {
        value *= 1024;
        key += "_bytes";
      }
      out.Family("node_memory_" + key, "Memory information field " + key + ".",
                 MetricType::kGauge);
      out.Sample({}, value);
      ++families;
    }
    if (families == 0) throw CollectError(file_.path() + ": no fields");
  }

 private:
  CachedFile file_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeMeminfoCollector(const HostPaths& paths) {
  return std::make_unique<MeminfoCollector>(paths);
}

}  // namespace metricsd::host
