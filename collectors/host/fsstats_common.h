// What the fsstats collectors (xfs, zfs, nfs, nfsd) share: keeping the files found on each
// poll open across polls, and the table-driven reader of the "<label> <number>..." files
// /proc/net/rpc/nfs and nfsd. Directory listing is sysfs_files.h's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/host/host_collector.h"
#include "daemon/core/proc_file.h"

namespace metricsd::host::fsstats {

// Files found anew on each poll (mounts and pools come and go), each kept open as a CachedFile
// while it is still found. Get() the files of this poll, then Sweep() closes the others.
// Thread-safety: not thread-safe; one collector owns it.
class FileCache {
 public:
  CachedFile& Get(const std::string& path);
  void Sweep();

 private:
  struct Entry {
    explicit Entry(const std::string& path) : file(path) {}
    CachedFile file;
    bool seen = true;
  };
  std::map<std::string, Entry, std::less<>> files_;
};

// One line kind of an RPC statistics file, as procfs's nfs package checks it.
struct RpcLine {
  std::string_view label;  // first field: "net", "proc3", ...
  // Counted lines ("proc3 22 v1 ... v22") start with their number of values, which must
  // match; the values then exclude the count.
  bool counted = false;
  std::size_t min_values = 0;  // fewer values is malformed
  std::size_t max_values = 0;  // more is malformed; 0 = no limit
  std::size_t only_first = 0;  // parse only the first N fields ("th": the rest are floats)
};

// A sample of an RPC statistics family: value `index` of line `line` (0 when the file lacks
// the line, as procfs leaves the struct zeroed), with up to two labels.
struct RpcSample {
  std::size_t line;
  std::size_t index;
  std::string_view label_value[2] = {};
};

struct RpcFamily {
  std::string_view name, help;
  MetricType type;
  std::string_view label_name[2] = {};
  std::vector<RpcSample> samples;
};

// /proc/net/rpc/nfs or /proc/net/rpc/nfsd, described by its line kinds and the families taken
// from them. A line with an unknown label, fewer than two fields, a field that is not an
// unsigned integer or the wrong number of values throws CollectError (procfs fails the parse).
// Thread-safety: not thread-safe; one collector owns it.
class RpcStatsFile {
 public:
  RpcStatsFile(std::string path, std::span<const RpcLine> lines, std::vector<RpcFamily> families);

  // Reads and appends the families; nothing when the file does not exist.
  void Collect(FamilySet& out);

 private:
  void Parse(std::string_view text);

  CachedFile file_;
  std::span<const RpcLine> lines_;
  std::vector<RpcFamily> families_;
  std::vector<std::vector<std::uint64_t>> values_;  // per line kind, reused across polls
  std::vector<std::size_t> width_;                   // values each line kind must provide
  std::vector<std::string_view> fields_;
};

// procfs's V2Stats and V3Stats field names, in the order of the proc2 and proc3 lines.
inline constexpr std::string_view kNfsV2Methods[] = {
    "Null",   "GetAttr", "SetAttr", "Root",    "Lookup", "ReadLink", "Read",  "WrCache", "Write",
    "Create", "Remove",  "Rename",  "Link",    "SymLink", "MkDir",   "RmDir", "ReadDir", "FsStat"};
inline constexpr std::string_view kNfsV3Methods[] = {
    "Null",  "GetAttr", "SetAttr", "Lookup",  "Access",  "ReadLink",    "Read",   "Write",
    "Create", "MkDir",  "SymLink", "MkNod",   "Remove",  "RmDir",       "Rename", "Link",
    "ReadDir", "ReadDirPlus", "FsStat", "FsInfo", "PathConf", "Commit"};

// Appends requests_total samples {proto, method} for `methods` read from line `line`, value i
// at index i; methods named in `skip` are left out (nfsd does not report them).
void AddMethodSamples(RpcFamily& family, std::size_t line, std::string_view proto,
                      std::span<const std::string_view> methods,
                      std::span<const std::string_view> skip = {});

}  // namespace metricsd::host::fsstats
