// node_exporter's nfs collector: NFS client RPC statistics from /proc/net/rpc/nfs
// (node_nfs_packets_total, node_nfs_rpcs_total, node_nfs_requests_total{proto,method}, ...).
// The file's lines and node_exporter's families are tables; fsstats_common.h reads them.
#include "collectors/host/collectors.h"
#include "collectors/host/fsstats_common.h"

namespace metricsd::host {
namespace {

using fsstats::RpcFamily;
using fsstats::RpcLine;
using fsstats::RpcSample;

enum NfsLine : std::size_t { kNfsNet, kNfsRpc, kNfsProc2, kNfsProc3, kNfsProc4 };

// procfs's ParseClientRPCStats: every line must be one of these, with these many values.
constexpr RpcLine kNfsLines[] = {
    {"net", false, 4, 4, 0},
    {"rpc", false, 3, 3, 0},
    {"proc2", true, 18, 0, 0},
    {"proc3", true, 22, 0, 0},
    // Older kernels report fewer v4 operations: the missing ones read as 0.
    {"proc4", true, 0, 0, 0},
};

// procfs's ClientV4Stats field names, in the order of the proc4 line.
constexpr std::string_view kV4Methods[] = {
    "Null",          "Read",          "Write",            "Commit",          "Open",
    "OpenConfirm",   "OpenNoattr",    "OpenDowngrade",    "Close",           "Setattr",
    "FsInfo",        "Renew",         "SetClientID",      "SetClientIDConfirm", "Lock",
    "Lockt",         "Locku",         "Access",           "Getattr",         "Lookup",
    "LookupRoot",    "Remove",        "Rename",           "Link",            "Symlink",
    "Create",        "Pathconf",      "StatFs",           "ReadLink",        "ReadDir",
    "ServerCaps",    "DelegReturn",   "GetACL",           "SetACL",          "FsLocations",
    "ReleaseLockowner", "Secinfo",    "FsidPresent",      "ExchangeID",      "CreateSession",
    "DestroySession", "Sequence",     "GetLeaseTime",     "ReclaimComplete", "LayoutGet",
    "GetDeviceInfo", "LayoutCommit",  "LayoutReturn",     "SecinfoNoName",   "TestStateID",
    "FreeStateID",   "GetDeviceList", "BindConnToSession", "DestroyClientID", "Seek",
    "Allocate",      "DeAllocate",    "LayoutStats",      "Clone"};
static_assert(std::size(kV4Methods) == 59);

std::vector<RpcFamily> NfsFamilies() {
  std::vector<RpcFamily> families = {
      {"node_nfs_packets_total", "Total NFSd network packets (sent+received) by protocol type.",
       MetricType::kCounter, {"protocol", {}},
       {RpcSample{kNfsNet, 1, {"udp", {}}}, RpcSample{kNfsNet, 2, {"tcp", {}}}}},
      {"node_nfs_connections_total", "Total number of NFSd TCP connections.",
       MetricType::kCounter, {}, {RpcSample{kNfsNet, 3, {}}}},
      {"node_nfs_rpcs_total", "Total number of RPCs performed.", MetricType::kCounter, {},
       {RpcSample{kNfsRpc, 0, {}}}},
      {"node_nfs_rpc_retransmissions_total", "Number of RPC transmissions performed.",
       MetricType::kCounter, {}, {RpcSample{kNfsRpc, 1, {}}}},
      {"node_nfs_rpc_authentication_refreshes_total",
       "Number of RPC authentication refreshes performed.", MetricType::kCounter, {},
       {RpcSample{kNfsRpc, 2, {}}}},
      {"node_nfs_requests_total", "Number of NFS procedures invoked.", MetricType::kCounter,
       {"proto", "method"}, {}},
  };
  RpcFamily& requests = families.back();
  fsstats::AddMethodSamples(requests, kNfsProc2, "2", fsstats::kNfsV2Methods);
  fsstats::AddMethodSamples(requests, kNfsProc3, "3", fsstats::kNfsV3Methods);
  fsstats::AddMethodSamples(requests, kNfsProc4, "4", kV4Methods);
  return families;
}

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class NfsCollector final : public HostCollector {
 public:
  explicit NfsCollector(const HostPaths& paths)
      : file_(paths.Proc("net/rpc/nfs"), kNfsLines, NfsFamilies()) {}

  std::string_view Name() const override { return "nfs"; }
  void Collect(FamilySet& out) override { file_.Collect(out); }

 private:
  fsstats::RpcStatsFile file_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeNfsCollector(const HostConfig& config) {
  return std::make_unique<NfsCollector>(config.paths);
}

}  // namespace metricsd::host
