// node_exporter's entropy collector: node_entropy_available_bits and node_entropy_pool_size_bits
// from /proc/sys/kernel/random/{entropy_avail,poolsize} (procfs's KernelRandom).
#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "daemon/core/proc_file.h"

#include <cerrno>
#include <cstring>

namespace metricsd::host {
namespace {

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class EntropyCollector final : public HostCollector {
 public:
  explicit EntropyCollector(const HostPaths& paths)
      : available_(paths.Proc("sys/kernel/random/entropy_avail")),
        pool_size_(paths.Proc("sys/kernel/random/poolsize")) {}

  std::string_view Name() const override { return "entropy"; }

  void Collect(FamilySet& out) override {
    int available_error = 0, pool_error = 0;
    auto available = sysfs::ReadUintFile(available_, available_error);
    auto pool_size = sysfs::ReadUintFile(pool_size_, pool_error);
    // A kernel without the files (or a container without /proc/sys): nothing to report.
    if (available_error == ENOENT && pool_error == ENOENT) return;
    // node_exporter fails when either value is missing ("couldn't get entropy_avail").
    if (!available) throw CollectError("cannot read " + available_ + ": " + std::strerror(available_error));
    if (!pool_size) throw CollectError("cannot read " + pool_size_ + ": " + std::strerror(pool_error));
    out.Family("node_entropy_available_bits", "Bits of available entropy.", MetricType::kGauge);
    out.Sample({}, static_cast<double>(*available));
    out.Family("node_entropy_pool_size_bits", "Bits of entropy pool.", MetricType::kGauge);
    out.Sample({}, static_cast<double>(*pool_size));
  }

 private:
  std::string available_, pool_size_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeEntropyCollector(const HostConfig& config) {
  return std::make_unique<EntropyCollector>(config.paths);
}

}  // namespace metricsd::host
