// The fsstats collectors of node_exporter 1.5 (xfs, zfs, nfs, nfsd) on node_exporter's own
// fixture files (tests/fixtures/node_exporter) and on small trees written to a temp dir for the
// edge cases those do not cover (older kernels' shorter lines, missing lines, malformed files).
// Expected values are read by hand from the fixture files.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collectors/host/collectors.h"
#include "daemon/core/text_writer.h"
#include "tests/unit/support/samples.h"
#include "tests/unit/collectors/host/host_test_support.h"

namespace metricsd::host {
namespace {

using namespace fixtures;  // kNodeExporter, Config, TempTree, Exposition, Collect

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// A host without the files a collector reads: node_exporter reports nothing, not an error.
TEST(HostFsstatsCollectors, ReportNothingWhenTheirFilesAreAbsent) {
  ExpectNothingOnAnEmptyTree({"xfs", "zfs", "nfs", "nfsd"});
}

// ---- nfs ----

TEST(HostNfsCollector, ReadsNodeExporterFixture) {
  auto collector = MakeNfsCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  // net 70 70 69 45: udp, tcp, tcp connections after the total.
  EXPECT_EQ(out.at("node_nfs_packets_total{protocol=\"udp\"}"), 70);
  EXPECT_EQ(out.at("node_nfs_packets_total{protocol=\"tcp\"}"), 69);
  EXPECT_EQ(out.at("node_nfs_connections_total"), 45);
  EXPECT_EQ(out.at("node_nfs_rpcs_total"), 1218785755);
  EXPECT_EQ(out.at("node_nfs_rpc_retransmissions_total"), 374636);
  EXPECT_EQ(out.at("node_nfs_rpc_authentication_refreshes_total"), 1218815394);
  // The client reports Null too; proc2 18 16 57 ..., proc3 22 0 1061909262 ...
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"2\",method=\"Null\"}"), 16);
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"2\",method=\"FsStat\"}"), 82);
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"3\",method=\"GetAttr\"}"), 1061909262);
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"3\",method=\"Commit\"}"), 23729);
  // proc4 48 98 51 ...: 48 values of the 59 procfs names, the rest 0.
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"4\",method=\"Null\"}"), 98);
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"4\",method=\"Read\"}"), 51);
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"4\",method=\"Clone\"}"), 0);
  EXPECT_EQ(out.samples.size(), 6u + 18 + 22 + 59);
  EXPECT_THAT(out.text, HasSubstr("# TYPE node_nfs_requests_total counter\n"));
}

// An older kernel: a short proc4 line, no proc2 line; missing values read as 0 (procfs pads).
TEST(HostNfsCollector, PadsShortAndMissingLines) {
  TempTree tree("nfs-short");
  tree.Write("proc/net/rpc/nfs",
             "net 1 2 3 4\nrpc 5 6 7\nproc3 22 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 "
             "20 21\nproc4 3 10 11 12\n");
  auto collector = MakeNfsCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"2\",method=\"GetAttr\"}"), 0);
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"3\",method=\"Commit\"}"), 21);
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"4\",method=\"Write\"}"), 12);
  EXPECT_EQ(out.at("node_nfs_requests_total{proto=\"4\",method=\"Commit\"}"), 0);
  EXPECT_EQ(out.at("node_nfs_connections_total"), 4);
}

// procfs rejects the whole file: an unknown line, a count that does not match, too few values
// on proc3, a field that is not a number, a line without values.
TEST(HostNfsCollector, MalformedFilesThrow) {
  const char* bad[] = {"net 1 2 3 4\nbogus 1\n", "proc3 22 1 2 3\n",
                       "proc3 3 1 2 3\n", "rpc 1 x 3\n", "net\n", "net 1 2 3\n"};
  for (const char* text : bad) {
    TempTree tree("nfs-bad");
    tree.Write("proc/net/rpc/nfs", text);
    auto collector = MakeNfsCollector(Config(tree.root()));
    FamilySet out;
    EXPECT_THROW(collector->Collect(out), CollectError) << text;
  }
}

// ---- nfsd ----

TEST(HostNfsdCollector, ReadsNodeExporterFixture) {
  auto collector = MakeNfsdCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_nfsd_reply_cache_hits_total"), 0);  // rc 0 6 18622
  EXPECT_EQ(out.at("node_nfsd_reply_cache_misses_total"), 6);
  EXPECT_EQ(out.at("node_nfsd_reply_cache_nocache_total"), 18622);
  EXPECT_EQ(out.at("node_nfsd_disk_bytes_read_total"), 157286400);  // io 157286400 72864
  EXPECT_EQ(out.at("node_nfsd_disk_bytes_written_total"), 72864);
  EXPECT_EQ(out.at("node_nfsd_server_threads"), 8);  // th 8 0 0.000 ...
  EXPECT_EQ(out.at("node_nfsd_read_ahead_cache_size_blocks"), 32);
  EXPECT_EQ(out.at("node_nfsd_packets_total{proto=\"udp\"}"), 55);  // net 972 55 917 1
  EXPECT_EQ(out.at("node_nfsd_packets_total{proto=\"tcp\"}"), 917);
  EXPECT_EQ(out.at("node_nfsd_connections_total"), 1);
  EXPECT_EQ(out.at("node_nfsd_rpc_errors_total{error=\"fmt\"}"), 1);  // rpc 18628 3 1 2 0
  EXPECT_EQ(out.at("node_nfsd_rpc_errors_total{error=\"auth\"}"), 2);
  EXPECT_EQ(out.at("node_nfsd_rpc_errors_total{error=\"cInt\"}"), 0);
  EXPECT_EQ(out.at("node_nfsd_server_rpcs_total"), 18628);
  EXPECT_EQ(out.at("node_nfsd_requests_total{proto=\"2\",method=\"GetAttr\"}"), 69);
  EXPECT_EQ(out.at("node_nfsd_requests_total{proto=\"3\",method=\"Lookup\"}"), 2719);
  // proc4ops 72 0 0 0 1098 2 ...: Access is the fourth operation.
  EXPECT_EQ(out.at("node_nfsd_requests_total{proto=\"4\",method=\"Access\"}"), 1098);
  EXPECT_EQ(out.at("node_nfsd_requests_total{proto=\"4\",method=\"PutFH\"}"), 9609);
  // nfsd leaves out Null and the unused v4 operations.
  EXPECT_THAT(out.text, Not(HasSubstr("method=\"Null\"")));
  EXPECT_THAT(out.text, Not(HasSubstr("method=\"PutRootFH\"")));
  EXPECT_EQ(out.samples.size(), 16u + 17 + 21 + 33);
  EXPECT_THAT(out.text, HasSubstr("# TYPE node_nfsd_server_threads gauge\n"));
}

TEST(HostNfsdCollector, MalformedFilesThrow) {
  const char* bad[] = {"th 8\n", "proc4 3 1 2 3\n", "ra 32 0\n", "proc4ops 2 1 2\n",
                       "rc 0 6 -1\n"};
  for (const char* text : bad) {
    TempTree tree("nfsd-bad");
    tree.Write("proc/net/rpc/nfsd", text);
    auto collector = MakeNfsdCollector(Config(tree.root()));
    FamilySet out;
    EXPECT_THROW(collector->Collect(out), CollectError) << text;
  }
}

// ---- xfs ----

TEST(HostXfsCollector, ReadsNodeExporterFixture) {
  auto collector = MakeXfsCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_xfs_extent_allocation_extents_allocated_total{device=\"sda1\"}"), 1);
  EXPECT_EQ(out.at("node_xfs_extent_allocation_blocks_allocated_total{device=\"sda1\"}"), 872);
  EXPECT_EQ(out.at("node_xfs_block_mapping_reads_total{device=\"sda1\"}"), 61);
  EXPECT_EQ(out.at("node_xfs_block_mapping_extent_list_lookups_total{device=\"sda1\"}"), 91);
  EXPECT_EQ(out.at("node_xfs_directory_operation_getdents_total{device=\"sda1\"}"), 52);
  EXPECT_EQ(out.at("node_xfs_inode_operation_attempts_total{device=\"sda1\"}"), 5);
  EXPECT_EQ(out.at("node_xfs_inode_operation_attribute_changes_total{device=\"sda1\"}"), 1);
  // rw 28 0 is writes then reads.
  EXPECT_EQ(out.at("node_xfs_write_calls_total{device=\"sda1\"}"), 28);
  EXPECT_EQ(out.at("node_xfs_read_calls_total{device=\"sda1\"}"), 0);
  EXPECT_EQ(out.at("node_xfs_vnode_active_total{device=\"sda1\"}"), 4);
  EXPECT_EQ(out.at("node_xfs_vnode_remove_total{device=\"sda1\"}"), 1);
  EXPECT_EQ(out.samples.size(), 39u);
}

// Two filesystems, an older kernel's 7-value vnodes line, a missing line (0), lines procfs
// does not keep, and a directory without stats (not an XFS mount's).
TEST(HostXfsCollector, ReadsEveryFilesystem) {
  TempTree tree("xfs-two");
  tree.Write("sys/fs/xfs/sdb1/stats/stats",
             "extent_alloc 1 2 3 4\nvnodes 7 6 5 4 3 2 1\nrmapbt 9 9\nrw 5 6\n");
  tree.Write("sys/fs/xfs/dm-0/stats/stats", "rw 4294967295 1\nxpc 99999999999 1 2\n");
  tree.Mkdir("sys/fs/xfs/stats");
  auto collector = MakeXfsCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_xfs_extent_allocation_blocks_freed_total{device=\"sdb1\"}"), 4);
  EXPECT_EQ(out.at("node_xfs_vnode_active_total{device=\"sdb1\"}"), 7);
  EXPECT_EQ(out.at("node_xfs_vnode_remove_total{device=\"sdb1\"}"), 1);
  EXPECT_EQ(out.at("node_xfs_read_calls_total{device=\"sdb1\"}"), 6);
  EXPECT_EQ(out.at("node_xfs_write_calls_total{device=\"dm-0\"}"), 4294967295.0);
  EXPECT_EQ(out.at("node_xfs_vnode_active_total{device=\"dm-0\"}"), 0);
  EXPECT_EQ(out.samples.size(), 2u * 39);
}

// A known line with the wrong number of values, or a value beyond uint32 outside xpc.
TEST(HostXfsCollector, MalformedFilesThrow) {
  const char* bad[] = {"extent_alloc 1 2 3\n", "rw 4294967296 0\n", "vnodes 1 2 3 4 5 6\n",
                       "abt 1 2 x 4\n", "fibt2 -1\n"};
  for (const char* text : bad) {
    TempTree tree("xfs-bad");
    tree.Write("sys/fs/xfs/sda1/stats/stats", text);
    auto collector = MakeXfsCollector(Config(tree.root()));
    FamilySet out;
    EXPECT_THROW(collector->Collect(out), CollectError) << text;
  }
}

// ---- zfs ----

TEST(HostZfsCollector, ReadsNodeExporterFixture) {
  auto collector = MakeZfsCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_zfs_arc_hits"), 8772612);
  EXPECT_EQ(out.at("node_zfs_arc_demand_data_hits"), 7221032);
  EXPECT_THAT(out.text, HasSubstr("# HELP node_zfs_arc_hits kstat.zfs.misc.arcstats.hits\n"
                                  "# TYPE node_zfs_arc_hits untyped\n"));
  EXPECT_EQ(out.at("node_zfs_fm_erpt_dropped"), 18);  // "erpt-dropped": '-' becomes '_'
  EXPECT_THAT(out.text, HasSubstr("# HELP node_zfs_fm_erpt_dropped kstat.zfs.misc.fm.erpt-dropped\n"));
  EXPECT_EQ(out.at("node_zfs_zpool_nread{zpool=\"pool1\"}"), 1884160);
  EXPECT_EQ(out.at("node_zfs_zpool_wupdate{zpool=\"pool1\"}"), 79210489694949);
  EXPECT_THAT(out.text, HasSubstr("# HELP node_zfs_zpool_nread kstat.zfs.misc.io.nread\n"));
  EXPECT_EQ(out.at("node_zfs_zpool_dataset_nread{zpool=\"pool1\",dataset=\"pool1/dataset1\"}"), 28);
  EXPECT_EQ(out.at("node_zfs_zpool_dataset_nread{zpool=\"pool1\",dataset=\"pool1\"}"), 0);
  EXPECT_EQ(out.at("node_zfs_zpool_state{zpool=\"pool1\",state=\"online\"}"), 1);
  EXPECT_EQ(out.at("node_zfs_zpool_state{zpool=\"pool1\",state=\"degraded\"}"), 0);
  EXPECT_EQ(out.at("node_zfs_zpool_state{zpool=\"poolz1\",state=\"degraded\"}"), 1);
  EXPECT_EQ(out.at("node_zfs_zpool_state{zpool=\"poolz1\",state=\"online\"}"), 0);
  EXPECT_THAT(out.text, HasSubstr("# TYPE node_zfs_zpool_state gauge\n"));
}

// Only KSTAT_DATA_UINT64 values count; a file the module lacks is skipped; an unknown state
// sets no state to 1.
TEST(HostZfsCollector, ReadsOnlyUint64ValuesAndSkipsMissingFiles) {
  TempTree tree("zfs-types");
  tree.Write("proc/spl/kstat/zfs/zil",
             "7 1 0x01 2 96 1 2\nname type data\nzil_commit_count 4 10\nzil_string 7 abc\n"
             "zil_signed 3 -5\n");
  tree.Write("proc/spl/kstat/zfs/tank/state", "SUSPENDED\n");
  auto collector = MakeZfsCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_zfs_zil_zil_commit_count"), 10);
  for (const char* state : {"online", "degraded", "faulted", "offline", "removed", "unavail"}) {
    EXPECT_EQ(out.at(std::string("node_zfs_zpool_state{zpool=\"tank\",state=\"") + state + "\"}"), 0);
  }
  EXPECT_EQ(out.samples.size(), 7u);
}

// A kstat file without its header, a non-number value, an io line shorter than its header.
TEST(HostZfsCollector, MalformedFilesThrow) {
  const std::pair<const char*, const char*> bad[] = {
      {"arcstats", "hits 4 1\n"},
      {"arcstats", "name type data\nhits 4 many\n"},
      {"tank/objset-1", "dataset_name 7 tank\nwrites 4 1\n"},
      {"tank/io", "nread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate "
                  "wcnt rcnt\n1 2 3\n"},
  };
  for (const auto& [file, text] : bad) {
    TempTree tree("zfs-bad");
    tree.Write(std::string("proc/spl/kstat/zfs/") + file, text);
    auto collector = MakeZfsCollector(Config(tree.root()));
    FamilySet out;
    EXPECT_THROW(collector->Collect(out), CollectError) << file;
  }
}

}  // namespace
}  // namespace metricsd::host
