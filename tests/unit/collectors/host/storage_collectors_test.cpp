// The storage collectors of node_exporter 1.5 (bcache, btrfs, mdadm, nvme, tapestats) on
// node_exporter's own fixture files (tests/fixtures/node_exporter) and on small trees written
// to a temp dir for the edge cases those do not cover. Expected values are derived by hand
// from the files (bcache's bch_hprint numbers decoded, sectors and nanoseconds converted).
#include <filesystem>
#include <fstream>
#include <limits>
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
TEST(HostStorageCollectors, ReportNothingWhenTheirFilesAreAbsent) {
  ExpectNothingOnAnEmptyTree({"bcache", "btrfs", "mdadm", "nvme", "tapestats"});
}

// ---- nvme ----

TEST(NvmeCollector, ReportsEachControllersAttributes) {
  auto collector = MakeNvmeCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_nvme_info{device=\"nvme0\",firmware_revision=\"1B2QEXP7\","
                   "model=\"Samsung SSD 970 PRO 512GB\",serial=\"S680HF8N190894I\",state=\"live\"}"),
            1);
  EXPECT_EQ(out.samples.size(), 1u);
}

TEST(NvmeCollector, AMissingAttributeIsAnError) {
  TempTree tree("nvme-missing");
  tree.Write("sys/class/nvme/nvme0/firmware_rev", "1.0\n");
  tree.Write("sys/class/nvme/nvme0/model", "m\n");
  tree.Write("sys/class/nvme/nvme0/serial", "s\n");  // no state
  auto collector = MakeNvmeCollector(Config(tree.root()));
  FamilySet out;
  EXPECT_THROW(collector->Collect(out), CollectError);
}

// ---- tapestats ----

TEST(TapestatsCollector, ReportsStDevicesOnlyWithTimesInSeconds) {
  auto collector = MakeTapestatsCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_tape_io_now{device=\"st0\"}"), 1);
  EXPECT_DOUBLE_EQ(out.at("node_tape_io_time_seconds_total{device=\"st0\"}"), 9247011087720 * 1e-9);
  EXPECT_EQ(out.at("node_tape_io_others_total{device=\"st0\"}"), 1409);
  EXPECT_EQ(out.at("node_tape_read_bytes_total{device=\"st0\"}"), 979383912);
  EXPECT_EQ(out.at("node_tape_reads_completed_total{device=\"st0\"}"), 3741);
  EXPECT_DOUBLE_EQ(out.at("node_tape_read_time_seconds_total{device=\"st0\"}"), 33788355744 * 1e-9);
  EXPECT_EQ(out.at("node_tape_residual_total{device=\"st0\"}"), 19);
  EXPECT_EQ(out.at("node_tape_written_bytes_total{device=\"st0\"}"), 1496246784000);
  EXPECT_EQ(out.at("node_tape_writes_completed_total{device=\"st0\"}"), 53772916);
  EXPECT_DOUBLE_EQ(out.at("node_tape_write_time_seconds_total{device=\"st0\"}"), 5233597394395 * 1e-9);
  // nst0, st0a, st0l... are other views of the same drive.
  EXPECT_EQ(out.samples.size(), 10u);
}

TEST(TapestatsCollector, SkipsIgnoredDevicesAndParsesGoBasePrefixes) {
  TempTree tree("tape-ignored");
  tree.Write("sys/class/scsi_tape/st0/stats/read_cnt", "0x10\n");  // Go's ParseUint(s, 0, 64)
  tree.Write("sys/class/scsi_tape/st0/stats/write_cnt", "010\n");  // octal
  tree.Write("sys/class/scsi_tape/st0/stats/unknown", "x\n");      // read, not parsed
  tree.Write("sys/class/scsi_tape/st1/stats/read_cnt", "5\n");
  HostConfig config = Config(tree.root());
  config.tapestats_ignored_devices = CompilePattern("1$");
  auto collector = MakeTapestatsCollector(config);
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_tape_reads_completed_total{device=\"st0\"}"), 16);
  EXPECT_EQ(out.at("node_tape_writes_completed_total{device=\"st0\"}"), 8);
  EXPECT_EQ(out.at("node_tape_io_now{device=\"st0\"}"), 0);  // absent stats file: 0
  EXPECT_THAT(out.text, Not(HasSubstr("st1")));
}

TEST(TapestatsCollector, AMalformedCounterIsAnErrorEvenOnAnIgnoredDevice) {
  TempTree tree("tape-malformed");
  tree.Write("sys/class/scsi_tape/st0/stats/read_cnt", "12a\n");
  HostConfig config = Config(tree.root());
  config.tapestats_ignored_devices = CompilePattern("st0");
  auto collector = MakeTapestatsCollector(config);
  FamilySet out;
  EXPECT_THROW(collector->Collect(out), CollectError);
}

TEST(TapestatsCollector, AMissingStatsDirectoryReportsNothing) {
  // procfs returns the bare ENOENT, which node_exporter reads as "scsi_tape stats not found".
  TempTree tree("tape-nostats");
  tree.Write("sys/class/scsi_tape/st0/stats/read_cnt", "1\n");
  tree.Mkdir("sys/class/scsi_tape/st1");
  auto collector = MakeTapestatsCollector(Config(tree.root()));
  EXPECT_EQ(Collect(*collector).text, "");
}

// ---- mdadm ----

TEST(MdadmCollector, ReportsNodeExportersFixture) {
  auto collector = MakeMdadmCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  // md3: raid6 [8/8], two spares.
  EXPECT_EQ(out.at("node_md_disks_required{device=\"md3\"}"), 8);
  EXPECT_EQ(out.at("node_md_disks{device=\"md3\",state=\"active\"}"), 8);
  EXPECT_EQ(out.at("node_md_disks{device=\"md3\",state=\"spare\"}"), 2);
  EXPECT_EQ(out.at("node_md_blocks{device=\"md3\"}"), 5853468288);
  EXPECT_EQ(out.at("node_md_blocks_synced{device=\"md3\"}"), 5853468288);
  // md6: recovering, (16775552/195310144).
  EXPECT_EQ(out.at("node_md_state{device=\"md6\",state=\"recovering\"}"), 1);
  EXPECT_EQ(out.at("node_md_state{device=\"md6\",state=\"active\"}"), 0);
  EXPECT_EQ(out.at("node_md_blocks_synced{device=\"md6\"}"), 16775552);
  EXPECT_EQ(out.at("node_md_disks{device=\"md6\",state=\"failed\"}"), 1);
  // md7: the bitmap line is skipped; no sync in progress.
  EXPECT_EQ(out.at("node_md_state{device=\"md7\",state=\"active\"}"), 1);
  EXPECT_EQ(out.at("node_md_disks{device=\"md7\",state=\"active\"}"), 3);
  EXPECT_EQ(out.at("node_md_blocks_synced{device=\"md7\"}"), 7813735424);
  // md201: check.
  EXPECT_EQ(out.at("node_md_state{device=\"md201\",state=\"check\"}"), 1);
  EXPECT_EQ(out.at("node_md_blocks_synced{device=\"md201\"}"), 114176);
  // md9 resync=DELAYED, md11 resync=PENDING: resync with nothing synced.
  EXPECT_EQ(out.at("node_md_state{device=\"md9\",state=\"resync\"}"), 1);
  EXPECT_EQ(out.at("node_md_blocks_synced{device=\"md9\"}"), 0);
  EXPECT_EQ(out.at("node_md_disks{device=\"md9\",state=\"failed\"}"), 2);
  EXPECT_EQ(out.at("node_md_blocks_synced{device=\"md11\"}"), 0);
  // md10 raid0 and md120 linear: the disks are counted on the device line.
  EXPECT_EQ(out.at("node_md_disks_required{device=\"md10\"}"), 2);
  EXPECT_EQ(out.at("node_md_disks{device=\"md10\",state=\"active\"}"), 2);
  EXPECT_EQ(out.at("node_md_disks_required{device=\"md120\"}"), 2);
  // md4 and md219 inactive: no disks counted from the status line.
  EXPECT_EQ(out.at("node_md_state{device=\"md219\",state=\"inactive\"}"), 1);
  EXPECT_EQ(out.at("node_md_disks_required{device=\"md4\"}"), 0);
  EXPECT_EQ(out.at("node_md_blocks{device=\"md4\"}"), 4883648);
  EXPECT_EQ(out.at("node_md_disks{device=\"md4\",state=\"failed\"}"), 1);
  // 17 arrays: 1 + 3 + 5 + 1 + 1 series each.
  EXPECT_EQ(out.samples.size(), 17u * 11);
}

TEST(MdadmCollector, AnEmptyMdstatReportsNothing) {
  TempTree tree("md-empty");
  tree.Write("proc/mdstat", "Personalities : [raid1]\nunused devices: <none>\n");
  auto collector = MakeMdadmCollector(Config(tree.root()));
  EXPECT_EQ(Collect(*collector).text, "");
}

TEST(MdadmCollector, MalformedMdstatIsAnError) {
  const char* cases[] = {
      // Too few lines after the device line (procfs needs three).
      "md0 : active raid1 sda1[0] sdb1[1]\n      1024 blocks [2/2] [UU]\n",
      // Not enough fields on the device line.
      "md0 :\n      1024 blocks [2/2] [UU]\n\n\n",
      // A status line without [n/m] [UU].
      "md0 : active raid1 sda1[0]\n      1024 blocks\n\n\n",
      // A size that is not a number.
      "md0 : active raid1 sda1[0]\n      lots blocks [2/2] [UU]\n\n\n",
      // A recovery line without its progress.
      "md0 : active raid1 sda1[0]\n      1024 blocks [2/1] [U_]\n      recovery = ?\n\n",
  };
  for (const char* text : cases) {
    TempTree tree("md-bad");
    tree.Write("proc/mdstat", text);
    auto collector = MakeMdadmCollector(Config(tree.root()));
    FamilySet out;
    EXPECT_THROW(collector->Collect(out), CollectError) << text;
  }
}

// ---- bcache ----

const std::string kBcacheUuid = "uuid=\"deaddd54-c735-46d5-868e-f331c5fd7c74\"";

TEST(BcacheCollector, DecodesBchHprintNumbers) {
  HostConfig config = Config(kNodeExporter);
  config.bcache_priority_stats = true;
  auto collector = MakeBcacheCollector(config);
  Exposition out = Collect(*collector);
  const std::string bdev = "{" + kBcacheUuid + ",backing_device=\"bdev0\"}";
  const std::string cache = "{" + kBcacheUuid + ",cache_device=\"cache0\"}";
  // writeback_rate_debug: "1.1M/sec" is (1 + 1/10.24) * 2^20; "20.4G" is (20 + 4/10.24) * 2^30.
  EXPECT_EQ(out.at("node_bcache_writeback_rate" + bdev), 1150976);
  EXPECT_EQ(out.at("node_bcache_dirty_target_bytes" + bdev), 21894266880);
  EXPECT_EQ(out.at("node_bcache_writeback_rate_proportional_term" + bdev), 437748);  // 427.5k
  EXPECT_EQ(out.at("node_bcache_writeback_rate_integral_term" + bdev), 808960);      // 790.0k
  EXPECT_EQ(out.at("node_bcache_writeback_change" + bdev), 329204);                  // 321.5k/sec
  EXPECT_EQ(out.at("node_bcache_cache_hits_total" + bdev), 546);
  EXPECT_EQ(out.at("node_bcache_metadata_written_bytes_total" + cache), 512);
  EXPECT_EQ(out.at("node_bcache_priority_stats_unused_percent" + cache), 99);
  EXPECT_EQ(out.at("node_bcache_priority_stats_metadata_percent" + cache), 0);
  EXPECT_EQ(out.at("node_bcache_cache_available_percent{" + kBcacheUuid + "}"), 100);
  // btree_read_average_duration_us holds 1305; node_exporter scales it by 1e-9.
  EXPECT_DOUBLE_EQ(out.at("node_bcache_btree_read_average_duration_seconds{" + kBcacheUuid + "}"),
                   1305 * 1e-9);
  EXPECT_EQ(out.samples.size(), 10u + 6 + 7 + 3 + 2);
}

TEST(BcacheCollector, PriorityStatsOnlyWhenAskedFor) {
  auto collector = MakeBcacheCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_THAT(out.text, Not(HasSubstr("priority_stats")));
  EXPECT_THAT(out.text, HasSubstr("node_bcache_written_bytes_total"));
}

TEST(BcacheCollector, NegativeTermsAndAbsentFiles) {
  TempTree tree("bcache-negative");
  const std::string set = "sys/fs/bcache/aaaa-bbbb/";
  tree.Write(set + "tree_depth", "3\n");  // the other set files are absent: 0
  tree.Write(set + "bdev1/writeback_rate_debug",
             "rate:\t\t512/sec\ntarget:\t\t1.5k\nproportional:\t-3.2k\nintegral:\t-7\nchange:\t\t-1.0M/sec\nnext io:\t-5ms\n");
  tree.Write(set + "not-a-device/written", "x\n");  // neither bdev[0-9]* nor cache[0-9]*
  auto collector = MakeBcacheCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  const std::string bdev = "{uuid=\"aaaa-bbbb\",backing_device=\"bdev1\"}";
  EXPECT_EQ(out.at("node_bcache_tree_depth{uuid=\"aaaa-bbbb\"}"), 3);
  EXPECT_EQ(out.at("node_bcache_congested{uuid=\"aaaa-bbbb\"}"), 0);
  EXPECT_EQ(out.at("node_bcache_writeback_rate" + bdev), 512);
  EXPECT_EQ(out.at("node_bcache_dirty_target_bytes" + bdev), 1524);  // (1 + 5/10.24) * 1024
  EXPECT_EQ(out.at("node_bcache_writeback_rate_proportional_term" + bdev), -3272);  // -(3 + 2/10.24) * 1024
  EXPECT_EQ(out.at("node_bcache_writeback_rate_integral_term" + bdev), -7);
  EXPECT_EQ(out.at("node_bcache_writeback_change" + bdev), -1048576);
  EXPECT_EQ(out.at("node_bcache_dirty_data_bytes" + bdev), 0);
}

// procfs's own dehumanize cases (bcache/get_test.go), through the files they come from.
TEST(BcacheCollector, DehumanizesAsProcfs) {
  TempTree tree("bcache-dehumanize");
  const std::string set = "sys/fs/bcache/aaaa-bbbb/";
  tree.Write(set + "average_key_size", "542k\n");
  tree.Write(set + "btree_cache_size", "322M\n");
  tree.Write(set + "cache_available_percent", "1.1k\n");
  tree.Write(set + "congested", "1.9k\n");
  tree.Write(set + "root_usage_percent", "1.10k\n");  // .10 is ten 1024ths, more than .9
  auto collector = MakeBcacheCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  const std::string u = "{uuid=\"aaaa-bbbb\"}";
  EXPECT_EQ(out.at("node_bcache_average_key_size_sectors" + u), 555008);
  EXPECT_EQ(out.at("node_bcache_btree_cache_size_bytes" + u), 337641472);
  EXPECT_EQ(out.at("node_bcache_cache_available_percent" + u), 1124);
  EXPECT_EQ(out.at("node_bcache_congested" + u), 1924);
  EXPECT_EQ(out.at("node_bcache_root_usage_percent" + u), 2024);
}

TEST(BcacheCollector, MalformedFilesAreErrors) {
  {
    TempTree tree("bcache-bad-value");
    tree.Write("sys/fs/bcache/aaaa-bbbb/btree_cache_size", "1.x\n");
    auto collector = MakeBcacheCollector(Config(tree.root()));
    FamilySet out;
    EXPECT_THROW(collector->Collect(out), CollectError);
  }
  {
    // A value file holding only its newline: procfs's "zero-length reply".
    TempTree tree("bcache-empty-value");
    tree.Write("sys/fs/bcache/aaaa-bbbb/tree_depth", "\n");
    auto collector = MakeBcacheCollector(Config(tree.root()));
    FamilySet out;
    EXPECT_THROW(collector->Collect(out), CollectError);
  }
  {
    // A backing device must have writeback_rate_debug.
    TempTree tree("bcache-no-debug");
    tree.Write("sys/fs/bcache/aaaa-bbbb/bdev0/dirty_data", "0\n");
    auto collector = MakeBcacheCollector(Config(tree.root()));
    FamilySet out;
    EXPECT_THROW(collector->Collect(out), CollectError);
  }
  {
    // With priority stats on, a cache device must have priority_stats.
    TempTree tree("bcache-no-priority");
    tree.Write("sys/fs/bcache/aaaa-bbbb/cache0/written", "1k\n");
    HostConfig config = Config(tree.root());
    config.bcache_priority_stats = true;
    auto collector = MakeBcacheCollector(config);
    FamilySet out;
    EXPECT_THROW(collector->Collect(out), CollectError);
  }
}

// ---- btrfs ----

TEST(BtrfsCollector, ReportsNodeExportersFixture) {
  auto collector = MakeBtrfsCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  const std::string a = "uuid=\"0abb23a9-579b-43e6-ad30-227ef47fcb9d\"";
  const std::string b = "uuid=\"7f07c59f-6136-449c-ab87-e1cf2328731b\"";
  EXPECT_EQ(out.at("node_btrfs_info{" + a + ",label=\"fixture\"}"), 1);
  EXPECT_EQ(out.at("node_btrfs_info{" + b + ",label=\"\"}"), 1);
  EXPECT_EQ(out.at("node_btrfs_global_rsv_size_bytes{" + a + "}"), 16777216);
  EXPECT_EQ(out.at("node_btrfs_reserved_bytes{" + a + ",block_group_type=\"data\"}"), 0);
  EXPECT_EQ(out.at("node_btrfs_used_bytes{" + a + ",block_group_type=\"data\",mode=\"raid0\"}"), 808189952);
  EXPECT_EQ(out.at("node_btrfs_size_bytes{" + a + ",block_group_type=\"data\",mode=\"raid0\"}"), 2147483648);
  EXPECT_EQ(out.at("node_btrfs_allocation_ratio{" + a + ",block_group_type=\"metadata\",mode=\"raid1\"}"), 2);
  // b has 4 devices: raid5 stores 4/3 of the data, raid6 4/2.
  EXPECT_DOUBLE_EQ(out.at("node_btrfs_allocation_ratio{" + b + ",block_group_type=\"data\",mode=\"raid5\"}"), 4.0 / 3);
  EXPECT_EQ(out.at("node_btrfs_allocation_ratio{" + b + ",block_group_type=\"system\",mode=\"raid6\"}"), 2);
  // devices/<dev>/size counts 512-byte sectors.
  EXPECT_EQ(out.at("node_btrfs_device_size_bytes{" + b + ",device=\"loop22\"}"), 10737418240);
  EXPECT_EQ(out.samples.size(), 2u * (2 + 3 + 3 * 3) + 2 + 4);
}

TEST(BtrfsCollector, ProcfsReaderQuirks) {
  TempTree tree("btrfs-quirks");
  // No metadata_uuid: the directory's name is the uuid. No features/ directory: procfs's
  // reader fails there and reads the global reserve as 0, then forgets the failure once
  // allocation/data is read. An unparsable number is 0.
  const std::string fs = "sys/fs/btrfs/1111-2222/";
  tree.Write(fs + "label", "  spaced \n");
  tree.Write(fs + "devices/sda/size", "8\n");
  tree.Write(fs + "allocation/global_rsv_size", "4096\n");
  tree.Write(fs + "allocation/data/bytes_reserved", "junk\n");
  tree.Write(fs + "allocation/data/single/total_bytes", "100\n");
  tree.Write(fs + "allocation/data/single/used_bytes", "40\n");
  tree.Mkdir(fs + "allocation/metadata");
  tree.Write(fs + "allocation/system/bytes_reserved", "7\n");
  tree.Write(fs + "allocation/system/raid5/total_bytes", "9\n");
  tree.Mkdir("sys/fs/btrfs/features");  // no '-': not a filesystem
  auto collector = MakeBtrfsCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  const std::string u = "uuid=\"1111-2222\"";
  EXPECT_EQ(out.at("node_btrfs_info{" + u + ",label=\"spaced\"}"), 1);
  EXPECT_EQ(out.at("node_btrfs_global_rsv_size_bytes{" + u + "}"), 0);
  EXPECT_EQ(out.at("node_btrfs_reserved_bytes{" + u + ",block_group_type=\"data\"}"), 0);
  EXPECT_EQ(out.at("node_btrfs_reserved_bytes{" + u + ",block_group_type=\"system\"}"), 7);
  EXPECT_EQ(out.at("node_btrfs_used_bytes{" + u + ",block_group_type=\"data\",mode=\"single\"}"), 40);
  EXPECT_EQ(out.at("node_btrfs_size_bytes{" + u + ",block_group_type=\"system\",mode=\"raid5\"}"), 9);
  // One device: raid5's ratio is 1/0.
  EXPECT_EQ(out.at("node_btrfs_allocation_ratio{" + u + ",block_group_type=\"system\",mode=\"raid5\"}"),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(out.at("node_btrfs_device_size_bytes{" + u + ",device=\"sda\"}"), 4096);
}

// A btrfs mount whose ioctls fail (here: not btrfs at all) is skipped, as node_exporter skips
// it, and the device sizes come from sysfs; so does a mounts file it cannot parse.
TEST(BtrfsCollector, FallsBackToSysfsWhenTheIoctlsFail) {
  const std::string fs = "sys/fs/btrfs/1111-2222/";
  for (const char* mounts : {"/dev/sda /mnt/data btrfs rw 0 0\n", "malformed line\n"}) {
    TempTree tree("btrfs-ioctl");
    tree.Write(fs + "devices/sda/size", "2\n");
    tree.Mkdir(fs + "features");
    tree.Mkdir(fs + "allocation/data");
    tree.Mkdir(fs + "allocation/metadata");
    tree.Mkdir(fs + "allocation/system");
    tree.Mkdir("mnt/data");
    tree.Write("proc/1/mounts", mounts);
    auto collector = MakeBtrfsCollector(Config(tree.root()));
    Exposition out = Collect(*collector);
    EXPECT_EQ(out.at("node_btrfs_device_size_bytes{uuid=\"1111-2222\",device=\"sda\"}"), 1024) << mounts;
    EXPECT_THAT(out.text, Not(HasSubstr("node_btrfs_device_errors_total"))) << mounts;
  }
}

TEST(BtrfsCollector, AMissingAllocationDirectoryIsAnError) {
  TempTree tree("btrfs-no-system");
  const std::string fs = "sys/fs/btrfs/1111-2222/";
  tree.Mkdir(fs + "devices");
  tree.Mkdir(fs + "features");
  tree.Mkdir(fs + "allocation/data");
  tree.Mkdir(fs + "allocation/metadata");  // no allocation/system
  auto collector = MakeBtrfsCollector(Config(tree.root()));
  FamilySet out;
  EXPECT_THROW(collector->Collect(out), CollectError);
}

}  // namespace
}  // namespace metricsd::host
