// node_exporter's xfs collector: per-filesystem XFS counters from
// /sys/fs/xfs/<device>/stats/stats (node_xfs_*_total{device}). The lines of the stats file
// and the families node_exporter takes from them are tables, as procfs's xfs package has one
// parse function per line and node_exporter one list of metrics.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "collectors/host/collectors.h"
#include "collectors/host/fsstats_common.h"
#include "collectors/host/sysfs_files.h"

namespace metricsd::host {
namespace {

// A line of the stats file ("rw 28 0") and the numbers of values procfs accepts for it
// (some lines grew a value in newer kernels). procfs parses every line's values as uint32
// (xpc's as uint64) even when it keeps none of them.
struct XfsLine {
  std::string_view label;
  std::size_t values, or_values;
};
constexpr XfsLine kXfsLines[] = {
    {"extent_alloc", 4, 4}, {"abt", 4, 4},    {"blk_map", 7, 7}, {"bmbt", 4, 4},
    {"dir", 4, 4},          {"trans", 3, 3},  {"ig", 7, 7},      {"log", 5, 5},
    {"push_ail", 10, 10},   {"xstrat", 2, 2}, {"rw", 2, 2},      {"attr", 4, 4},
    {"icluster", 3, 3},     {"vnodes", 7, 8}, {"buf", 9, 9},     {"xpc", 3, 3},
    {"abtb2", 15, 15},      {"abtc2", 15, 15}, {"bmbt2", 15, 15}, {"ibt2", 15, 15},
    {"qm", 8, 9},           {"debug", 1, 1},
};

// node_exporter's metrics: value `index` of line `line`, node_xfs_<name>{device}, a counter.
struct XfsField {
  std::string_view line;
  std::size_t index;
  std::string_view name, help;
};
constexpr XfsField kXfsFields[] = {
    {"extent_alloc", 0, "node_xfs_extent_allocation_extents_allocated_total",
     "Number of extents allocated for a filesystem."},
    {"extent_alloc", 1, "node_xfs_extent_allocation_blocks_allocated_total",
     "Number of blocks allocated for a filesystem."},
    {"extent_alloc", 2, "node_xfs_extent_allocation_extents_freed_total",
     "Number of extents freed for a filesystem."},
    {"extent_alloc", 3, "node_xfs_extent_allocation_blocks_freed_total",
     "Number of blocks freed for a filesystem."},
    {"abt", 0, "node_xfs_allocation_btree_lookups_total",
     "Number of allocation B-tree lookups for a filesystem."},
    {"abt", 1, "node_xfs_allocation_btree_compares_total",
     "Number of allocation B-tree compares for a filesystem."},
    {"abt", 2, "node_xfs_allocation_btree_records_inserted_total",
     "Number of allocation B-tree records inserted for a filesystem."},
    {"abt", 3, "node_xfs_allocation_btree_records_deleted_total",
     "Number of allocation B-tree records deleted for a filesystem."},
    {"blk_map", 0, "node_xfs_block_mapping_reads_total",
     "Number of block map for read operations for a filesystem."},
    {"blk_map", 1, "node_xfs_block_mapping_writes_total",
     "Number of block map for write operations for a filesystem."},
    {"blk_map", 2, "node_xfs_block_mapping_unmaps_total",
     "Number of block unmaps (deletes) for a filesystem."},
    {"blk_map", 3, "node_xfs_block_mapping_extent_list_insertions_total",
     "Number of extent list insertions for a filesystem."},
    {"blk_map", 4, "node_xfs_block_mapping_extent_list_deletions_total",
     "Number of extent list deletions for a filesystem."},
    {"blk_map", 5, "node_xfs_block_mapping_extent_list_lookups_total",
     "Number of extent list lookups for a filesystem."},
    {"blk_map", 6, "node_xfs_block_mapping_extent_list_compares_total",
     "Number of extent list compares for a filesystem."},
    {"bmbt", 0, "node_xfs_block_map_btree_lookups_total",
     "Number of block map B-tree lookups for a filesystem."},
    {"bmbt", 1, "node_xfs_block_map_btree_compares_total",
     "Number of block map B-tree compares for a filesystem."},
    {"bmbt", 2, "node_xfs_block_map_btree_records_inserted_total",
     "Number of block map B-tree records inserted for a filesystem."},
    {"bmbt", 3, "node_xfs_block_map_btree_records_deleted_total",
     "Number of block map B-tree records deleted for a filesystem."},
    {"dir", 0, "node_xfs_directory_operation_lookup_total",
     "Number of file name directory lookups which miss the operating systems directory name "
     "lookup cache."},
    {"dir", 1, "node_xfs_directory_operation_create_total",
     "Number of times a new directory entry was created for a filesystem."},
    {"dir", 2, "node_xfs_directory_operation_remove_total",
     "Number of times an existing directory entry was created for a filesystem."},
    {"dir", 3, "node_xfs_directory_operation_getdents_total",
     "Number of times the directory getdents operation was performed for a filesystem."},
    {"ig", 0, "node_xfs_inode_operation_attempts_total",
     "Number of times the OS looked for an XFS inode in the inode cache."},
    {"ig", 1, "node_xfs_inode_operation_found_total",
     "Number of times the OS looked for and found an XFS inode in the inode cache."},
    {"ig", 2, "node_xfs_inode_operation_recycled_total",
     "Number of times the OS found an XFS inode in the cache, but could not use it as it was "
     "being recycled."},
    {"ig", 3, "node_xfs_inode_operation_missed_total",
     "Number of times the OS looked for an XFS inode in the cache, but did not find it."},
    {"ig", 4, "node_xfs_inode_operation_duplicates_total",
     "Number of times the OS tried to add a missing XFS inode to the inode cache, but found it "
     "had already been added by another process."},
    {"ig", 5, "node_xfs_inode_operation_reclaims_total",
     "Number of times the OS reclaimed an XFS inode from the inode cache to free memory for "
     "another purpose."},
    {"ig", 6, "node_xfs_inode_operation_attribute_changes_total",
     "Number of times the OS explicitly changed the attributes of an XFS inode."},
    // The rw line is "rw <writes> <reads>".
    {"rw", 1, "node_xfs_read_calls_total",
     "Number of read(2) system calls made to files in a filesystem."},
    {"rw", 0, "node_xfs_write_calls_total",
     "Number of write(2) system calls made to files in a filesystem."},
    {"vnodes", 0, "node_xfs_vnode_active_total", "Number of vnodes not on free lists for a filesystem."},
    {"vnodes", 1, "node_xfs_vnode_allocate_total",
     "Number of times vn_alloc called for a filesystem."},
    {"vnodes", 2, "node_xfs_vnode_get_total", "Number of times vn_get called for a filesystem."},
    {"vnodes", 3, "node_xfs_vnode_hold_total", "Number of times vn_hold called for a filesystem."},
    {"vnodes", 4, "node_xfs_vnode_release_total",
     "Number of times vn_rele called for a filesystem."},
    {"vnodes", 5, "node_xfs_vnode_reclaim_total",
     "Number of times vn_reclaim called for a filesystem."},
    {"vnodes", 6, "node_xfs_vnode_remove_total",
     "Number of times vn_remove called for a filesystem."},
};
constexpr std::size_t kXfsFieldCount = std::size(kXfsFields);

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class XfsCollector final : public HostCollector {
 public:
  explicit XfsCollector(const HostPaths& paths) : dir_(paths.Sys("fs/xfs")) {}

  std::string_view Name() const override { return "xfs"; }

  void Collect(FamilySet& out) override {
    // procfs globs /sys/fs/xfs/*/stats/stats: one per mounted XFS filesystem (kernel 4.4+).
    devices_.clear();
    // An unreadable or absent directory lists nothing: filepath.Glob ignores I/O errors.
    for (sysfs::DirEntry& entry : sysfs::ListDir(dir_).entries) {
      std::string& name = entry.name;
      std::string path = dir_ + "/" + name + "/stats/stats";
      if (::access(path.c_str(), F_OK) != 0) continue;
      Device& device = devices_.emplace_back();
      device.name = std::move(name);
      Parse(files_.Get(path), device.values);
    }
    files_.Sweep();
    if (devices_.empty()) return;
    for (std::size_t f = 0; f < kXfsFieldCount; ++f) {
      out.Family(kXfsFields[f].name, kXfsFields[f].help, MetricType::kCounter);
      for (const Device& device : devices_) {
        out.Sample({{"device", device.name}}, static_cast<double>(device.values[f]));
      }
    }
  }

 private:
  struct Device {
    std::string name;
    std::array<std::uint64_t, kXfsFieldCount> values{};  // 0 for a line the file lacks
  };

  void Parse(CachedFile& file, std::array<std::uint64_t, kXfsFieldCount>& values) {
    LineReader lines(file.Read());
    std::string_view line;
    while (lines.Next(line)) {
      SplitFields(line, fields_);
      if (fields_.size() < 2) continue;
      const std::string_view label = fields_[0];
      const std::size_t count = fields_.size() - 1;
      const std::uint64_t limit = label == "xpc" ? UINT64_MAX : UINT32_MAX;
      numbers_.clear();
      for (std::size_t i = 1; i < fields_.size(); ++i) {
        numbers_.push_back(RequireUint(fields_[i], file.path()));
        if (numbers_.back() > limit) {
          throw CollectError(file.path() + ": " + std::string(label) + " value out of range");
        }
      }
      auto kind = std::find_if(std::begin(kXfsLines), std::end(kXfsLines),
                               [&](const XfsLine& spec) { return spec.label == label; });
      if (kind == std::end(kXfsLines)) continue;  // fibt2, rmapbt, ...: not kept by procfs
      if (count != kind->values && count != kind->or_values) {
        throw CollectError(file.path() + ": " + std::to_string(count) + " values on the " +
                           std::string(label) + " line");
      }
      for (std::size_t f = 0; f < kXfsFieldCount; ++f) {
        if (kXfsFields[f].line != label) continue;
        values[f] = numbers_[kXfsFields[f].index];
      }
    }
  }

  std::string dir_;
  fsstats::FileCache files_;
  std::vector<Device> devices_;
  std::vector<std::string_view> fields_;
  std::vector<std::uint64_t> numbers_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeXfsCollector(const HostConfig& config) {
  return std::make_unique<XfsCollector>(config.paths);
}

}  // namespace metricsd::host
