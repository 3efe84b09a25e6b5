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

enum NfsdLine : std::size_t {
  kNfsdRc,
  kNfsdFh,
  kNfsdIo,
  kNfsdTh,
  kNfsdRa,
  kNfsdNet,
  kNfsdRpc,
  kNfsdProc2,
  kNfsdProc3,
  kNfsdProc4,
  kNfsdProc4ops
};

// procfs's ParseServerRPCStats: every line must be one of these, with these many values.
constexpr RpcLine kNfsdLines[] = {
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

RpcFamily NfsdCounter(std::string_view name, std::string_view help, std::size_t line,
                      std::size_t index) {
  return {name, help, MetricType::kCounter, {}, {RpcSample{line, index, {}}}};
}

std::vector<RpcFamily> NfsdFamilies() {
  std::vector<RpcFamily> families = {
      NfsdCounter("node_nfsd_reply_cache_hits_total",
                  "Total number of NFSd Reply Cache hits (client lost server response).",
                  kNfsdRc, 0),
      NfsdCounter("node_nfsd_reply_cache_misses_total",
                  "Total number of NFSd Reply Cache an operation that requires caching (idempotent).",
                  kNfsdRc, 1),
      NfsdCounter("node_nfsd_reply_cache_nocache_total",
                  "Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).",
                  kNfsdRc, 2),
      // The other file handle counts are unused in the kernel.
      NfsdCounter("node_nfsd_file_handles_stale_total", "Total number of NFSd stale file handles",
                  kNfsdFh, 0),
      NfsdCounter("node_nfsd_disk_bytes_read_total", "Total NFSd bytes read.", kNfsdIo, 0),
      NfsdCounter("node_nfsd_disk_bytes_written_total", "Total NFSd bytes written.", kNfsdIo, 1),
      {"node_nfsd_server_threads", "Total number of NFSd kernel threads that are running.",
       MetricType::kGauge, {}, {RpcSample{kNfsdTh, 0, {}}}},
      {"node_nfsd_read_ahead_cache_size_blocks", "How large the read ahead cache is in blocks.",
       MetricType::kGauge, {}, {RpcSample{kNfsdRa, 0, {}}}},
      NfsdCounter("node_nfsd_read_ahead_cache_not_found_total",
                  "Total number of NFSd read ahead cache not found.", kNfsdRa, 11),
      {"node_nfsd_packets_total", "Total NFSd network packets (sent+received) by protocol type.",
       MetricType::kCounter, {"proto", {}},
       {RpcSample{kNfsdNet, 1, {"udp", {}}}, RpcSample{kNfsdNet, 2, {"tcp", {}}}}},
      NfsdCounter("node_nfsd_connections_total", "Total number of NFSd TCP connections.",
                  kNfsdNet, 3),
      {"node_nfsd_rpc_errors_total", "Total number of NFSd RPC errors by error type.",
       MetricType::kCounter, {"error", {}},
       {RpcSample{kNfsdRpc, 2, {"fmt", {}}}, RpcSample{kNfsdRpc, 3, {"auth", {}}},
        RpcSample{kNfsdRpc, 4, {"cInt", {}}}}},
      NfsdCounter("node_nfsd_server_rpcs_total", "Total number of NFSd RPCs.", kNfsdRpc, 0),
      {"node_nfsd_requests_total", "Total number NFSd Requests by method and protocol.",
       MetricType::kCounter, {"proto", "method"}, {}},
  };
  RpcFamily& requests = families.back();
  fsstats::AddMethodSamples(requests, kNfsdProc2, "2", fsstats::kNfsV2Methods, kSkipV23);
  fsstats::AddMethodSamples(requests, kNfsdProc3, "3", fsstats::kNfsV3Methods, kSkipV23);
  fsstats::AddMethodSamples(requests, kNfsdProc4ops, "4", kV4Ops, kSkipV4);
  return families;
}

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class NfsdCollector final : public HostCollector {
 public:
  explicit NfsdCollector(const HostPaths& paths)
      : file_(paths.Proc("net/rpc/nfsd"), kNfsdLines, NfsdFamilies()) {}

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
