// node_exporter's nfsd collector: NFS server statistics from /proc/net/rpc/nfsd (reply cache,
// file handles, bytes, threads, read-ahead cache, packets, RPC errors, requests by method).
// The file's lines and node_exporter's families are tables; fsstats_common.h reads them.
#include "collectors/host/collectors.h"
#include "collectors/host/fsstats_common.h"

namespace metricsd::host {
namespace {

using fsstats::RpcFamily;
using fsstats::RpcLine;
using fsstats::RpcSample;

enum Line : std::size_t { kRc, kFh, kIo, kTh, kRa, kNet, kRpc, kProc2, kProc3, kProc4, kProc4ops };

// procfs's ParseServerRPCStats: every line must be one of these, with these many values.
constexpr RpcLine kLines[] = {
    {"rc", false, 3, 3, 0},
    {"fh", false, 5, 5, 0},
    {"io", false, 2, 2, 0},
    {"th", false, 2, 2, 2},  // "th 8 0 0.000 ...": the histogram after two counts is not read
    {"ra", false, 12, 12, 0},
    {"net", false, 4, 4, 0},
    {"rpc", false, 5, 5, 0},
    {"proc2", true, 18, 0, 0},
    {"proc3", true, 22, 0, 0},
    {"proc4", true, 2, 2, 0},
    {"proc4ops", true, 39, 0, 0},
};

// procfs's V4Ops field names, in the order of the proc4ops line.
constexpr std::string_view kV4Ops[] = {
    "Op0Unused", "Op1Unused",   "Op2Future", "Access",    "Close",        "Commit",
    "Create",    "DelegPurge",  "DelegReturn", "GetAttr", "GetFH",        "Link",
    "Lock",      "Lockt",       "Locku",     "Lookup",    "LookupRoot",   "Nverify",
    "Open",      "OpenAttr",    "OpenConfirm", "OpenDgrd", "PutFH",       "PutPubFH",
    "PutRootFH", "Read",        "ReadDir",   "ReadLink",  "Remove",       "Rename",
    "Renew",     "RestoreFH",   "SaveFH",    "SecInfo",   "SetAttr",      "Verify",
    "Write",     "RelLockOwner"};
// What node_exporter's nfsd collector leaves out of node_nfsd_requests_total.
constexpr std::string_view kSkipV23[] = {"Null"};
constexpr std::string_view kSkipV4[] = {"Op0Unused", "Op1Unused", "Op2Future", "PutPubFH",
                                        "PutRootFH"};

RpcFamily Counter(std::string_view name, std::string_view help, std::size_t line,
                  std::size_t index) {
  return {name, help, MetricType::kCounter, {}, {RpcSample{line, index, {}}}};
}

std::vector<RpcFamily> Families() {
  std::vector<RpcFamily> families = {
      Counter("node_nfsd_reply_cache_hits_total",
              "Total number of NFSd Reply Cache hits (client lost server response).", kRc, 0),
      Counter("node_nfsd_reply_cache_misses_total",
              "Total number of NFSd Reply Cache an operation that requires caching (idempotent).",
              kRc, 1),
      Counter("node_nfsd_reply_cache_nocache_total",
              "Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).",
              kRc, 2),
      // The other file handle counts are unused in the kernel.
      Counter("node_nfsd_file_handles_stale_total", "Total number of NFSd stale file handles",
              kFh, 0),
      Counter("node_nfsd_disk_bytes_read_total", "Total NFSd bytes read.", kIo, 0),
      Counter("node_nfsd_disk_bytes_written_total", "Total NFSd bytes written.", kIo, 1),
      {"node_nfsd_server_threads", "Total number of NFSd kernel threads that are running.",
       MetricType::kGauge, {}, {RpcSample{kTh, 0, {}}}},
      {"node_nfsd_read_ahead_cache_size_blocks", "How large the read ahead cache is in blocks.",
       MetricType::kGauge, {}, {RpcSample{kRa, 0, {}}}},
      Counter("node_nfsd_read_ahead_cache_not_found_total",
              "Total number of NFSd read ahead cache not found.", kRa, 11),
      {"node_nfsd_packets_total", "Total NFSd network packets (sent+received) by protocol type.",
       MetricType::kCounter, {"proto", {}},
       {RpcSample{kNet, 1, {"udp", {}}}, RpcSample{kNet, 2, {"tcp", {}}}}},
      Counter("node_nfsd_connections_total", "Total number of NFSd TCP connections.", kNet, 3),
      {"node_nfsd_rpc_errors_total", "Total number of NFSd RPC errors by error type.",
       MetricType::kCounter, {"error", {}},
       {RpcSample{kRpc, 2, {"fmt", {}}}, RpcSample{kRpc, 3, {"auth", {}}},
        RpcSample{kRpc, 4, {"cInt", {}}}}},
      Counter("node_nfsd_server_rpcs_total", "Total number of NFSd RPCs.", kRpc, 0),
      {"node_nfsd_requests_total", "Total number NFSd Requests by method and protocol.",
       MetricType::kCounter, {"proto", "method"}, {}},
  };
  RpcFamily& requests = families.back();
  fsstats::AddMethodSamples(requests, kProc2, "2", fsstats::kNfsV2Methods, kSkipV23);
  fsstats::AddMethodSamples(requests, kProc3, "3", fsstats::kNfsV3Methods, kSkipV23);
  fsstats::AddMethodSamples(requests, kProc4ops, "4", kV4Ops, kSkipV4);
  return families;
}

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class NfsdCollector final : public HostCollector {
 public:
  explicit NfsdCollector(const HostPaths& paths)
      : file_(paths.Proc("net/rpc/nfsd"), kLines, Families()) {}

  std::string_view Name() const override { return "nfsd"; }
  void Collect(FamilySet& out) override { file_.Collect(out); }

 private:
  fsstats::RpcStatsFile file_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeNfsdCollector(const HostConfig& config) {
  return std::make_unique<NfsdCollector>(config.paths);
}

}  // namespace metricsd::host
