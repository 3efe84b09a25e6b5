// The net collectors of node_exporter 1.5 (arp, bonding, conntrack, netclass, softnet, udp_queues,
// ipvs) on node_exporter's own fixture files (tests/fixtures/node_exporter) and on small trees
// written to a temp dir for the edge cases those do not cover. Values are derived by hand from
// the files (hex columns converted, per-CPU rows summed).
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
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
TEST(HostNetCollectors, ReportNothingWhenTheirFilesAreAbsent) {
  ExpectNothingOnAnEmptyTree({"arp", "bonding", "conntrack", "netclass", "softnet", "udp_queues", "ipvs"});
}

TEST(NetUtilTest, ParsesIntegersAsGoStrconvDoes) {
  EXPECT_EQ(sysfs::ParseGoInt("0x1303", 0), 4867);  // sysfs flags
  EXPECT_EQ(sysfs::ParseGoInt("010", 0), 8);        // a leading 0 is octal with base 0
  EXPECT_EQ(sysfs::ParseGoInt("0", 0), 0);
  EXPECT_EQ(sysfs::ParseGoInt("-1", 0), -1);
  EXPECT_EQ(sysfs::ParseGoInt("1_000", 0), 1000);
  EXPECT_EQ(sysfs::ParseGoInt("_1", 0), std::nullopt);
  EXPECT_EQ(sysfs::ParseGoInt("1__0", 0), std::nullopt);
  EXPECT_EQ(sysfs::ParseGoInt("", 0), std::nullopt);
  EXPECT_EQ(sysfs::ParseGoInt("9223372036854775808", 0), std::nullopt);
  EXPECT_EQ(sysfs::ParseGoInt("-9223372036854775808", 0), INT64_MIN);
  EXPECT_EQ(sysfs::ParseGoUint("E33656E5", 16), 0xE33656E5u);
  EXPECT_EQ(sysfs::ParseGoUint("0x10", 16), std::nullopt);  // no prefix when the base is given
  EXPECT_EQ(sysfs::ParseGoUint("1_0", 16), std::nullopt);
  EXPECT_EQ(sysfs::ParseGoUint("100000000", 16, 32), std::nullopt);
  EXPECT_EQ(sysfs::ParseGoUint("ffffffff", 16, 32), 0xffffffffu);
  EXPECT_EQ(sysfs::ParseGoUint("-1", 10), std::nullopt);
  EXPECT_EQ(sysfs::ParseGoUint("0b101", 0), 5u);
  EXPECT_EQ(sysfs::ParseGoUint("0o17", 0), 15u);
  EXPECT_EQ(sysfs::ParseGoUint("0x", 0), std::nullopt);
  EXPECT_EQ(sysfs::ParseGoInt("+7", 10), 7);
  EXPECT_EQ(sysfs::ParseGoInt("1_0", 10), std::nullopt);  // underscores only with base 0
  // The bit size bounds the signed range too (strconv.ParseInt(s, 10, 32)).
  EXPECT_EQ(sysfs::ParseGoInt("-2147483648", 10, 32), -2147483648);
  EXPECT_EQ(sysfs::ParseGoInt("-2147483649", 10, 32), std::nullopt);
  EXPECT_EQ(sysfs::ParseGoInt("2147483647", 10, 32), 2147483647);
  EXPECT_EQ(sysfs::ParseGoInt("2147483648", 10, 32), std::nullopt);
  EXPECT_EQ(sysfs::TrimSpace(" \t\v\f\r up\n\n"), "up");
  EXPECT_EQ(sysfs::TrimSpace(" \n "), "");
}

// --- arp

TEST(ArpCollectorTest, CountsEntriesPerDeviceOfNodeExportersFixture) {
  HostConfig config = Config(kNodeExporter);
  Exposition e = Collect(*MakeArpCollector(config));
  EXPECT_THAT(e.text, HasSubstr("# HELP node_arp_entries ARP entries by device\n"
                                "# TYPE node_arp_entries gauge\n"));
  EXPECT_EQ(e.at("node_arp_entries{device=\"eth0\"}"), 3);
  EXPECT_EQ(e.at("node_arp_entries{device=\"eth1\"}"), 3);
  EXPECT_EQ(e.at("node_arp_entries{device=\"nope\"}"), 1);
  EXPECT_EQ(e.samples.size(), 3u);
}

TEST(ArpCollectorTest, IncludeAndExcludeFilterDevices) {
  HostConfig config = Config(kNodeExporter);
  config.arp_device_exclude = CompilePattern("nope");
  Exposition excluded = Collect(*MakeArpCollector(config));
  EXPECT_EQ(excluded.samples.size(), 2u);
  EXPECT_THAT(excluded.text, Not(HasSubstr("nope")));

  config = Config(kNodeExporter);
  config.arp_device_include = CompilePattern("^eth1$");
  Exposition included = Collect(*MakeArpCollector(config));
  EXPECT_EQ(included.samples.size(), 1u);
  EXPECT_EQ(included.at("node_arp_entries{device=\"eth1\"}"), 3);
}

TEST(ArpCollectorTest, HeaderOnlyIsEmptyAndAShortRowIsAnError) {
  TempTree tree("arp");
  tree.Write("proc/net/arp", "IP address       HW type     Flags       HW address            Mask     Device\n");
  auto collector = MakeArpCollector(Config(tree.root()));
  EXPECT_EQ(Collect(*collector).text, "");
  tree.Write("proc/net/arp", "IP address       HW type     Flags       HW address            Mask     Device\n"
                             "192.168.1.1 0x1 0x2 cc:aa:dd:ee:aa:bb eth0\n");
  FamilySet out;
  EXPECT_THROW(collector->Collect(out), CollectError);
}

// --- bonding

TEST(BondingCollectorTest, CountsConfiguredAndActiveSlavesOfNodeExportersFixture) {
  Exposition e = Collect(*MakeBondingCollector(Config(kNodeExporter)));
  EXPECT_THAT(e.text, HasSubstr("# HELP node_bonding_slaves Number of configured slaves per "
                                "bonding interface.\n# TYPE node_bonding_slaves gauge\n"));
  EXPECT_THAT(e.text, HasSubstr("# HELP node_bonding_active Number of active slaves per bonding "
                                "interface.\n# TYPE node_bonding_active gauge\n"));
  // As node_exporter's bonding_linux_test.go: bond0 0/0, int 2/1, dmz 2/2.
  EXPECT_EQ(e.at("node_bonding_slaves{master=\"bond0\"}"), 0);
  EXPECT_EQ(e.at("node_bonding_active{master=\"bond0\"}"), 0);
  EXPECT_EQ(e.at("node_bonding_slaves{master=\"int\"}"), 2);
  EXPECT_EQ(e.at("node_bonding_active{master=\"int\"}"), 1);
  EXPECT_EQ(e.at("node_bonding_slaves{master=\"dmz\"}"), 2);
  EXPECT_EQ(e.at("node_bonding_active{master=\"dmz\"}"), 2);
  EXPECT_EQ(e.samples.size(), 6u);
}

TEST(BondingCollectorTest, PrefersLowerLinksAndReportsNothingWhenASlaveIsGone) {
  TempTree tree("bonding");
  tree.Write("sys/class/net/bonding_masters", "bond1\n");
  tree.Write("sys/class/net/bond1/bonding/slaves", "eth0 eth1\n");
  tree.Write("sys/class/net/bond1/lower_eth0/bonding_slave/mii_status", "up\n");
  tree.Write("sys/class/net/bond1/slave_eth0/bonding_slave/mii_status", "down\n");  // not read
  tree.Write("sys/class/net/bond1/slave_eth1/bonding_slave/mii_status", "down\n");
  auto collector = MakeBondingCollector(Config(tree.root()));
  Exposition e = Collect(*collector);
  EXPECT_EQ(e.at("node_bonding_slaves{master=\"bond1\"}"), 2);
  EXPECT_EQ(e.at("node_bonding_active{master=\"bond1\"}"), 1);

  // A slave listed without its status (removed while read): node_exporter's ErrNoData.
  tree.Write("sys/class/net/bond1/bonding/slaves", "eth0 eth1 eth2\n");
  EXPECT_EQ(Collect(*collector).text, "");
  // No masters at all: no family either.
  tree.Write("sys/class/net/bonding_masters", "\n");
  EXPECT_EQ(Collect(*collector).text, "");
}

// --- conntrack

TEST(ConntrackCollectorTest, ReadsCountsAndSumsTheStatsOfEveryCpu) {
  Exposition e = Collect(*MakeConntrackCollector(Config(kNodeExporter)));
  EXPECT_THAT(e.text, HasSubstr("# HELP node_nf_conntrack_entries Number of currently allocated "
                                "flow entries for connection tracking.\n"
                                "# TYPE node_nf_conntrack_entries gauge\n"));
  EXPECT_EQ(e.at("node_nf_conntrack_entries"), 123);
  EXPECT_EQ(e.at("node_nf_conntrack_entries_limit"), 65536);
  // invalid 3+2+1+0x2f, ignore 0x588a+0x56a4+0x58d4+0x5688, search_restart 0+2+1+4.
  EXPECT_EQ(e.at("node_nf_conntrack_stat_invalid"), 53);
  EXPECT_EQ(e.at("node_nf_conntrack_stat_ignore"), 89738);
  EXPECT_EQ(e.at("node_nf_conntrack_stat_search_restart"), 7);
  EXPECT_EQ(e.at("node_nf_conntrack_stat_found"), 0);
  EXPECT_EQ(e.at("node_nf_conntrack_stat_early_drop"), 0);
  EXPECT_EQ(e.samples.size(), 10u);
}

TEST(ConntrackCollectorTest, KeepsTheCountsWithoutStatsAndRejectsAShortRow) {
  TempTree tree("conntrack");
  tree.Write("proc/sys/net/netfilter/nf_conntrack_count", "7\n");
  tree.Write("proc/sys/net/netfilter/nf_conntrack_max", "100\n");
  auto collector = MakeConntrackCollector(Config(tree.root()));
  Exposition e = Collect(*collector);
  EXPECT_EQ(e.at("node_nf_conntrack_entries"), 7);
  EXPECT_EQ(e.at("node_nf_conntrack_entries_limit"), 100);
  EXPECT_EQ(e.samples.size(), 2u);

  tree.Write("proc/net/stat/nf_conntrack",
             "entries searched found\n"
             "00000021 00000000 00000000 00000000 00000003 0000588a 00000000 00000000\n");
  FamilySet out;
  EXPECT_THROW(collector->Collect(out), CollectError);
  tree.Write("proc/net/stat/nf_conntrack", "");
  tree.Write("proc/sys/net/netfilter/nf_conntrack_count", "seven\n");
  EXPECT_THROW(collector->Collect(out), CollectError);
}

// --- softnet

TEST(SoftnetCollectorTest, ReportsTheFirstThreeHexColumnsPerCpuRow) {
  Exposition e = Collect(*MakeSoftnetCollector(Config(kNodeExporter)));
  EXPECT_THAT(e.text, HasSubstr("# HELP node_softnet_processed_total Number of processed packets\n"
                                "# TYPE node_softnet_processed_total counter\n"));
  EXPECT_EQ(e.at("node_softnet_processed_total{cpu=\"0\"}"), 0x49279);
  EXPECT_EQ(e.at("node_softnet_processed_total{cpu=\"2\"}"), 0x551c3f);
  EXPECT_EQ(e.at("node_softnet_dropped_total{cpu=\"1\"}"), 0x29);
  EXPECT_EQ(e.at("node_softnet_times_squeezed_total{cpu=\"3\"}"), 0x32);
  EXPECT_EQ(e.samples.size(), 12u);
}

TEST(SoftnetCollectorTest, RejectsShortRowsAndValuesOver32Bits) {
  TempTree tree("softnet");
  auto collector = MakeSoftnetCollector(Config(tree.root()));
  FamilySet out;
  tree.Write("proc/net/softnet_stat", "00000001 00000002 00000003 0 0 0 0 0\n");  // 8 columns
  EXPECT_THROW(collector->Collect(out), CollectError);
  tree.Write("proc/net/softnet_stat", "100000000 00000002 00000003 0 0 0 0 0 0\n");
  EXPECT_THROW(collector->Collect(out), CollectError);
  tree.Write("proc/net/softnet_stat", "ffffffff 00000002 00000003 0 0 0 0 0 0 0 0\n");
  Exposition e = Collect(*collector);
  EXPECT_EQ(e.at("node_softnet_processed_total{cpu=\"0\"}"), 4294967295.0);
}

// --- udp_queues

TEST(UdpQueuesCollectorTest, SumsTheQueuesOfEachFile) {
  Exposition e = Collect(*MakeUdpQueuesCollector(Config(kNodeExporter)));
  EXPECT_THAT(e.text, HasSubstr("# HELP node_udp_queues Number of allocated memory in the kernel "
                                "for UDP datagrams in bytes.\n# TYPE node_udp_queues gauge\n"));
  EXPECT_EQ(e.at("node_udp_queues{queue=\"tx\",ip=\"v4\"}"), 0x15);
  EXPECT_EQ(e.at("node_udp_queues{queue=\"rx\",ip=\"v4\"}"), 0);
  EXPECT_EQ(e.samples.size(), 2u);  // no udp6 in the fixture

  TempTree tree("udp");
  const std::string header =
      "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n";
  tree.Write("proc/net/udp6",
             header +
                 "  0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 "
                 "07 00000001:00000010 00:00000000 00000000     0        0 123 2 0 0\n"
                 "  1: 00000000000000000000000001000000:0017 00000000000000000000000000000000:0000 "
                 "07 00000002:00000020 00:00000000 00000000     0        0 124 2 0 0\n");
  auto collector = MakeUdpQueuesCollector(Config(tree.root()));
  Exposition v6 = Collect(*collector);
  EXPECT_EQ(v6.at("node_udp_queues{queue=\"tx\",ip=\"v6\"}"), 3);
  EXPECT_EQ(v6.at("node_udp_queues{queue=\"rx\",ip=\"v6\"}"), 0x30);
  EXPECT_EQ(v6.samples.size(), 2u);

  tree.Write("proc/net/udp",
             header + "  0: 0100007F:0016 00000000:0000 07 00000001 00:00000000 00000000 0 0 1\n");
  FamilySet out;
  EXPECT_THROW(collector->Collect(out), CollectError);  // tx_queue without ":rx_queue"
}

// --- ipvs

TEST(IpvsCollectorTest, ReportsTotalsAndBackendsOfNodeExportersFixture) {
  Exposition e = Collect(*MakeIpvsCollector(Config(kNodeExporter)));
  EXPECT_THAT(e.text, HasSubstr("# HELP node_ipvs_connections_total The total number of "
                                "connections made.\n# TYPE node_ipvs_connections_total counter\n"));
  EXPECT_EQ(e.at("node_ipvs_connections_total"), 0x16AA370);
  EXPECT_EQ(e.at("node_ipvs_incoming_packets_total"), 0xE33656E5);
  EXPECT_EQ(e.at("node_ipvs_incoming_bytes_total"), 0x51D8C8883AB3);
  EXPECT_EQ(e.at("node_ipvs_outgoing_bytes_total"), 0);
  EXPECT_EQ(e.at("node_ipvs_backend_connections_active{local_address=\"192.168.0.57\","
                 "local_port=\"3306\",remote_address=\"192.168.82.21\",remote_port=\"3306\","
                 "proto=\"TCP\",local_mark=\"\"}"),
            1499);
  // A firewall-mark service has no local address and port 0.
  EXPECT_EQ(e.at("node_ipvs_backend_weight{local_address=\"\",local_port=\"0\","
                 "remote_address=\"192.168.50.26\",remote_port=\"3306\",proto=\"FWM\","
                 "local_mark=\"10001000\"}"),
            20);
  EXPECT_EQ(e.at("node_ipvs_backend_connections_inactive{local_address=\"\",local_port=\"0\","
                 "remote_address=\"192.168.49.32\",remote_port=\"3306\",proto=\"FWM\","
                 "local_mark=\"10001000\"}"),
            5);
  EXPECT_EQ(e.samples.size(), 5u + 3u * 10u);
}

TEST(IpvsCollectorTest, Ipv6AddressesAndDuplicatePairsSummed) {
  TempTree tree("ipvs");
  tree.Write("proc/net/ip_vs_stats",
             "   Total Incoming Outgoing         Incoming         Outgoing\n"
             "   Conns  Packets  Packets            Bytes            Bytes\n"
             "       A        B        C                D                E\n\n");
  tree.Write("proc/net/ip_vs",
             "IP Virtual Server version 1.2.1 (size=4096)\n"
             "Prot LocalAddress:Port Scheduler Flags\n"
             "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"
             "UDP  [2620:0000:0000:0000:0000:0000:0000:0001]:0035 rr\n"
             "  -> [2620:0000:0000:0000:0000:0000:0000:0002]:0035      Masq    1      0          3\n"
             "TCP  [2620:0000:0000:0000:0000:0000:0000:0001]:0050 rr\n"
             "  -> [0000:0000:0000:0000:0000:ffff:0a00:0001]:0050      Masq    1      2          0\n"
             "  -> [0000:0000:0000:0000:0000:ffff:0a00:0001]:0050      Masq    3      4          0\n");
  auto collector = MakeIpvsCollector(Config(tree.root()));
  Exposition e = Collect(*collector);
  EXPECT_EQ(e.at("node_ipvs_connections_total"), 10);
  EXPECT_EQ(e.at("node_ipvs_outgoing_bytes_total"), 14);
  EXPECT_EQ(e.at("node_ipvs_backend_connections_inactive{local_address=\"2620::1\","
                 "local_port=\"53\",remote_address=\"2620::2\",remote_port=\"53\","
                 "proto=\"UDP\",local_mark=\"\"}"),
            3);
  // Go prints an IPv4-mapped address dotted; the two rows share labels and are summed.
  EXPECT_EQ(e.at("node_ipvs_backend_weight{local_address=\"2620::1\",local_port=\"80\","
                 "remote_address=\"10.0.0.1\",remote_port=\"80\",proto=\"TCP\","
                 "local_mark=\"\"}"),
            4);
  EXPECT_EQ(e.at("node_ipvs_backend_connections_active{local_address=\"2620::1\","
                 "local_port=\"80\",remote_address=\"10.0.0.1\",remote_port=\"80\","
                 "proto=\"TCP\",local_mark=\"\"}"),
            6);
  EXPECT_EQ(e.samples.size(), 5u + 3u * 2u);

  tree.Write("proc/net/ip_vs", "TCP  C0A80016:0CEA:00 wlc\n");  // neither 13 nor 46 characters
  FamilySet out;
  EXPECT_THROW(collector->Collect(out), CollectError);
  tree.Write("proc/net/ip_vs_stats", "   Total Incoming\n   Conns  Packets\n");
  EXPECT_THROW(collector->Collect(out), CollectError);
}

// --- netclass

TEST(NetclassCollectorTest, ReadsEveryAttributeOfNodeExportersFixture) {
  HostConfig config = Config(kNodeExporter);
  config.netclass_ignored_devices = CompilePattern("(dmz|int)");
  Exposition e = Collect(*MakeNetclassCollector(config));
  EXPECT_THAT(e.text, HasSubstr("# HELP node_network_up Value is 1 if operstate is 'up', 0 "
                                "otherwise.\n# TYPE node_network_up gauge\n"));
  EXPECT_THAT(e.text, HasSubstr("# HELP node_network_carrier_changes_total Network device "
                                "property: carrier_changes_total\n"
                                "# TYPE node_network_carrier_changes_total counter\n"));
  EXPECT_EQ(e.at("node_network_up{device=\"eth0\"}"), 1);
  EXPECT_EQ(e.at("node_network_info{device=\"eth0\",address=\"01:01:01:01:01:01\","
                 "broadcast=\"ff:ff:ff:ff:ff:ff\",duplex=\"full\",operstate=\"up\",ifalias=\"\"}"),
            1);
  EXPECT_EQ(e.at("node_network_flags{device=\"bond0\"}"), 4867);       // "0x1303"
  EXPECT_EQ(e.at("node_network_device_id{device=\"eth0\"}"), 32);      // "0x20"
  EXPECT_EQ(e.at("node_network_mtu_bytes{device=\"eth0\"}"), 1500);
  EXPECT_EQ(e.at("node_network_speed_bytes{device=\"eth0\"}"), 125000000);  // 1000 Mbit/s
  EXPECT_EQ(e.at("node_network_carrier_down_changes_total{device=\"bond0\"}"), 1);
  EXPECT_EQ(e.at("node_network_transmit_queue_length{device=\"eth0\"}"), 1000);
  EXPECT_EQ(e.at("node_network_protocol_type{device=\"eth0\"}"), 1);
  // bond0's speed is -1: left out only with ignore_invalid_speed.
  EXPECT_EQ(e.at("node_network_speed_bytes{device=\"bond0\"}"), -125000);
  EXPECT_THAT(e.text, Not(HasSubstr("dmz")));
  EXPECT_THAT(e.text, Not(HasSubstr("bonding_masters")));

  config.netclass_ignore_invalid_speed = true;
  Exposition ignored = Collect(*MakeNetclassCollector(config));
  EXPECT_EQ(ignored.samples.count("node_network_speed_bytes{device=\"bond0\"}"), 0u);
  EXPECT_EQ(ignored.at("node_network_speed_bytes{device=\"eth0\"}"), 125000000);
}

TEST(NetclassCollectorTest, MalformedNumbersReadAsZeroAndLongValuesAreCut) {
  TempTree tree("netclass");
  tree.Write("sys/class/net/bonding_masters", "\n");
  tree.Write("sys/class/net/veth1/mtu", "lots\n");       // procfs's PInt64: 0, not absent
  tree.Write("sys/class/net/veth1/flags", "0x1003\n");
  tree.Write("sys/class/net/veth1/operstate", "down\n");
  tree.Write("sys/class/net/veth1/ifalias", std::string(200, 'a') + "\n");
  tree.Write("sys/class/net/veth1/speed", "\n");
  auto collector = MakeNetclassCollector(Config(tree.root()));
  Exposition e = Collect(*collector);
  EXPECT_EQ(e.at("node_network_up{device=\"veth1\"}"), 0);
  EXPECT_EQ(e.at("node_network_mtu_bytes{device=\"veth1\"}"), 0);
  EXPECT_EQ(e.at("node_network_speed_bytes{device=\"veth1\"}"), 0);
  EXPECT_EQ(e.at("node_network_flags{device=\"veth1\"}"), 0x1003);
  // procfs reads at most 128 bytes of an attribute.
  EXPECT_EQ(e.at("node_network_info{device=\"veth1\",address=\"\",broadcast=\"\",duplex=\"\","
                 "operstate=\"down\",ifalias=\"" + std::string(128, 'a') + "\"}"),
            1);
  // Attributes the device lacks have no series; the others still do.
  EXPECT_EQ(e.samples.count("node_network_carrier{device=\"veth1\"}"), 0u);
  EXPECT_EQ(e.samples.size(), 5u);
}

// The collector keeps each device's files open between polls; what it reports must still be
// what a fresh listing and read would give.
void WriteNetDevice(const TempTree& tree, const std::string& name, int ifindex, int mtu) {
  tree.Write("sys/class/net/" + name + "/ifindex", std::to_string(ifindex) + "\n");
  tree.Write("sys/class/net/" + name + "/mtu", std::to_string(mtu) + "\n");
  tree.Write("sys/class/net/" + name + "/operstate", "up\n");
}

double OpenDescriptors() { return CountDirEntries("/proc/self/fd").value_or(-1); }

TEST(NetclassCollectorTest, ADeviceThatDisappearsIsNoLongerReportedAndItsFilesAreClosed) {
  TempTree tree("netclass-gone");
  WriteNetDevice(tree, "eth0", 2, 1500);
  WriteNetDevice(tree, "eth1", 3, 1500);
  auto collector = MakeNetclassCollector(Config(tree.root()));
  Exposition first = Collect(*collector);
  EXPECT_EQ(first.at("node_network_mtu_bytes{device=\"eth1\"}"), 1500);
  double with_both = OpenDescriptors();

  fs::remove_all(fs::path(tree.root()) / "sys/class/net/eth1");
  tree.Write("sys/class/net/eth0/mtu", "9000\n");  // same file, new value
  Exposition second = Collect(*collector);
  EXPECT_EQ(second.at("node_network_mtu_bytes{device=\"eth0\"}"), 9000);
  EXPECT_EQ(second.samples.count("node_network_mtu_bytes{device=\"eth1\"}"), 0u);
  EXPECT_EQ(second.samples.count("node_network_up{device=\"eth1\"}"), 0u);
  EXPECT_EQ(second.samples.size(), 4u);  // eth0's up, info, iface_id, mtu_bytes
  // eth1's directory and its three files.
  EXPECT_EQ(OpenDescriptors(), with_both - 4);
}

TEST(NetclassCollectorTest, ADeviceReplacedUnderTheSameNameIsReadAfresh) {
  TempTree tree("netclass-replaced");
  WriteNetDevice(tree, "veth0", 5, 1500);
  tree.Write("sys/class/net/veth0/carrier", "1\n");
  auto collector = MakeNetclassCollector(Config(tree.root()));
  Exposition first = Collect(*collector);
  EXPECT_EQ(first.at("node_network_iface_id{device=\"veth0\"}"), 5);
  EXPECT_EQ(first.at("node_network_carrier{device=\"veth0\"}"), 1);

  // The device is renamed away (its directory, and so the kept descriptors, go with it) and a
  // new one takes the name with the same set of files: only the changed ifindex tells the
  // collector to list veth0 again.
  fs::path net = fs::path(tree.root()) / "sys/class/net";
  fs::rename(net / "veth0", net / "veth1");
  WriteNetDevice(tree, "veth0", 9, 9000);
  tree.Write("sys/class/net/veth0/carrier", "0\n");
  Exposition second = Collect(*collector);
  EXPECT_EQ(second.at("node_network_iface_id{device=\"veth0\"}"), 9);
  EXPECT_EQ(second.at("node_network_mtu_bytes{device=\"veth0\"}"), 9000);
  EXPECT_EQ(second.at("node_network_carrier{device=\"veth0\"}"), 0);
  EXPECT_EQ(second.at("node_network_iface_id{device=\"veth1\"}"), 5);
  EXPECT_EQ(second.at("node_network_mtu_bytes{device=\"veth1\"}"), 1500);

  // Removed and created again with a new ifindex.
  fs::remove_all(net / "veth0");
  WriteNetDevice(tree, "veth0", 11, 1280);
  Exposition third = Collect(*collector);
  EXPECT_EQ(third.at("node_network_iface_id{device=\"veth0\"}"), 11);
  EXPECT_EQ(third.at("node_network_mtu_bytes{device=\"veth0\"}"), 1280);
  EXPECT_EQ(third.samples.count("node_network_carrier{device=\"veth0\"}"), 0u);
}

TEST(NetclassCollectorTest, AnAttributeFileThatAppearsOrGoesLaterIsSeen) {
  TempTree tree("netclass-later");
  WriteNetDevice(tree, "eth0", 2, 1500);
  tree.Write("sys/class/net/eth0/carrier", "1\n");
  auto collector = MakeNetclassCollector(Config(tree.root()));
  Exposition first = Collect(*collector);
  EXPECT_EQ(first.samples.count("node_network_speed_bytes{device=\"eth0\"}"), 0u);
  EXPECT_EQ(first.at("node_network_carrier{device=\"eth0\"}"), 1);

  tree.Write("sys/class/net/eth0/speed", "100\n");
  fs::remove(fs::path(tree.root()) / "sys/class/net/eth0/carrier");
  Exposition second = Collect(*collector);
  EXPECT_EQ(second.at("node_network_speed_bytes{device=\"eth0\"}"), 12500000);  // 100 Mbit/s
  EXPECT_EQ(second.samples.count("node_network_carrier{device=\"eth0\"}"), 0u);
  EXPECT_EQ(second.at("node_network_mtu_bytes{device=\"eth0\"}"), 1500);
}

TEST(NetclassCollectorTest, DevicesBeyondTheKeptOnesAreReadAsNodeExporterReadsThem) {
  TempTree tree("netclass-many");
  for (int i = 100; i < 170; ++i) WriteNetDevice(tree, "veth" + std::to_string(i), i, 1500);
  auto collector = MakeNetclassCollector(Config(tree.root()));
  Exposition first = Collect(*collector);
  EXPECT_EQ(first.at("node_network_iface_id{device=\"veth169\"}"), 169);
  EXPECT_EQ(first.samples.size(), 70u * 4);

  tree.Write("sys/class/net/veth100/mtu", "9000\n");  // kept
  tree.Write("sys/class/net/veth169/mtu", "9001\n");  // past the 64 kept
  Exposition second = Collect(*collector);
  EXPECT_EQ(second.at("node_network_mtu_bytes{device=\"veth100\"}"), 9000);
  EXPECT_EQ(second.at("node_network_mtu_bytes{device=\"veth169\"}"), 9001);
  EXPECT_EQ(second.at("node_network_mtu_bytes{device=\"veth150\"}"), 1500);
  EXPECT_EQ(second.samples.size(), 70u * 4);
}

}  // namespace
}  // namespace metricsd::host
