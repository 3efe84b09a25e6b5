// Every host collector on the fixture tree in tests/fixtures/host, asserting the exact values
// derived from its hand-written files (USER_HZ, sectors, kB, microseconds, pages).
#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <mutex>
#include <map>
#include <set>
#include <thread>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collectors/host/collectors.h"
#include "collectors/host/host_poller.h"
#include "daemon/core/family_builder.h"
#include "daemon/core/source_set.h"
#include "daemon/core/text_writer.h"
#include "tests/unit/support/config_error_of.h"
#include "tests/unit/support/samples.h"
#include "tests/unit/collectors/host/host_test_support.h"

namespace metricsd::host {
namespace {

using fixtures::Collect;
using fixtures::Exposition;

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kFixtures = std::string(METRICSD_SOURCE_DIR) + "/tests/fixtures/host";

HostConfig FixtureConfig(const std::string& root = kFixtures) {
  HostConfig config = ParseHostConfig(ParseYaml("", "test.yaml"));
  config.paths = {root + "/proc", root + "/sys", root + "/root", root + "/root/run/udev/data"};
  return config;
}

double Hz() { return static_cast<double>(sysconf(_SC_CLK_TCK)); }

TEST(CpuCollectorTest, ScalesTicksBySecondsPerModeAndGuest) {
  auto e = Collect(*MakeCpuCollector(FixtureConfig()));
  EXPECT_DOUBLE_EQ(e.at("node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}"), 1000 / Hz());
  EXPECT_DOUBLE_EQ(e.at("node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}"), 45000 / Hz());
  EXPECT_DOUBLE_EQ(e.at("node_cpu_seconds_total{cpu=\"1\",mode=\"iowait\"}"), 100 / Hz());
  EXPECT_DOUBLE_EQ(e.at("node_cpu_seconds_total{cpu=\"0\",mode=\"steal\"}"), 5 / Hz());
  EXPECT_DOUBLE_EQ(e.at("node_cpu_guest_seconds_total{cpu=\"0\",mode=\"user\"}"), 100 / Hz());
  EXPECT_DOUBLE_EQ(e.at("node_cpu_guest_seconds_total{cpu=\"0\",mode=\"nice\"}"), 7 / Hz());
  EXPECT_THAT(e.text, HasSubstr("# TYPE node_cpu_seconds_total counter\n"));
  EXPECT_THAT(e.text, Not(HasSubstr("cpu=\"\"")));  // the aggregate "cpu " line is not a CPU
  EXPECT_EQ(e.samples.size(), 2u * 8 + 2u * 2);
}

TEST(StatCollectorTest, ReadsBootTimeCountersAndProcs) {
  auto e = Collect(*MakeStatCollector(FixtureConfig()));
  EXPECT_EQ(e.at("node_boot_time_seconds"), 1700000000);
  EXPECT_EQ(e.at("node_context_switches_total"), 809497);
  EXPECT_EQ(e.at("node_forks_total"), 14753);
  EXPECT_EQ(e.at("node_intr_total"), 684869);
  EXPECT_EQ(e.at("node_procs_running"), 3);
  EXPECT_EQ(e.at("node_procs_blocked"), 1);
}

TEST(MeminfoCollectorTest, ConvertsKilobytesAndNamesLikeNodeExporter) {
  auto e = Collect(*MakeMeminfoCollector(FixtureConfig().paths));
  EXPECT_EQ(e.at("node_memory_MemTotal_bytes"), 24684092.0 * 1024);
  EXPECT_EQ(e.at("node_memory_Active_anon_bytes"), 123456.0 * 1024);
  EXPECT_EQ(e.at("node_memory_Inactive_file_bytes"), 65536.0 * 1024);
  EXPECT_EQ(e.at("node_memory_HugePages_Total"), 0);  // a count: no unit, no _bytes
  EXPECT_EQ(e.at("node_memory_Hugepagesize_bytes"), 2048.0 * 1024);
  EXPECT_THAT(e.text, HasSubstr("# HELP node_memory_MemTotal_bytes Memory information field "
                                "MemTotal_bytes.\n# TYPE node_memory_MemTotal_bytes gauge\n"));
}

TEST(LoadavgCollectorTest, ReadsThreeAverages) {
  auto e = Collect(*MakeLoadavgCollector(FixtureConfig().paths));
  EXPECT_EQ(e.at("node_load1"), 1.51);
  EXPECT_EQ(e.at("node_load5"), 0.75);
  EXPECT_EQ(e.at("node_load15"), 0.25);
}

TEST(DiskstatsCollectorTest, ConvertsSectorsAndMillisecondsAndExcludesPartitions) {
  auto e = Collect(*MakeDiskstatsCollector(FixtureConfig()));
  EXPECT_EQ(e.at("node_disk_reads_completed_total{device=\"vda\"}"), 109182);
  EXPECT_EQ(e.at("node_disk_read_bytes_total{device=\"vda\"}"), 5211330.0 * 512);
  EXPECT_EQ(e.at("node_disk_written_bytes_total{device=\"vda\"}"), 10814672.0 * 512);
  EXPECT_DOUBLE_EQ(e.at("node_disk_read_time_seconds_total{device=\"vda\"}"), 137.411);
  EXPECT_DOUBLE_EQ(e.at("node_disk_io_time_weighted_seconds_total{device=\"vda\"}"), 171.768);
  EXPECT_EQ(e.at("node_disk_io_now{device=\"vda\"}"), 0);
  EXPECT_EQ(e.at("node_disk_discarded_sectors_total{device=\"vda\"}"), 6490576);
  EXPECT_EQ(e.at("node_disk_flush_requests_total{device=\"vda\"}"), 1175);
  EXPECT_DOUBLE_EQ(e.at("node_disk_flush_requests_time_seconds_total{device=\"vda\"}"), 0.081);
  // An old-kernel line with 11 fields has no discard or flush series.
  EXPECT_EQ(e.at("node_disk_io_now{device=\"sda\"}"), 1);
  EXPECT_EQ(e.samples.count("node_disk_flush_requests_total{device=\"sda\"}"), 0u);
  // node_exporter's default exclusion: loop devices and partitions such as vda1.
  EXPECT_THAT(e.text, Not(HasSubstr("loop0")));
  EXPECT_THAT(e.text, Not(HasSubstr("vda1")));
  EXPECT_EQ(e.at("node_disk_info{device=\"sda\",major=\"8\",minor=\"0\",model=\"QEMU_HARDDISK\","
                 "path=\"pci-0000:00:1f.2-ata-1\",revision=\"2.5+\",serial=\"QM00001\","
                 "wwn=\"0x5000c500a1b2c3d4\"}"),
            1);
  EXPECT_EQ(e.at("node_disk_info{device=\"vda\",major=\"254\",minor=\"0\",model=\"\",path=\"\","
                 "revision=\"\",serial=\"\",wwn=\"\"}"),
            1);
  // udev-only families appear for the devices udev describes.
  EXPECT_EQ(e.at("node_disk_filesystem_info{device=\"sda\",type=\"ext4\",usage=\"filesystem\","
                 "uuid=\"1234-abcd\",version=\"1.0\"}"),
            1);
  EXPECT_EQ(e.at("node_disk_ata_rotation_rate_rpm{device=\"sda\"}"), 7200);
  EXPECT_EQ(e.samples.count("node_disk_filesystem_info{device=\"vda\",type=\"\",usage=\"\",uuid=\"\","
                            "version=\"\"}"),
            0u);
  EXPECT_THAT(e.text, Not(HasSubstr("node_disk_device_mapper_info")));
}

TEST(NetdevCollectorTest, ReadsEveryCounterAndNohandler) {
  auto e = Collect(*MakeNetdevCollector(FixtureConfig()));
  EXPECT_EQ(e.at("node_network_receive_bytes_total{device=\"eth0\"}"), 46086575);
  EXPECT_EQ(e.at("node_network_receive_errs_total{device=\"eth0\"}"), 1);
  EXPECT_EQ(e.at("node_network_receive_multicast_total{device=\"eth0\"}"), 6);
  EXPECT_EQ(e.at("node_network_transmit_colls_total{device=\"eth0\"}"), 10);
  EXPECT_EQ(e.at("node_network_transmit_compressed_total{device=\"eth0\"}"), 12);
  EXPECT_EQ(e.at("node_network_receive_nohandler_total{device=\"eth0\"}"), 42);
  EXPECT_EQ(e.at("node_network_receive_packets_total{device=\"lo\"}"), 17298);  // none excluded
  EXPECT_EQ(e.samples.count("node_network_receive_nohandler_total{device=\"lo\"}"), 0u);
}

TEST(NetdevCollectorTest, DeviceExcludeApplies) {
  HostConfig config = FixtureConfig();
  config.netdev_device_exclude =
      ParseHostConfig(ParseYaml("netdev: {device_exclude: '^lo$'}", "t.yaml")).netdev_device_exclude;
  auto e = Collect(*MakeNetdevCollector(config));
  EXPECT_THAT(e.text, Not(HasSubstr("device=\"lo\"")));
  EXPECT_THAT(e.text, HasSubstr("device=\"eth0\""));
}

TEST(NetdevCollectorTest, DeviceIncludeKeepsOnlyMatchingDevices) {
  HostConfig config = FixtureConfig();
  config.netdev_device_include = CompilePattern("lo");  // unanchored, as node_exporter's flag
  auto e = Collect(*MakeNetdevCollector(config));
  EXPECT_EQ(e.at("node_network_receive_packets_total{device=\"lo\"}"), 17298);
  EXPECT_EQ(e.at("node_network_transmit_bytes_total{device=\"lo\"}"), 6233905);
  EXPECT_THAT(e.text, Not(HasSubstr("device=\"eth0\"")));
}

TEST(PressureCollectorTest, ConvertsMicrosecondTotals) {
  auto e = Collect(*MakePressureCollector(FixtureConfig().paths));
  EXPECT_DOUBLE_EQ(e.at("node_pressure_cpu_waiting_seconds_total"), 301.433617);
  EXPECT_DOUBLE_EQ(e.at("node_pressure_io_waiting_seconds_total"), 6.758199);
  EXPECT_DOUBLE_EQ(e.at("node_pressure_io_stalled_seconds_total"), 5.171031);
  EXPECT_DOUBLE_EQ(e.at("node_pressure_memory_waiting_seconds_total"), 1.5);
  EXPECT_DOUBLE_EQ(e.at("node_pressure_memory_stalled_seconds_total"), 0.25);
}

TEST(VmstatCollectorTest, KeepsNodeExportersDefaultFields) {
  auto e = Collect(*MakeVmstatCollector(FixtureConfig()));
  EXPECT_EQ(e.at("node_vmstat_pgfault"), 55555);
  EXPECT_EQ(e.at("node_vmstat_pgmajfault"), 66);
  EXPECT_EQ(e.at("node_vmstat_pswpout"), 4);
  EXPECT_EQ(e.at("node_vmstat_oom_kill"), 1);
  EXPECT_EQ(e.samples.count("node_vmstat_nr_free_pages"), 0u);
  EXPECT_THAT(e.text, HasSubstr("# TYPE node_vmstat_pgfault untyped\n"));
}

TEST(FilefdCollectorTest, ReadsAllocatedAndMaximum) {
  auto e = Collect(*MakeFilefdCollector(FixtureConfig().paths));
  EXPECT_EQ(e.at("node_filefd_allocated"), 623);
  EXPECT_EQ(e.at("node_filefd_maximum"), 2466177);
}

TEST(SockstatCollectorTest, ReadsV4AndV6AndMemInBytes) {
  auto e = Collect(*MakeSockstatCollector(FixtureConfig().paths));
  EXPECT_EQ(e.at("node_sockstat_sockets_used"), 16);
  EXPECT_EQ(e.at("node_sockstat_TCP_inuse"), 5);
  EXPECT_EQ(e.at("node_sockstat_TCP_tw"), 2);
  EXPECT_EQ(e.at("node_sockstat_TCP_mem"), 343);
  EXPECT_EQ(e.at("node_sockstat_TCP_mem_bytes"), 343.0 * static_cast<double>(sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(e.at("node_sockstat_UDP_mem_bytes"), 2.0 * static_cast<double>(sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(e.at("node_sockstat_FRAG_memory"), 0);
  EXPECT_EQ(e.at("node_sockstat_TCP6_inuse"), 4);
  EXPECT_EQ(e.at("node_sockstat_FRAG6_memory"), 0);
}

TEST(NetstatCollectorTest, ReadsNetstatSnmpAndSnmp6WithDefaultFields) {
  auto e = Collect(*MakeNetstatCollector(FixtureConfig()));
  EXPECT_EQ(e.at("node_netstat_TcpExt_ListenDrops"), 4);
  EXPECT_EQ(e.at("node_netstat_TcpExt_SyncookiesSent"), 1);
  EXPECT_EQ(e.at("node_netstat_TcpExt_TCPTimeouts"), 5);
  EXPECT_EQ(e.at("node_netstat_IpExt_InOctets"), 1000);
  EXPECT_EQ(e.at("node_netstat_Ip_Forwarding"), 2);
  EXPECT_EQ(e.at("node_netstat_Tcp_CurrEstab"), 2);
  EXPECT_EQ(e.at("node_netstat_Tcp_InErrs"), 6);
  EXPECT_EQ(e.at("node_netstat_Udp_SndbufErrors"), 16);
  EXPECT_EQ(e.at("node_netstat_Ip6_InOctets"), 5000);
  EXPECT_EQ(e.at("node_netstat_Icmp6_InMsgs"), 7);
  EXPECT_EQ(e.at("node_netstat_UdpLite6_InErrors"), 9);
  EXPECT_EQ(e.samples.count("node_netstat_TcpExt_DelayedACKs"), 0u);
  EXPECT_EQ(e.samples.count("node_netstat_Tcp_MaxConn"), 0u);
  EXPECT_THAT(e.text, HasSubstr("# HELP node_netstat_Tcp_InSegs Statistic TcpInSegs.\n"));
}

TEST(TimeCollectorTest, ClocksourcesAndLiveTime) {
  auto e = Collect(*MakeTimeCollector(FixtureConfig().paths));
  EXPECT_EQ(e.at("node_time_clocksource_available_info{clocksource=\"kvm-clock\",device=\"0\"}"), 1);
  EXPECT_EQ(e.at("node_time_clocksource_available_info{clocksource=\"tsc\",device=\"0\"}"), 1);
  EXPECT_EQ(e.at("node_time_clocksource_current_info{clocksource=\"tsc\",device=\"0\"}"), 1);
  EXPECT_NEAR(e.at("node_time_seconds"), static_cast<double>(time(nullptr)), 5);
  EXPECT_THAT(e.text, HasSubstr("node_time_zone_offset_seconds{time_zone="));
}

TEST(UnameCollectorTest, LabelsFromUname) {
  auto e = Collect(*MakeUnameCollector(FixtureConfig().paths));
  EXPECT_THAT(e.text, HasSubstr("node_uname_info{domainname=\""));
  EXPECT_THAT(e.text, HasSubstr("sysname=\"Linux\""));
}

TEST(FilesystemCollectorTest, StatsMountsAppliesExclusionsAndMarksErrors) {
  HostConfig config = FixtureConfig();
  auto e = Collect(*MakeFilesystemCollector(config));
  struct statvfs root {};
  ASSERT_EQ(statvfs((kFixtures + "/root/").c_str(), &root), 0);
  const std::string vda = "{device=\"/dev/vda\",fstype=\"ext4\",mountpoint=\"/\"}";
  EXPECT_EQ(e.at("node_filesystem_size_bytes" + vda),
            static_cast<double>(root.f_blocks) * static_cast<double>(root.f_bsize));
  EXPECT_EQ(e.at("node_filesystem_files" + vda), static_cast<double>(root.f_files));
  EXPECT_EQ(e.at("node_filesystem_device_error" + vda), 0);
  EXPECT_EQ(e.at("node_filesystem_readonly" + vda), 0);
  const std::string data = "{device=\"/dev/vdb1\",fstype=\"xfs\",mountpoint=\"/srv/data\"}";
  EXPECT_EQ(e.at("node_filesystem_readonly" + data), 1);
  // /proc/1/mounts shows the superblock's options: an ext4 that errors=remount-ro turned
  // read-only says "ro" there (mountinfo's per-mount field would still say "rw").
  EXPECT_EQ(e.at("node_filesystem_readonly{device=\"/dev/vdc\",fstype=\"ext4\","
                 "mountpoint=\"/srv/data/remounted\"}"),
            1);
  // Escaped mount points are decoded.
  EXPECT_EQ(e.at("node_filesystem_device_error{device=\"tmpfs\",fstype=\"tmpfs\","
                 "mountpoint=\"/srv/with space\"}"),
            0);
  // statvfs fails: device_error 1 and no size series.
  const std::string gone = "{device=\"server:/export\",fstype=\"nfs\",mountpoint=\"/srv/gone\"}";
  EXPECT_EQ(e.at("node_filesystem_device_error" + gone), 1);
  EXPECT_EQ(e.samples.count("node_filesystem_size_bytes" + gone), 0u);
  EXPECT_EQ(e.samples.count("node_filesystem_readonly" + gone), 0u);
  // /proc and /sys are excluded by mount point and type.
  EXPECT_THAT(e.text, Not(HasSubstr("mountpoint=\"/proc\"")));
  EXPECT_THAT(e.text, Not(HasSubstr("mountpoint=\"/sys\"")));
}

TEST(HostConfigTest, DefaultsAndStrictErrors) {
  HostConfig config = ParseHostConfig(ParseYaml("", "m.yaml"));
  EXPECT_EQ(config.interval, std::chrono::seconds(5));
  EXPECT_EQ(config.collectors, AllCollectors());
  EXPECT_EQ(config.paths.procfs, "/proc");

  HostConfig off = ParseHostConfig(
      ParseYaml("collectors: {pressure: false, netstat: false}\ninterval: 1s\n", "m.yaml"));
  EXPECT_FALSE(off.Enabled("pressure"));
  EXPECT_TRUE(off.Enabled("cpu"));
  EXPECT_EQ(off.interval, std::chrono::seconds(1));

  EXPECT_EQ(ConfigErrorOf([] { ParseHostConfig(ParseYaml("collectors:\n  cpuu: false\n", "m.yaml")); }),
            "m.yaml:2:3: collectors.cpuu: unknown key (did you mean cpu?)");
  EXPECT_EQ(ConfigErrorOf([] {
              ParseHostConfig(ParseYaml("filesystem:\n  fs_types_exclude: '(unclosed'\n", "m.yaml"));
            }),
            "m.yaml:2:21: filesystem.fs_types_exclude: invalid regular expression: missing ): "
            "(unclosed");
  EXPECT_EQ(ConfigErrorOf([] { ParseHostConfig(ParseYaml("interval: 10ms\n", "m.yaml")); }),
            "m.yaml:1:11: interval: must be at least 100ms");
  // node_exporter's include/exclude flags of one collector exclude each other; an empty value
  // (as the generated default config writes every key) is no filter.
  EXPECT_EQ(ConfigErrorOf([] {
              ParseHostConfig(ParseYaml("netdev:\n  device_include: eth\n  device_exclude: lo\n", "m.yaml"));
            }),
            "m.yaml:3:19: netdev.device_exclude: device_include and device_exclude are mutually "
            "exclusive");
  EXPECT_EQ(ConfigErrorOf([] {
              ParseHostConfig(ParseYaml("arp: {device_include: eth, device_exclude: lo}\n", "m.yaml"));
            }),
            "m.yaml:1:44: arp.device_exclude: device_include and device_exclude are mutually "
            "exclusive");
  HostConfig empty = ParseHostConfig(ParseYaml(
      "netdev: {device_include: '', device_exclude: ''}\narp: {device_include: '', device_exclude: lo}\n",
      "m.yaml"));
  EXPECT_EQ(empty.arp_device_exclude.text, "lo");
}

TEST(HostPollerTest, MissingFilesFailOnlyTheirCollectors) {
  // A tree with just /proc/stat and /proc/meminfo: cpu, stat and meminfo succeed.
  std::string root = std::string(METRICSD_SOURCE_DIR) + "/tests/fixtures/host-partial";
  HostConfig config = FixtureConfig(root);
  auto poller = std::make_shared<HostPoller>(config);
  poller->CollectOnce();
  SourceSet set(poller->Sources());
  std::string text;
  TextWriter writer(text);
  set.Visit(writer);
  for (const char* ok : {"cpu", "stat", "meminfo", "uname", "time"}) {
    EXPECT_THAT(text, HasSubstr("metricsd_collector_success{collector=\"" + std::string(ok) + "\"} 1\n"));
  }
  for (const char* failed : {"diskstats", "loadavg", "netdev", "pressure", "vmstat", "filefd",
                             "sockstat", "netstat", "filesystem"}) {
    EXPECT_THAT(text, HasSubstr("metricsd_collector_success{collector=\"" + std::string(failed) + "\"} 0\n"));
  }
  EXPECT_THAT(text, HasSubstr("node_memory_MemTotal_bytes 1048576\n"));
  EXPECT_THAT(text, Not(HasSubstr("node_load1")));
}

TEST(HostPollerTest, PollsOnItsIntervalAndStopsOnDestruction) {
  class Counting final : public HostCollector {
   public:
    explicit Counting(std::atomic<int>& n) : n_(n) {}
    std::string_view Name() const override { return "counting"; }
    void Collect(FamilySet& out) override {
      out.Family("counting_polls", "Polls.", MetricType::kGauge);
      out.Sample({}, ++n_);
    }
   private:
    std::atomic<int>& n_;
  };
  std::atomic<int> polls{0};
  {
    std::vector<std::unique_ptr<HostCollector>> collectors;
    collectors.push_back(std::make_unique<Counting>(polls));
    auto poller = std::make_shared<HostPoller>(std::move(collectors), std::chrono::milliseconds(20));
    poller->Start();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (polls < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GE(polls, 3);
  }
  int after = polls;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(polls, after);  // the thread stopped with the poller
}

}  // namespace
}  // namespace metricsd::host

namespace metricsd::host {
namespace {

TEST(FilesystemCollectorTest, HangingStatfsIsBoundedMarkedStuckAndRecovers) {
  // statvfs of the NFS mount /srv/gone hangs until released, then answers with known numbers;
  // every other mount answers at once.
  struct Gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool released = false;
  };
  auto gate = std::make_shared<Gate>();
  StatfsFunction statfs = [gate](const char* path, struct statvfs* out) {
    if (std::string(path).ends_with("/srv/gone")) {
      std::unique_lock lock(gate->mutex);
      gate->cv.wait(lock, [&] { return gate->released; });
      *out = {};
      out->f_bsize = 4096;
      out->f_blocks = 1000;
      return 0;
    }
    return ::statvfs(path, out) == 0 ? 0 : errno;
  };
  HostConfig config = FixtureConfig();
  config.filesystem_statfs_timeout = std::chrono::milliseconds(100);
  auto collector = MakeFilesystemCollector(config, statfs);
  const std::string nfs = "{device=\"server:/export\",fstype=\"nfs\",mountpoint=\"/srv/gone\"}";
  const std::string root = "{device=\"/dev/vda\",fstype=\"ext4\",mountpoint=\"/\"}";

  auto start = std::chrono::steady_clock::now();
  auto first = Collect(*collector);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(first.at("node_filesystem_device_error" + nfs), 1);
  EXPECT_EQ(first.samples.count("node_filesystem_size_bytes" + nfs), 0u);
  EXPECT_EQ(first.at("node_filesystem_device_error" + root), 0);

  // While the call hangs, the mount is skipped at once (no new call piles up on it) and
  // reported as an error; the other mounts are unaffected.
  start = std::chrono::steady_clock::now();
  auto second = Collect(*collector);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  EXPECT_EQ(second.at("node_filesystem_device_error" + nfs), 1);
  EXPECT_EQ(second.at("node_filesystem_device_error{device=\"tmpfs\",fstype=\"tmpfs\","
                      "mountpoint=\"/srv/with space\"}"),
            0);

  {
    std::lock_guard lock(gate->mutex);
    gate->released = true;
  }
  gate->cv.notify_all();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  double error = 1;
  Exposition recovered;
  while (error != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    recovered = Collect(*collector);
    error = recovered.at("node_filesystem_device_error" + nfs);
  }
  EXPECT_EQ(error, 0);  // the stuck mark clears once the hung call returns
  EXPECT_EQ(recovered.at("node_filesystem_size_bytes" + nfs), 4096.0 * 1000);
}

}  // namespace
}  // namespace metricsd::host

namespace metricsd::host {
namespace {

// A writable /proc tree for process-group tests: processes can start and exit between polls.
class FakeProc {
 public:
  FakeProc() : root_(std::filesystem::temp_directory_path() /
                     ("metricsd-proc-" + std::to_string(getpid()) + "-" + std::to_string(counter_++))) {
    std::filesystem::create_directories(root_);
    Write("stat", "cpu  1 1 1 1 0 0 0 0 0 0\nbtime 1700000000\n");
  }
  ~FakeProc() { std::filesystem::remove_all(root_); }

  // utime/stime in ticks, rss in pages; io and ctxt switches as given.
  void Process(int pid, const std::string& comm, const std::string& cmdline, int utime, int stime,
               int minflt, int majflt, int threads, int start_ticks, int rss_pages,
               int read_bytes, int voluntary, int fds) {
    std::string dir = std::to_string(pid);
    std::filesystem::create_directories(root_ / dir / "fd");
    Write(dir + "/stat", std::to_string(pid) + " (" + comm + ") S 1 1 1 0 -1 0 " +
                             std::to_string(minflt) + " 0 " + std::to_string(majflt) + " 0 " +
                             std::to_string(utime) + " " + std::to_string(stime) + " 0 0 20 0 " +
                             std::to_string(threads) + " 0 " + std::to_string(start_ticks) +
                             " 104857600 " + std::to_string(rss_pages) + " 0 0 0\n");
    Write(dir + "/status", "Name:\t" + comm + "\nVmSwap:\t      8 kB\nvoluntary_ctxt_switches:\t" +
                               std::to_string(voluntary) + "\nnonvoluntary_ctxt_switches:\t3\n");
    Write(dir + "/io", "rchar: 1\nwchar: 2\nread_bytes: " + std::to_string(read_bytes) +
                           "\nwrite_bytes: 4096\ncancelled_write_bytes: 999\n");
    Write(dir + "/limits", "Limit  Soft Limit  Hard Limit  Units\nMax open files            100                  4096                 files\n");
    std::string args = cmdline;
    std::replace(args.begin(), args.end(), ' ', '\0');
    Write(dir + "/cmdline", args + std::string(1, '\0'));
    std::filesystem::remove_all(root_ / dir / "fd");
    std::filesystem::create_directories(root_ / dir / "fd");
    for (int i = 0; i < fds; ++i) Write(dir + "/fd/" + std::to_string(i), "");
  }
  void Exit(int pid) { std::filesystem::remove_all(root_ / std::to_string(pid)); }
  std::string path() const { return root_.string(); }
  void Write(const std::string& relative, const std::string& text) {
    std::ofstream(root_ / relative, std::ios::binary) << text;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path root_;
};

HostConfig ProcessConfig(const std::string& procfs, const std::string& pidfile) {
  HostConfig config = ParseHostConfig(ParseYaml(
      "processes:\n"
      "  - {name: cu, comm: [ao-cu]}\n"
      "  - {name: mu, cmdline: 'node .*messenger'}\n"
      "  - {name: db, pidfile: " + pidfile + "}\n"
      "  - {name: absent, comm: nothing-runs-this}\n",
      "t.yaml"));
  config.paths.procfs = procfs;
  return config;
}

TEST(ProcessesCollectorTest, GroupsByCommCmdlineAndPidfileWithProcessExporterNames) {
  FakeProc proc;
  proc.Process(100, "ao-cu", "/usr/bin/ao-cu --port 6363", 200, 100, 10, 1, 4, 1000, 256, 4096, 7, 5);
  proc.Process(101, "ao-cu", "/usr/bin/ao-cu --worker", 100, 0, 5, 0, 2, 500, 128, 0, 1, 3);
  proc.Process(200, "node", "node /srv/ao/messenger.js", 50, 50, 0, 0, 8, 2000, 512, 0, 2, 10);
  proc.Process(300, "postgres", "postgres -D /var/lib/pg", 10, 10, 0, 0, 1, 3000, 64, 0, 0, 1);
  proc.Process(400, "bash", "bash", 1, 1, 0, 0, 1, 10, 1, 0, 0, 1);  // in no group
  proc.Write("db.pid", "300\n");
  auto collector = MakeProcessesCollector(ProcessConfig(proc.path(), proc.path() + "/db.pid"));
  auto e = Collect(*collector);

  EXPECT_EQ(e.at("namedprocess_namegroup_num_procs{groupname=\"cu\"}"), 2);
  EXPECT_EQ(e.at("namedprocess_namegroup_num_procs{groupname=\"mu\"}"), 1);
  EXPECT_EQ(e.at("namedprocess_namegroup_num_procs{groupname=\"db\"}"), 1);
  EXPECT_EQ(e.at("namedprocess_namegroup_num_procs{groupname=\"absent\"}"), 0);
  EXPECT_DOUBLE_EQ(e.at("namedprocess_namegroup_cpu_seconds_total{groupname=\"cu\",mode=\"user\"}"), 300 / Hz());
  EXPECT_DOUBLE_EQ(e.at("namedprocess_namegroup_cpu_seconds_total{groupname=\"cu\",mode=\"system\"}"), 100 / Hz());
  double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  EXPECT_EQ(e.at("namedprocess_namegroup_memory_bytes{groupname=\"cu\",memtype=\"resident\"}"), 384 * page);
  EXPECT_EQ(e.at("namedprocess_namegroup_memory_bytes{groupname=\"cu\",memtype=\"virtual\"}"), 2 * 104857600.0);
  EXPECT_EQ(e.at("namedprocess_namegroup_memory_bytes{groupname=\"cu\",memtype=\"swapped\"}"), 2 * 8192.0);
  EXPECT_EQ(e.at("namedprocess_namegroup_open_filedesc{groupname=\"cu\"}"), 8);
  EXPECT_DOUBLE_EQ(e.at("namedprocess_namegroup_worst_fd_ratio{groupname=\"mu\"}"), 0.1);
  EXPECT_EQ(e.at("namedprocess_namegroup_num_threads{groupname=\"cu\"}"), 6);
  EXPECT_EQ(e.at("namedprocess_namegroup_read_bytes_total{groupname=\"cu\"}"), 4096);
  EXPECT_EQ(e.at("namedprocess_namegroup_write_bytes_total{groupname=\"cu\"}"), 8192);
  EXPECT_EQ(e.at("namedprocess_namegroup_context_switches_total{ctxswitchtype=\"voluntary\",groupname=\"cu\"}"), 8);
  EXPECT_EQ(e.at("namedprocess_namegroup_context_switches_total{ctxswitchtype=\"nonvoluntary\",groupname=\"cu\"}"), 6);
  EXPECT_EQ(e.at("namedprocess_namegroup_minor_page_faults_total{groupname=\"cu\"}"), 15);
  EXPECT_EQ(e.at("namedprocess_namegroup_major_page_faults_total{groupname=\"cu\"}"), 1);
  // The oldest member started 500 ticks after boot.
  EXPECT_DOUBLE_EQ(e.at("namedprocess_namegroup_oldest_start_time_seconds{groupname=\"cu\"}"),
                   1700000000 + 500 / Hz());
  EXPECT_EQ(e.at("namedprocess_namegroup_oldest_start_time_seconds{groupname=\"absent\"}"), 0);
}

TEST(ProcessesCollectorTest, CountersNeverGoBackwardsWhenMembersComeAndGo) {
  FakeProc proc;
  proc.Process(100, "ao-cu", "ao-cu", 200, 100, 10, 0, 1, 1000, 1, 0, 0, 1);
  proc.Process(101, "ao-cu", "ao-cu", 300, 0, 5, 0, 1, 1100, 1, 0, 0, 1);
  proc.Write("db.pid", "999\n");
  auto collector = MakeProcessesCollector(ProcessConfig(proc.path(), proc.path() + "/db.pid"));
  const std::string user = "namedprocess_namegroup_cpu_seconds_total{groupname=\"cu\",mode=\"user\"}";
  EXPECT_DOUBLE_EQ(Collect(*collector).at(user), 500 / Hz());

  // 101 exits; 100 works on; a new 102 starts with its own history.
  proc.Exit(101);
  proc.Process(100, "ao-cu", "ao-cu", 250, 100, 10, 0, 1, 1000, 1, 0, 0, 1);
  proc.Process(102, "ao-cu", "ao-cu", 20, 0, 0, 0, 1, 5000, 1, 0, 0, 1);
  auto second = Collect(*collector);
  EXPECT_DOUBLE_EQ(second.at(user), (500 + 50 + 20) / Hz());
  EXPECT_EQ(second.at("namedprocess_namegroup_num_procs{groupname=\"cu\"}"), 2);

  // PID 100 is reused by a new process (another start time): it counts from zero, never negative.
  proc.Process(100, "ao-cu", "ao-cu", 5, 0, 0, 0, 1, 9000, 1, 0, 0, 1);
  auto third = Collect(*collector);
  EXPECT_DOUBLE_EQ(third.at(user), (570 + 5) / Hz());
}

TEST(ProcessesCollectorTest, ConfigErrors) {
  EXPECT_EQ(ConfigErrorOf([] { ParseHostConfig(ParseYaml("processes:\n  - {comm: x}\n", "m.yaml")); }),
            "m.yaml:2:5: processes[0]: a process group needs a name");
  EXPECT_EQ(ConfigErrorOf([] {
              ParseHostConfig(ParseYaml("processes:\n  - {name: a, comm: x, pidfile: /p}\n", "m.yaml"));
            }),
            "m.yaml:2:5: processes[0]: a process group needs exactly one of comm, cmdline or pidfile");
  EXPECT_EQ(ConfigErrorOf([] {
              ParseHostConfig(ParseYaml("processes:\n  - {name: a, comm: x}\n  - {name: a, comm: y}\n", "m.yaml"));
            }),
            "m.yaml:3:12: processes[1].name: duplicate process group name");
  EXPECT_EQ(ConfigErrorOf([] {
              ParseHostConfig(ParseYaml("processes:\n  - {name: a, cmdline: '[x'}\n", "m.yaml"));
            }),
            "m.yaml:2:24: processes[0].cmdline: invalid regular expression: missing ]: [x");
}

}  // namespace
}  // namespace metricsd::host

namespace metricsd::host {
namespace {

TEST(SharedFileTest, ReadsOncePerPollAndAfreshOnTheNext) {
  std::string path = std::filesystem::temp_directory_path() /
                     ("metricsd-shared-" + std::to_string(getpid()));
  std::ofstream(path) << "first\n";
  SharedFile file(path);
  EXPECT_EQ(file.Read(), "first\n");
  std::ofstream(path) << "second\n";
  EXPECT_EQ(file.Read(), "first\n");  // the same poll: no second read
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(file.Read(), "second\n");  // the next poll (polls are >= 100ms apart)
  std::filesystem::remove(path);
  SharedFile missing(path);
  EXPECT_THROW(missing.Read(), CollectError);
}

// Runs the calling thread's file accesses as `nobody` while alive. Root passes any file mode
// check, and the kernel refuses /proc/PID/fd and /proc/PID/io only to a caller without ptrace
// read access; changing the filesystem uid from 0 drops CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH from the thread's effective set (capabilities(7)), so the collector below
// meets real EACCES from the kernel, as it does under the unit's user. Thread-local; restored.
class AsNobody {
 public:
  AsNobody() : previous_(geteuid() == 0 ? setfsuid(65534) : -1) {}
  ~AsNobody() {
    if (previous_ >= 0) setfsuid(static_cast<uid_t>(previous_));
  }

 private:
  int previous_;
};

bool CanOpen(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

const std::string kReadErrors = "metricsd_process_group_read_errors_total";

TEST(ProcessesCollectorTest, RefusedFdAndIoAreMissingAndCountedNotZero) {
  FakeProc proc;
  proc.Process(100, "ao-cu", "ao-cu", 1, 1, 0, 0, 1, 1000, 1, 4096, 0, 5);
  proc.Process(101, "ao-cu", "ao-cu", 1, 1, 0, 0, 1, 1100, 1, 1000, 0, 3);
  proc.Process(200, "node", "node /srv/ao/messenger.js", 1, 1, 0, 0, 1, 2000, 1, 700, 0, 10);
  proc.Write("db.pid", "999\n");
  // 101 (in cu) and 200 (all of mu) belong to another user: their fd and io are refused.
  for (const char* refused : {"101/fd", "101/io", "200/fd", "200/io"}) {
    std::filesystem::permissions(proc.path() + "/" + refused, std::filesystem::perms::none);
  }
  auto collector = MakeProcessesCollector(ProcessConfig(proc.path(), proc.path() + "/db.pid"));
  Exposition e;
  {
    AsNobody nobody;
    ASSERT_FALSE(CanOpen(proc.path() + "/101/io")) << "the refusal is not simulated";
    ASSERT_TRUE(CanOpen(proc.path() + "/100/io"));
    e = Collect(*collector);
  }
  // cu: what its readable member has, never a 0 for the other.
  EXPECT_EQ(e.at("namedprocess_namegroup_num_procs{groupname=\"cu\"}"), 2);
  EXPECT_EQ(e.at("namedprocess_namegroup_open_filedesc{groupname=\"cu\"}"), 5);
  EXPECT_EQ(e.at("namedprocess_namegroup_read_bytes_total{groupname=\"cu\"}"), 4096);
  EXPECT_EQ(e.at("namedprocess_namegroup_write_bytes_total{groupname=\"cu\"}"), 4096);
  EXPECT_EQ(e.at(kReadErrors + "{file=\"fd\",groupname=\"cu\",reason=\"permission\"}"), 1);
  EXPECT_EQ(e.at(kReadErrors + "{file=\"io\",groupname=\"cu\",reason=\"permission\"}"), 1);
  // mu: nothing readable, so no fd or I/O sample at all (unknown is not 0); the rest is there.
  EXPECT_EQ(e.at("namedprocess_namegroup_num_procs{groupname=\"mu\"}"), 1);
  EXPECT_EQ(e.samples.count("namedprocess_namegroup_open_filedesc{groupname=\"mu\"}"), 0u) << e.text;
  EXPECT_EQ(e.samples.count("namedprocess_namegroup_worst_fd_ratio{groupname=\"mu\"}"), 0u);
  EXPECT_EQ(e.samples.count("namedprocess_namegroup_read_bytes_total{groupname=\"mu\"}"), 0u);
  EXPECT_EQ(e.samples.count("namedprocess_namegroup_write_bytes_total{groupname=\"mu\"}"), 0u);
  EXPECT_EQ(e.at(kReadErrors + "{file=\"fd\",groupname=\"mu\",reason=\"permission\"}"), 1);
  // A group without members says 0 (nothing refused), and the counter starts at 0.
  EXPECT_EQ(e.at("namedprocess_namegroup_open_filedesc{groupname=\"absent\"}"), 0);
  EXPECT_EQ(e.at(kReadErrors + "{file=\"io\",groupname=\"absent\",reason=\"permission\"}"), 0);
  EXPECT_EQ(e.samples.count(kReadErrors + "{file=\"io\",groupname=\"cu\",reason=\"other\"}"), 0u);

  // 101 becomes readable (say CAP_SYS_PTRACE was granted): its I/O counts from then on, whole,
  // as a newly seen process's does; 100's does not count twice. 200's io is now an error of
  // another kind (a directory: EISDIR), counted as "other".
  using std::filesystem::perms;
  std::filesystem::permissions(proc.path() + "/101/io",
                               perms::owner_read | perms::group_read | perms::others_read);
  std::filesystem::permissions(proc.path() + "/101/fd", perms::owner_all | perms::group_read |
                                                            perms::group_exec | perms::others_read |
                                                            perms::others_exec);
  std::filesystem::remove(proc.path() + "/200/io");
  std::filesystem::create_directory(proc.path() + "/200/io");
  Exposition second;
  {
    AsNobody nobody;
    second = Collect(*collector);
  }
  EXPECT_EQ(second.at("namedprocess_namegroup_read_bytes_total{groupname=\"cu\"}"), 4096 + 1000);
  EXPECT_EQ(second.at("namedprocess_namegroup_open_filedesc{groupname=\"cu\"}"), 8);
  EXPECT_EQ(second.at(kReadErrors + "{file=\"io\",groupname=\"cu\",reason=\"permission\"}"), 1);
  EXPECT_EQ(second.at(kReadErrors + "{file=\"io\",groupname=\"mu\",reason=\"other\"}"), 1);
  EXPECT_EQ(second.at(kReadErrors + "{file=\"fd\",groupname=\"mu\",reason=\"permission\"}"), 2);
  EXPECT_EQ(second.samples.count("namedprocess_namegroup_open_filedesc{groupname=\"mu\"}"), 0u);
}

TEST(ProcessesCollectorTest, AnotherUsersRealProcessIsCountedAsRefused) {
  // A real process the kernel refuses to show us: a child of ours read as nobody, or, when the
  // test does not run as root, init (another user's process already).
  pid_t child = -1;
  pid_t target = 1;
  if (geteuid() == 0) {
    child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      pause();
      _exit(0);
    }
    target = child;
  }
  FakeProc dir;  // only for the pidfile
  dir.Write("target.pid", std::to_string(target) + "\n");
  HostConfig config = ParseHostConfig(ParseYaml(
      "processes:\n  - {name: other, pidfile: " + dir.path() + "/target.pid}\n", "t.yaml"));
  auto collector = MakeProcessesCollector(config);
  Exposition e;
  {
    AsNobody nobody;
    e = Collect(*collector);
  }
  if (child > 0) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  EXPECT_EQ(e.at("namedprocess_namegroup_num_procs{groupname=\"other\"}"), 1);
  EXPECT_EQ(e.samples.count("namedprocess_namegroup_open_filedesc{groupname=\"other\"}"), 0u)
      << e.text;
  EXPECT_EQ(e.samples.count("namedprocess_namegroup_read_bytes_total{groupname=\"other\"}"), 0u);
  EXPECT_EQ(e.at(kReadErrors + "{file=\"fd\",groupname=\"other\",reason=\"permission\"}"), 1);
  EXPECT_EQ(e.at(kReadErrors + "{file=\"io\",groupname=\"other\",reason=\"permission\"}"), 1);
}

}  // namespace
}  // namespace metricsd::host

namespace metricsd::host {
namespace {

// node_exporter 1.5.0's own fixtures (tests/fixtures/node_exporter), read-only.
const std::string kNodeExporterFixtures =
    std::string(METRICSD_SOURCE_DIR) + "/tests/fixtures/node_exporter";

HostConfig NodeExporterConfig() {
  HostConfig config = ParseHostConfig(ParseYaml("", "test.yaml"));
  config.paths = {kNodeExporterFixtures + "/proc", kNodeExporterFixtures + "/sys",
                  kNodeExporterFixtures, kNodeExporterFixtures + "/udev/data"};
  return config;
}

// A scratch tree under the temp directory, removed with the object.
class TempTree {
 public:
  TempTree()
      : root_(std::filesystem::temp_directory_path() /
              ("metricsd-cpufs-" + std::to_string(getpid()) + "-" + std::to_string(counter_++))) {
    std::filesystem::create_directories(root_);
  }
  ~TempTree() { std::filesystem::remove_all(root_); }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  void Write(const std::string& relative, const std::string& text) {
    std::filesystem::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative, std::ios::binary) << text;
  }
  std::string path() const { return root_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path root_;
};

// The mountpoint label of every node_filesystem_device_error series.
std::set<std::string> MountPoints(const std::string& text) {
  std::set<std::string> out;
  const std::string prefix = "node_filesystem_device_error{";
  for (std::size_t at = text.find(prefix); at != std::string::npos;
       at = text.find(prefix, at + 1)) {
    std::size_t begin = text.find("mountpoint=\"", at) + 12;
    out.insert(text.substr(begin, text.find("\"}", begin) - begin));
  }
  return out;
}

// statfs that answers for every path (the fixture mount points do not exist here) and records
// the paths it was asked for.
StatfsFunction FakeStatfs(std::shared_ptr<std::vector<std::string>> calls) {
  return [calls](const char* path, struct statvfs* out) {
    calls->push_back(path);
    *out = {};
    out->f_bsize = 4096;
    out->f_blocks = 100;
    return 0;
  };
}

TEST(CpuCollectorTest, InfoFlagsBugsIsolatedAndThrottlesAsNodeExporterOnItsFixtures) {
  HostConfig config = NodeExporterConfig();
  config.cpu_info = true;
  config.cpu_info_flags_include = CompilePattern("^(aes|avx.?|constant_tsc)$");
  config.cpu_info_bugs_include = CompilePattern("^(cpu_meltdown|spectre_.*|mds)$");
  auto e = Collect(*MakeCpuCollector(config));
  // proc/cpuinfo: 8 processors on 4 cores of package 0.
  EXPECT_EQ(e.at("node_cpu_info{cachesize=\"8192 KB\",core=\"3\",cpu=\"7\",family=\"6\","
                 "microcode=\"0xb4\",model=\"142\",model_name=\"Intel(R) Core(TM) i7-8650U CPU "
                 "@ 1.90GHz\",package=\"0\",stepping=\"10\",vendor=\"GenuineIntel\"}"),
            1);
  EXPECT_EQ(std::count_if(e.samples.begin(), e.samples.end(),
                          [](const auto& s) { return s.first.starts_with("node_cpu_info{"); }),
            8);
  for (const char* flag : {"aes", "avx", "avx2", "constant_tsc"}) {
    EXPECT_EQ(e.at("node_cpu_flag_info{flag=\"" + std::string(flag) + "\"}"), 1);
  }
  for (const char* bug : {"cpu_meltdown", "mds", "spectre_v1", "spectre_v2"}) {
    EXPECT_EQ(e.at("node_cpu_bug_info{bug=\"" + std::string(bug) + "\"}"), 1);
  }
  EXPECT_EQ(e.samples.count("node_cpu_flag_info{flag=\"avx512f\"}"), 0u);
  EXPECT_EQ(e.samples.count("node_cpu_bug_info{bug=\"l1tf\"}"), 0u);
  EXPECT_THAT(e.text, HasSubstr("# HELP node_cpu_flag_info The `flags` field of CPU information "
                                "from /proc/cpuinfo taken from the first core.\n"));
  // sys/devices/system/cpu/isolated is "1,3-5,9".
  for (const char* cpu : {"1", "3", "4", "5", "9"}) {
    EXPECT_EQ(e.at("node_cpu_isolated{cpu=\"" + std::string(cpu) + "\"}"), 1);
  }
  EXPECT_EQ(e.samples.count("node_cpu_isolated{cpu=\"2\"}"), 0u);
  // cpu0..cpu3 on packages 0 and 1, two cores each.
  EXPECT_EQ(e.at("node_cpu_core_throttles_total{core=\"0\",package=\"0\"}"), 5);
  EXPECT_EQ(e.at("node_cpu_core_throttles_total{core=\"1\",package=\"1\"}"), 9);
  EXPECT_EQ(e.at("node_cpu_core_throttles_total{core=\"0\",package=\"1\"}"), 0);
  EXPECT_EQ(e.at("node_cpu_package_throttles_total{package=\"0\"}"), 30);
  EXPECT_EQ(e.at("node_cpu_package_throttles_total{package=\"1\"}"), 6);
  EXPECT_THAT(e.text, HasSubstr("# TYPE node_cpu_core_throttles_total counter\n"));
}

TEST(CpuCollectorTest, InfoOnlyWhenAskedAndFiltersTurnItOn) {
  HostConfig config = NodeExporterConfig();
  auto off = Collect(*MakeCpuCollector(config));
  EXPECT_THAT(off.text, Not(HasSubstr("node_cpu_info")));
  EXPECT_THAT(off.text, Not(HasSubstr("node_cpu_flag_info")));
  // Still served without cpu.info: the sysfs families.
  EXPECT_EQ(off.at("node_cpu_isolated{cpu=\"9\"}"), 1);

  config.cpu_info_bugs_include = CompilePattern("^mds$");  // as node_exporter: implies info
  auto bugs = Collect(*MakeCpuCollector(config));
  EXPECT_EQ(bugs.at("node_cpu_bug_info{bug=\"mds\"}"), 1);
  EXPECT_THAT(bugs.text, HasSubstr("node_cpu_info{"));
  EXPECT_THAT(bugs.text, Not(HasSubstr("node_cpu_flag_info")));  // no flags filter, no flags

  config.cpu_info_flags_include = CompilePattern("^no_such_flag$");
  EXPECT_THAT(Collect(*MakeCpuCollector(config)).text, Not(HasSubstr("node_cpu_flag_info")));
}

TEST(CpuCollectorTest, MalformedCpuinfoAndIsolatedFailTheCollection) {
  TempTree tree;
  tree.Write("proc/stat", "cpu  1 1 1 1 0 0 0 0 0 0\ncpu0 1 1 1 1 0 0 0 0 0 0\n");
  tree.Write("proc/cpuinfo", "vendor_id\t: GenuineIntel\nprocessor\t: 0\n");
  HostConfig config = FixtureConfig(tree.path());
  config.cpu_info = true;
  try {
    Collect(*MakeCpuCollector(config));
    ADD_FAILURE() << "no CollectError";
  } catch (const CollectError& error) {
    EXPECT_THAT(error.what(), HasSubstr("/proc/cpuinfo: invalid cpuinfo file"));
  }
  tree.Write("proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: fast\n");
  EXPECT_THROW(Collect(*MakeCpuCollector(config)), CollectError);

  // "processor : 0" then "power management:" without a value (ignored, as in procfs).
  tree.Write("proc/cpuinfo", "\nprocessor\t: 0\nphysical id\t: 0\npower management:\n");
  tree.Write("sys/devices/system/cpu/isolated", "2-x\n");
  try {
    Collect(*MakeCpuCollector(config));
    ADD_FAILURE() << "no CollectError";
  } catch (const CollectError& error) {
    EXPECT_THAT(error.what(), HasSubstr("isolated: invalid cpu range \"2-x\""));
  }
  tree.Write("sys/devices/system/cpu/isolated", "\n");  // none isolated
  auto e = Collect(*MakeCpuCollector(config));
  EXPECT_EQ(e.at("node_cpu_info{cachesize=\"\",core=\"\",cpu=\"0\",family=\"\",microcode=\"\","
                 "model=\"\",model_name=\"\",package=\"0\",stepping=\"\",vendor=\"\"}"),
            1);
  EXPECT_THAT(e.text, Not(HasSubstr("node_cpu_isolated")));  // not even an empty family
}

TEST(CpuCollectorTest, ThrottlesReadOncePerCoreAndPackageSkippingCpusWithoutTopology) {
  TempTree tree;
  tree.Write("proc/stat", "cpu  1 1 1 1 0 0 0 0 0 0\ncpu0 1 1 1 1 0 0 0 0 0 0\n");
  auto cpu = [&tree](int n, int package, int core, const char* core_count,
                     const char* package_count) {
    std::string dir = "sys/devices/system/cpu/cpu" + std::to_string(n);
    tree.Write(dir + "/topology/physical_package_id", std::to_string(package) + "\n");
    tree.Write(dir + "/topology/core_id", std::to_string(core) + "\n");
    if (core_count) tree.Write(dir + "/thermal_throttle/core_throttle_count", core_count);
    if (package_count) tree.Write(dir + "/thermal_throttle/package_throttle_count", package_count);
  };
  cpu(0, 0, 0, nullptr, "7\n");  // no core counter: its sibling cpu2's is used
  cpu(1, 0, 1, "3\n", "99\n");   // the package was read from cpu0 already
  cpu(2, 0, 0, "4\n", "99\n");
  tree.Write("sys/devices/system/cpu/cpu3/thermal_throttle/core_throttle_count", "8\n");
  tree.Write("sys/devices/system/cpu/cpufreq/core_throttle_count", "8\n");  // not a CPU
  auto e = Collect(*MakeCpuCollector(FixtureConfig(tree.path())));
  EXPECT_EQ(e.at("node_cpu_core_throttles_total{core=\"0\",package=\"0\"}"), 4);
  EXPECT_EQ(e.at("node_cpu_core_throttles_total{core=\"1\",package=\"0\"}"), 3);
  EXPECT_EQ(e.at("node_cpu_package_throttles_total{package=\"0\"}"), 7);
  EXPECT_EQ(std::count_if(e.samples.begin(), e.samples.end(),
                          [](const auto& s) { return s.first.find("throttles") != std::string::npos; }),
            3);
}

TEST(CpuCollectorTest, GapsReportZerosAndCountersStayMonotonicUntilAHotplugJump) {
  TempTree tree;
  const long hz = sysconf(_SC_CLK_TCK);
  auto stat = [&tree, hz](long user, long idle_seconds) {
    // cpu1 is offline: node_exporter (procfs) still reports it, with zeros.
    tree.Write("proc/stat", "cpu  1 1 1 1 0 0 0 0 0 0\ncpu0 " + std::to_string(user) + " 0 0 " +
                                std::to_string(idle_seconds * hz) + " 0 0 0 0 0 0\n"
                                "cpu2 7 0 0 0 0 0 0 0 0 0\n");
  };
  auto collector = MakeCpuCollector(FixtureConfig(tree.path()));
  // SharedFile reuses a read younger than 50ms; each poll here must read the file afresh.
  auto poll = [&collector] {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    return Collect(*collector);
  };
  const std::string user0 = "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}";
  const std::string idle0 = "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}";

  stat(4 * hz, 100);
  auto first = poll();
  EXPECT_EQ(first.at(user0), 4);
  EXPECT_EQ(first.at(idle0), 100);
  EXPECT_EQ(first.at("node_cpu_seconds_total{cpu=\"1\",mode=\"user\"}"), 0);
  EXPECT_EQ(first.at("node_cpu_seconds_total{cpu=\"2\",mode=\"user\"}"), 7.0 / static_cast<double>(hz));

  stat(2 * hz, 99);  // both went backwards, idle by less than 3s: the old values stay
  auto second = poll();
  EXPECT_EQ(second.at(user0), 4);
  EXPECT_EQ(second.at(idle0), 100);

  stat(1 * hz, 90);  // idle fell by 10s: a hotplug, the CPU's counters start afresh
  auto third = poll();
  EXPECT_EQ(third.at(user0), 1);
  EXPECT_EQ(third.at(idle0), 90);
}

TEST(StatCollectorTest, SoftirqsPerVectorOnlyWhenEnabled) {
  HostConfig config = FixtureConfig();
  auto off = Collect(*MakeStatCollector(config));
  EXPECT_THAT(off.text, Not(HasSubstr("node_softirqs_total")));

  config.stat_softirq = true;
  auto e = Collect(*MakeStatCollector(config));
  // softirq 100 10 20 0 30 0 0 15 25 0 0
  EXPECT_EQ(e.at("node_softirqs_total{vector=\"hi\"}"), 10);
  EXPECT_EQ(e.at("node_softirqs_total{vector=\"timer\"}"), 20);
  EXPECT_EQ(e.at("node_softirqs_total{vector=\"net_tx\"}"), 0);
  EXPECT_EQ(e.at("node_softirqs_total{vector=\"net_rx\"}"), 30);
  EXPECT_EQ(e.at("node_softirqs_total{vector=\"block\"}"), 0);
  EXPECT_EQ(e.at("node_softirqs_total{vector=\"block_iopoll\"}"), 0);
  EXPECT_EQ(e.at("node_softirqs_total{vector=\"tasklet\"}"), 15);
  EXPECT_EQ(e.at("node_softirqs_total{vector=\"sched\"}"), 25);
  EXPECT_EQ(e.at("node_softirqs_total{vector=\"hrtimer\"}"), 0);
  EXPECT_EQ(e.at("node_softirqs_total{vector=\"rcu\"}"), 0);
  EXPECT_THAT(e.text, HasSubstr("# HELP node_softirqs_total Number of softirq calls.\n"
                                "# TYPE node_softirqs_total counter\n"));

  TempTree tree;
  tree.Write("proc/stat", "intr 1\nctxt 2\nbtime 3\nprocesses 4\nprocs_running 5\n"
                          "procs_blocked 6\nsoftirq 100 1 2 3\n");
  HostConfig short_line = FixtureConfig(tree.path());
  short_line.stat_softirq = true;
  EXPECT_THROW(Collect(*MakeStatCollector(short_line)), CollectError);
}

// node_exporter 1.5's filesystem_linux_test.go, through the collector.
TEST(FilesystemCollectorTest, MountPointsOfNodeExportersProc1Mounts) {
  HostConfig config = NodeExporterConfig();
  config.paths.rootfs = "/";
  config.filesystem_mount_points_exclude = Pattern{};
  config.filesystem_fs_types_exclude = Pattern{};
  auto calls = std::make_shared<std::vector<std::string>>();
  auto e = Collect(*MakeFilesystemCollector(config, FakeStatfs(calls)));
  const std::string vsan = "/var/lib/kubelet/plugins/kubernetes.io/vsphere-volume/mounts/"
                           "[vsanDatastore]";
  const std::string vmdk = "bafb9e5a-8856-7e6c-699c-801844e77a4a/"
                           "kubernetes-dynamic-pvc-3eba5bba-48a3-11e8-89ab-005056b92113.vmdk";
  std::set<std::string> expected = {
      "/", "/sys", "/proc", "/dev", "/dev/pts", "/run", "/sys/kernel/security", "/dev/shm",
      "/run/lock", "/sys/fs/cgroup", "/sys/fs/cgroup/systemd", "/sys/fs/pstore",
      "/sys/fs/cgroup/cpuset", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/devices",
      "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/net_cls,net_prio", "/sys/fs/cgroup/blkio",
      "/sys/fs/cgroup/perf_event", "/proc/sys/fs/binfmt_misc", "/dev/mqueue",
      "/sys/kernel/debug", "/dev/hugepages", "/sys/fs/fuse/connections", "/boot",
      "/run/rpc_pipefs", "/run/user/1000", "/run/user/1000/gvfs",
      vsan + " " + vmdk,   // \040
      vsan + "\t" + vmdk,  // \011
  };
  EXPECT_EQ(MountPoints(e.text), expected);
  // "/" is both rootfs and /dev/dm-2; /dev/dm-2's options say errors=remount-ro, not ro.
  EXPECT_EQ(e.at("node_filesystem_readonly{device=\"/dev/dm-2\",fstype=\"ext4\",mountpoint=\"/\"}"),
            0);
  EXPECT_EQ(e.at("node_filesystem_readonly{device=\"tmpfs\",fstype=\"tmpfs\","
                 "mountpoint=\"/sys/fs/cgroup\"}"),
            1);
  EXPECT_EQ(e.at("node_filesystem_size_bytes{device=\"/dev/sda3\",fstype=\"ext2\","
                 "mountpoint=\"/boot\"}"),
            409600);
}

TEST(FilesystemCollectorTest, FallsBackToProcMountsWithoutPid1) {
  // fixtures_hidepid: /proc/1 is hidden, /proc/mounts is the process's own view.
  TempTree tree;
  tree.Write("proc/mounts", "rootfs / rootfs rw 0 0\n");
  HostConfig config = FixtureConfig(tree.path());
  config.paths.rootfs = "/";
  auto calls = std::make_shared<std::vector<std::string>>();
  auto e = Collect(*MakeFilesystemCollector(config, FakeStatfs(calls)));
  EXPECT_EQ(MountPoints(e.text), std::set<std::string>{"/"});
  EXPECT_EQ(*calls, std::vector<std::string>{"/"});
}

TEST(FilesystemCollectorTest, StripsTheRootfsPrefixAndStatsUnderIt) {
  // fixtures_bindmount with --path.rootfs=/host.
  TempTree tree;
  tree.Write("proc/mounts",
             "/dev/nvme1n0 /host ext4 rw,seclabel,relatime,data=ordered 0 0\n"
             "/dev/nvme1n1 /host/media/volume1 ext4 rw,seclabel,relatime,data=ordered 0 0\n"
             "/dev/nvme1n2 /host/media/volume2 ext4 rw,seclabel,relatime,data=ordered 0 0\n"
             "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
             "tmpfs /run/lock tmpfs rw,nosuid,nodev,noexec,relatime,size=5120k 0 0\n"
             "tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0\n");
  HostConfig config = FixtureConfig(tree.path());
  config.paths.rootfs = "/host";
  config.filesystem_mount_points_exclude = Pattern{};
  auto calls = std::make_shared<std::vector<std::string>>();
  auto e = Collect(*MakeFilesystemCollector(config, FakeStatfs(calls)));
  EXPECT_EQ(MountPoints(e.text),
            (std::set<std::string>{"/", "/media/volume1", "/media/volume2", "/dev/shm",
                                   "/run/lock", "/sys/fs/cgroup"}));
  std::sort(calls->begin(), calls->end());
  EXPECT_EQ(*calls, (std::vector<std::string>{"/host/", "/host/dev/shm", "/host/media/volume1",
                                              "/host/media/volume2", "/host/run/lock",
                                              "/host/sys/fs/cgroup"}));
}

TEST(FilesystemCollectorTest, MalformedOrMissingMountsFailTheCollection) {
  TempTree tree;
  tree.Write("proc/1/mounts", "hello world\n");  // too few fields
  HostConfig config = FixtureConfig(tree.path());
  try {
    Collect(*MakeFilesystemCollector(config));
    ADD_FAILURE() << "no CollectError";
  } catch (const CollectError& error) {
    EXPECT_THAT(error.what(), HasSubstr("/proc/1/mounts: malformed mount point information: "
                                        "\"hello world\""));
  }
  TempTree empty;
  EXPECT_THROW(Collect(*MakeFilesystemCollector(FixtureConfig(empty.path()))), CollectError);
}

}  // namespace
}  // namespace metricsd::host
