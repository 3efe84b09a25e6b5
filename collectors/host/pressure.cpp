// node_exporter's pressure collector: PSI totals from /proc/pressure/{cpu,io,memory}.
#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

// "some avg10=0.00 avg60=0.00 avg300=0.00 total=301433617" -> total in microseconds.
std::optional<double> TotalOf(std::string_view text, std::string_view kind) {
  std::vector<std::string_view> fields;
    std::string_view line;
    for (LineReader lines(text); lines.Next(line);) {
    SplitFields(line, fields);
    if (fields.empty() || fields[0] != kind) continue;
    for (std::string_view field : fields) {
      if (field.substr(0, 6) == "total=") {
        if (auto value = ParseUint(field.substr(6))) return static_cast<double>(*value) / 1e6;
      }
    }
  }
  return std::nullopt;
}

class PressureCollector final : public HostCollector {
 public:
  explicit PressureCollector(const HostPaths& paths)
      : cpu_(paths.Proc("pressure/cpu")),
        io_(paths.Proc("pressure/io")),
        memory_(paths.Proc("pressure/memory")) {}

  std::string_view Name() const override { return "pressure"; }

  void Collect(FamilySet& out) override {
    // A kernel without PSI has no /proc/pressure: Read() throws and the collector fails.
    const std::string& cpu = cpu_.Read();
    const std::string& io = io_.Read();
    const std::string& memory = memory_.Read();
    auto emit = [&out](std::string_view name, std::string_view help, std::optional<double> v,
                       std::string_view file) {
      if (!v) throw CollectError("pressure/" + std::string(file) + ": no total");
      out.Family(name, help, MetricType::kCounter);
      out.Sample({}, *v);
    };
    emit("node_pressure_cpu_waiting_seconds_total",
         "Total time in seconds that processes have waited for CPU time", TotalOf(cpu, "some"),
         "cpu");
    emit("node_pressure_io_waiting_seconds_total",
         "Total time in seconds that processes have waited due to IO congestion",
         TotalOf(io, "some"), "io");
    emit("node_pressure_io_stalled_seconds_total",
         "Total time in seconds no process could make progress due to IO congestion",
         TotalOf(io, "full"), "io");
    emit("node_pressure_memory_waiting_seconds_total",
         "Total time in seconds that processes have waited for memory", TotalOf(memory, "some"),
         "memory");
    emit("node_pressure_memory_stalled_seconds_total",
         "Total time in seconds no process could make progress due to memory congestion",
         TotalOf(memory, "full"), "memory");
  }

 private:
  CachedFile cpu_, io_, memory_;
};

}  // namespace

std::unique_ptr<HostCollector> MakePressureCollector(const HostPaths& paths) {
  return std::make_unique<PressureCollector>(paths);
}

}  // namespace metricsd::host
