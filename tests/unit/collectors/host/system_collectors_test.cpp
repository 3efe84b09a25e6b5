// The system collectors of node_exporter 1.5 (infiniband, fibrechannel, powersupplyclass, os,
// schedstat, selinux, timex, textfile) on node_exporter's own fixture files
// (tests/fixtures/node_exporter), its textfile cases with their expected *.out outputs, and
// small trees written to a temp dir for the edge cases those do not cover.
#include <sys/timex.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collectors/host/collectors.h"
#include "collectors/host/sysfs_files.h"
#include "collectors/host/textfile_parser.h"
#include "daemon/core/text_writer.h"
#include "tests/unit/support/samples.h"
#include "tests/unit/collectors/host/host_test_support.h"

namespace metricsd::host {
namespace {

using namespace fixtures;  // kNodeExporter, Config, TempTree, Exposition, Collect

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// "name{a="1",b="2"} value" with the labels sorted by name and numbers as %.15g: the form
// node_exporter's output and ours are compared in (label order and number spelling differ, and
// TextWriter writes 16 significant digits where Go writes the shortest exact form).
std::string Canonical(const std::string& line) {
  if (line.empty() || line[0] == '#') return line;
  std::size_t space = line.rfind(' ');
  std::string series = line.substr(0, space);
  double value = std::stod(line.substr(space + 1));
  std::size_t brace = series.find('{');
  std::string name = series.substr(0, brace);
  std::vector<std::string> labels;
  if (brace != std::string::npos) {
    std::string body = series.substr(brace + 1, series.size() - brace - 2);
    std::size_t start = 0;
    bool quoted = false;
    for (std::size_t i = 0; i <= body.size(); ++i) {
      if (i < body.size() && body[i] == '"' && (i == 0 || body[i - 1] != '\\')) quoted = !quoted;
      if (i == body.size() || (body[i] == ',' && !quoted)) {
        if (i > start) {
          std::string label = body.substr(start, i - start);
          // Bucket bounds and quantiles are numbers: "1.6384e+06" and "1638400" are one bound.
          if (label.starts_with("le=\"") || label.starts_with("quantile=\"")) {
            std::size_t quote = label.find('"');
            double bound = std::stod(label.substr(quote + 1, label.size() - quote - 2));
            char number[64];
            std::snprintf(number, sizeof number, "%.15g", bound);
            label = label.substr(0, quote + 1) + number + "\"";
          }
          labels.push_back(label);
        }
        start = i + 1;
      }
    }
    std::sort(labels.begin(), labels.end());
  }
  std::string out = name;
  if (!labels.empty()) {
    out += "{";
    for (std::size_t i = 0; i < labels.size(); ++i) out += (i ? "," : "") + labels[i];
    out += "}";
  }
  char number[64];
  std::snprintf(number, sizeof number, "%.15g", value);
  return out + " " + number;
}

std::vector<std::string> CanonicalLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(Canonical(line));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// A host without the files a collector reads: node_exporter reports nothing, not an error.
// selinux and timex read no files under the configured paths (go-selinux looks at the host's
// own selinuxfs, timex calls adjtimex(2)), so they report the host's state whatever the paths:
// both have their own tests below. textfile with no directory reports
// node_textfile_scrape_error 0, as node_exporter does (TextfileWithoutDirectory).
TEST(HostSystemCollectors, ReportNothingWhenTheirFilesAreAbsent) {
  ExpectNothingOnAnEmptyTree({"infiniband", "fibrechannel", "powersupplyclass", "os", "schedstat"});
}

// --- schedstat ------------------------------------------------------------------------------

// --- sysfs_files.h, the helpers every sysfs collector shares

TEST(SysfsFiles, ListDirSortsAndTellsAnAbsentDirectoryFromAFailure) {
  TempTree tree("sysfs-list");
  tree.Write("dir/b", "x");
  tree.Write("dir/a", "y");
  tree.Mkdir("dir/c");
  sysfs::DirListing listing = sysfs::ListDir(tree.root() + "/dir");
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing.entries.size(), 3u);
  EXPECT_EQ(listing.entries[0].name, "a");
  EXPECT_TRUE(listing.entries[0].regular);
  EXPECT_EQ(listing.entries[1].name, "b");
  EXPECT_EQ(listing.entries[2].name, "c");
  EXPECT_FALSE(listing.entries[2].regular);

  sysfs::DirListing missing = sysfs::ListDir(tree.root() + "/missing");
  EXPECT_EQ(missing.error, ENOENT);
  EXPECT_TRUE(missing.absent());
  EXPECT_TRUE(missing.entries.empty());
  EXPECT_EQ(sysfs::ListDirUnlessAbsent(tree.root() + "/missing"), std::nullopt);
  EXPECT_EQ(sysfs::ListDir(tree.root() + "/dir/a").error, ENOTDIR);  // a file, not a directory
  EXPECT_EQ(sysfs::ListDirUnlessAbsent(tree.root() + "/dir/a"), std::nullopt);
  EXPECT_THROW(sysfs::RequireDir(tree.root() + "/missing"), CollectError);
  EXPECT_EQ(sysfs::ListDirUnlessAbsent(tree.root() + "/dir")->size(), 3u);
  // A path too long for the kernel is a failure, not an absence.
  std::string too_long = tree.root() + "/" + std::string(5000, 'x');
  EXPECT_EQ(sysfs::ListDir(too_long).error, ENAMETOOLONG);
  EXPECT_FALSE(sysfs::ListDir(too_long).absent());
  EXPECT_THROW(sysfs::ListDirUnlessAbsent(too_long), CollectError);
}

TEST(SysfsFiles, NumberedEntriesMatchesGlobPrefixThenDigit) {
  TempTree tree("sysfs-numbered");
  for (const char* name : {"cpu10", "cpu", "cpufreq", "cpu0", "cpu1x"}) tree.Write(name, "");
  EXPECT_EQ(sysfs::NumberedEntries(tree.root(), "cpu"),
            (std::vector<std::string>{"cpu0", "cpu10", "cpu1x"}));
  EXPECT_TRUE(sysfs::NumberedEntries(tree.root() + "/missing", "cpu").empty());
}

TEST(SysfsFiles, ReadsOneBoundedValueAndKeepsTheErrno) {
  TempTree tree("sysfs-read");
  tree.Write("v", "  42\n");
  tree.Write("big", std::string(200, '7'));
  tree.Write("bad", "4x\n");
  tree.Write("negative", "-5\n");
  EXPECT_EQ(sysfs::ReadSysText(tree.root() + "/v").text, "  42\n");
  EXPECT_EQ(sysfs::ReadSysValue(tree.root() + "/v").text, "42");
  EXPECT_EQ(sysfs::RequireSysValue(tree.root() + "/v"), "42");
  EXPECT_EQ(sysfs::ReadSysText(tree.root() + "/big").text.size(), 128u);  // one 128-byte read
  EXPECT_EQ(sysfs::ReadSysText(tree.root() + "/big", 4096).text.size(), 200u);

  sysfs::SysText missing = sysfs::ReadSysValue(tree.root() + "/missing");
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.error, ENOENT);
  EXPECT_TRUE(sysfs::SkippableSysError(missing.error));
  EXPECT_TRUE(sysfs::SkippableSysError(EOPNOTSUPP));
  EXPECT_FALSE(sysfs::SkippableSysError(EACCES));
  EXPECT_EQ(sysfs::ReadSysText(tree.root()).error, EISDIR);
  EXPECT_THROW(sysfs::RequireSysValue(tree.root() + "/missing"), CollectError);

  int error = -1;
  EXPECT_EQ(sysfs::ReadUintFile(tree.root() + "/v", error), 42u);
  EXPECT_EQ(error, 0);
  EXPECT_EQ(sysfs::ReadIntFile(tree.root() + "/negative", error), -5);
  EXPECT_EQ(sysfs::ReadUintFile(tree.root() + "/missing", error), std::nullopt);
  EXPECT_EQ(error, ENOENT);
  EXPECT_THROW(sysfs::ReadUintFile(tree.root() + "/bad", error), CollectError);
  EXPECT_THROW(sysfs::ReadUintFile(tree.root() + "/negative", error), CollectError);
}

TEST(SysfsFiles, ToValidUtf8ReplacesEachInvalidRunOnce) {
  EXPECT_EQ(sysfs::ToValidUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(sysfs::ToValidUtf8("a\xff\xfe b"), "a\xef\xbf\xbd b");
  EXPECT_EQ(sysfs::ToValidUtf8("\xed\xa0\x80"), "\xef\xbf\xbd");  // a surrogate
  EXPECT_EQ(sysfs::ToValidUtf8("\xc0\xafx"), "\xef\xbf\xbdx");     // an overlong '/'
  EXPECT_EQ(sysfs::Utf8SequenceLength("\xf0\x9f\x98\x80"), 4u);
  EXPECT_EQ(sysfs::Utf8SequenceLength("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
}

TEST(HostSystemCollectors, SchedstatFromNodeExporterFixtures) {
  auto collector = MakeSchedstatCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  // cpu0 ... 2045936778163039 343796328169361 4767485306: ns / 1e9, timeslices as they are.
  EXPECT_DOUBLE_EQ(out.at("node_schedstat_running_seconds_total{cpu=\"0\"}"), 2045936.778163039);
  EXPECT_DOUBLE_EQ(out.at("node_schedstat_waiting_seconds_total{cpu=\"1\"}"), 364107.263788241);
  EXPECT_EQ(out.at("node_schedstat_timeslices_total{cpu=\"1\"}"), 5145567945);
  EXPECT_EQ(out.samples.size(), 6u);
}

TEST(HostSystemCollectors, SchedstatSkipsLinesThatAreNotCpuLines) {
  TempTree tree("schedstat");
  tree.Write("proc/schedstat",
             "version 15\ntimestamp 1\ncpu0 1 2 3 4 5 6 7 8\n"  // 8 numbers: not a cpu line
             "cpu1 0 0 0 0 0 0 3000000000 500000000 7\n"
             "domain0 00000000,00000003 1 2 3\n");
  auto collector = MakeSchedstatCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.samples.size(), 3u) << out.text;
  EXPECT_EQ(out.at("node_schedstat_running_seconds_total{cpu=\"1\"}"), 3);
  EXPECT_EQ(out.at("node_schedstat_waiting_seconds_total{cpu=\"1\"}"), 0.5);
  EXPECT_EQ(out.at("node_schedstat_timeslices_total{cpu=\"1\"}"), 7);
}

// --- os -------------------------------------------------------------------------------------

TEST(HostSystemCollectors, OsFromNodeExporterFixtures) {
  auto collector = MakeOsCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_os_info{build_id=\"\",id=\"ubuntu\",id_like=\"debian\",image_id=\"\","
                   "image_version=\"\",name=\"Ubuntu\",pretty_name=\"Ubuntu 20.04.2 LTS\","
                   "variant=\"\",variant_id=\"\",version=\"20.04.2 LTS (Focal Fossa)\","
                   "version_codename=\"focal\",version_id=\"20.04\"}"),
            1);
  EXPECT_DOUBLE_EQ(out.at("node_os_version{id=\"ubuntu\",id_like=\"debian\",name=\"Ubuntu\"}"),
                   20.04);
}

TEST(HostSystemCollectors, OsPrefersEtcAndReloadsWhenTheFileChanges) {
  TempTree tree("os");
  tree.Write("usr/lib/os-release", "NAME=Lib\nVERSION_ID=1\n");
  tree.Write("etc/os-release",
             "# comment\nNAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=38\nexport ID_LIKE='rhel x'\n");
  auto collector = MakeOsCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_os_version{id=\"fedora\",id_like=\"rhel x\",name=\"Fedora Linux\"}"), 38);

  // A VERSION_ID without a leading number: no node_os_version, node_os_info still there.
  fs::remove(tree.root() + "/etc/os-release");
  tree.Write("usr/lib/os-release", "NAME=Arch\nID=arch\nVERSION_ID=rolling\n");
  out = Collect(*collector);
  EXPECT_THAT(out.text, Not(HasSubstr("node_os_version")));
  EXPECT_THAT(out.text, HasSubstr("name=\"Arch\""));

  tree.Write("usr/lib/os-release", "NAME=\"unterminated\n");
  FamilySet set;
  EXPECT_THROW(collector->Collect(set), CollectError);
}

// --- fibrechannel -----------------------------------------------------------------------------

TEST(HostSystemCollectors, FibrechannelFromNodeExporterFixtures) {
  auto collector = MakeFibrechannelCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  // Hexadecimal counters; dumped_frames is all ones (not implemented by the HBA): absent.
  EXPECT_EQ(out.at("node_fibrechannel_nos_total{fc_host=\"host0\"}"), 0x12);
  EXPECT_EQ(out.at("node_fibrechannel_fcp_packet_aborts_total{fc_host=\"host0\"}"), 0x13);
  EXPECT_EQ(out.at("node_fibrechannel_error_frames_total{fc_host=\"host0\"}"), 0);
  EXPECT_THAT(out.text, Not(HasSubstr("dumped_frames")));
  EXPECT_THAT(out.text, HasSubstr("port_id=\"000002\""));  // "0x000002" without its 0x
  EXPECT_THAT(out.text, HasSubstr("fabric_name=\"0\""));
}

TEST(HostSystemCollectors, FibrechannelFailsOnABadCounterOrAMissingAttribute) {
  TempTree tree("fc");
  for (std::string file : {"speed", "port_state", "port_type", "node_name", "port_id",
                           "port_name", "fabric_name", "dev_loss_tmo", "symbolic_name",
                           "supported_classes", "supported_speeds"}) {
    tree.Write("sys/class/fc_host/host1/" + file, "0x10\n");
  }
  tree.Write("sys/class/fc_host/host1/statistics/rx_frames", "0x2a\n");
  auto collector = MakeFibrechannelCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_fibrechannel_rx_frames_total{fc_host=\"host1\"}"), 42);
  // Counters without a file count 0, as procfs leaves them.
  EXPECT_EQ(out.at("node_fibrechannel_tx_frames_total{fc_host=\"host1\"}"), 0);

  tree.Write("sys/class/fc_host/host1/statistics/rx_frames", "lots\n");
  FamilySet set;
  EXPECT_THROW(collector->Collect(set), CollectError);
  tree.Write("sys/class/fc_host/host1/statistics/rx_frames", "1\n");
  fs::remove(tree.root() + "/sys/class/fc_host/host1/speed");
  EXPECT_THROW(collector->Collect(set), CollectError);
}

// --- infiniband -------------------------------------------------------------------------------

TEST(HostSystemCollectors, InfinibandFromNodeExporterFixtures) {
  auto collector = MakeInfinibandCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_infiniband_info{device=\"mlx4_0\",board_id=\"SM_1141000001000\","
                   "firmware_version=\"2.31.5050\",hca_type=\"MT4099\"}"),
            1);
  EXPECT_EQ(out.at("node_infiniband_state_id{device=\"mlx4_0\",port=\"2\"}"), 4);
  // "40 Gb/sec (4X QDR)" → 40 × 125000000 bytes/s.
  EXPECT_EQ(out.at("node_infiniband_rate_bytes_per_second{device=\"mlx4_0\",port=\"1\"}"), 5e9);
  // port_rcv_data counts 32-bit words: 4631917 × 4 octets.
  EXPECT_EQ(out.at("node_infiniband_port_data_received_bytes_total{device=\"mlx4_0\",port=\"1\"}"),
            18527668);
  EXPECT_EQ(
      out.at("node_infiniband_legacy_data_received_bytes_total{device=\"mlx4_0\",port=\"1\"}"),
      18527668);
}

TEST(HostSystemCollectors, InfinibandSkipsNoPmaCountersAndFailsOnBadState) {
  TempTree tree("ib");
  std::string dev = "sys/class/infiniband/dev0/";
  tree.Write(dev + "board_id", "B\n");
  tree.Write(dev + "fw_ver", "1.0\n");  // no hca_type: optional
  tree.Write(dev + "ports/1/state", "4: ACTIVE\n");
  tree.Write(dev + "ports/1/phys_state", "5: LinkUp\n");
  tree.Write(dev + "ports/1/rate", "2.5 Gb/sec (1X SDR)\n");
  tree.Write(dev + "ports/1/counters/link_downed", "N/A (no PMA)\n");
  tree.Write(dev + "ports/1/counters/symbol_error", "3\n");
  auto collector = MakeInfinibandCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_infiniband_info{device=\"dev0\",board_id=\"B\",firmware_version=\"1.0\","
                   "hca_type=\"\"}"),
            1);
  EXPECT_EQ(out.at("node_infiniband_rate_bytes_per_second{device=\"dev0\",port=\"1\"}"),
            312500000);
  EXPECT_EQ(out.at("node_infiniband_symbol_error_total{device=\"dev0\",port=\"1\"}"), 3);
  EXPECT_EQ(out.at("node_infiniband_physical_state_id{device=\"dev0\",port=\"1\"}"), 5);
  EXPECT_THAT(out.text, Not(HasSubstr("link_downed")));

  tree.Write(dev + "ports/1/state", "ACTIVE\n");
  FamilySet set;
  EXPECT_THROW(collector->Collect(set), CollectError);
}

// --- powersupplyclass -------------------------------------------------------------------------

TEST(HostSystemCollectors, PowerSupplyFromNodeExporterFixtures) {
  auto collector = MakePowersupplyclassCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_power_supply_capacity{power_supply=\"BAT0\"}"), 81);
  EXPECT_DOUBLE_EQ(out.at("node_power_supply_energy_watthour{power_supply=\"BAT0\"}"), 36.58);
  EXPECT_EQ(out.at("node_power_supply_online{power_supply=\"AC\"}"), 0);
  EXPECT_EQ(out.at("node_power_supply_info{power_supply=\"AC\",type=\"Mains\"}"), 1);
  // The model name's invalid UTF-8 byte becomes U+FFFD, as Go's strings.ToValidUTF8.
  EXPECT_THAT(out.text, HasSubstr("model_name=\"LNV-45N1\xef\xbf\xbd\""));
  EXPECT_THAT(out.text, HasSubstr("# HELP node_power_supply_energy_watthour energy_watthour value "
                                  "of /sys/class/power_supply/<power_supply>.\n"));
}

TEST(HostSystemCollectors, PowerSupplyIgnoresMatchingSuppliesAndFailsOnBadNumbers) {
  HostConfig config = Config(kNodeExporter);
  config.powersupply_ignored_supplies = CompilePattern("^BAT");
  auto collector = MakePowersupplyclassCollector(config);
  Exposition out = Collect(*collector);
  EXPECT_THAT(out.text, Not(HasSubstr("BAT0")));
  EXPECT_EQ(out.at("node_power_supply_online{power_supply=\"AC\"}"), 0);

  TempTree tree("ps");
  tree.Write("sys/class/power_supply/BAT1/temp", "-52\n");  // tenths of a degree
  tree.Write("sys/class/power_supply/BAT1/voltage_now", "12000000\n");
  auto bad = MakePowersupplyclassCollector(Config(tree.root()));
  out = Collect(*bad);
  EXPECT_DOUBLE_EQ(out.at("node_power_supply_temp_celsius{power_supply=\"BAT1\"}"), -5.2);
  EXPECT_EQ(out.at("node_power_supply_voltage_volt{power_supply=\"BAT1\"}"), 12);
  tree.Write("sys/class/power_supply/BAT1/capacity", "full\n");
  FamilySet set;
  EXPECT_THROW(bad->Collect(set), CollectError);
}

// --- selinux, timex: the host's own state -----------------------------------------------------

TEST(HostSystemCollectors, SelinuxReportsTheHostsState) {
  auto collector = MakeSelinuxCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  // Without a selinuxfs at /sys/fs/selinux (this host, containers) SELinux is disabled and
  // the two mode families are absent.
  if (!fs::exists("/sys/fs/selinux/enforce")) {
    EXPECT_EQ(out.text,
              "# HELP node_selinux_enabled SELinux is enabled, 1 is true, 0 is false\n"
              "# TYPE node_selinux_enabled gauge\nnode_selinux_enabled 0\n");
  } else {
    EXPECT_EQ(out.samples.count("node_selinux_enabled"), 1u);
  }
}

TEST(HostSystemCollectors, TimexMatchesAdjtimex) {
  auto collector = MakeTimexCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  struct timex tx {};
  int state = adjtimex(&tx);
  ASSERT_GE(state, 0);
  EXPECT_EQ(out.samples.size(), 17u) << out.text;
  EXPECT_EQ(out.at("node_timex_sync_status"), state == TIME_ERROR ? 0 : 1);
  EXPECT_EQ(out.at("node_timex_tick_seconds"), static_cast<double>(tx.tick) / 1e6);
  EXPECT_EQ(out.at("node_timex_loop_time_constant"), static_cast<double>(tx.constant));
  EXPECT_EQ(out.at("node_timex_tai_offset_seconds"), static_cast<double>(tx.tai));
  EXPECT_EQ(out.at("node_timex_pps_calibration_total"), static_cast<double>(tx.calcnt));
  EXPECT_THAT(out.text, HasSubstr("# TYPE node_timex_pps_jitter_total counter\n"));
  EXPECT_THAT(out.text, HasSubstr("# HELP node_timex_frequency_adjustment_ratio Local clock "
                                  "frequency adjustment.\n"));
}

// --- textfile ---------------------------------------------------------------------------------

// node_exporter's textfile_test.go cases: the collector on tests/fixtures/node_exporter/textfile/
// <case> gives <case>.out, with mtimes fixed at 1 and paths relative to "fixtures", as that test
// does.
std::string TextfileCase(const std::string& directory) {
  HostConfig config = Config(kNodeExporter);
  config.textfile_directory = directory;
  auto collector = MakeTextfileCollector(config);
  std::string text = Collect(*collector).text;
  std::string out;
  std::istringstream in(text);
  const std::string prefix = kNodeExporter + "/";
  for (std::string line; std::getline(in, line);) {
    for (std::size_t at; (at = line.find(prefix)) != std::string::npos;) {
      line.replace(at, prefix.size(), "fixtures/");
    }
    if (line.starts_with("node_textfile_mtime_seconds{")) line = line.substr(0, line.rfind(' ')) + " 1";
    out += line + "\n";
  }
  return out;
}

std::string ReadExpected(const std::string& name) {
  std::ifstream in(kNodeExporter + "/textfile/" + name + ".out");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(HostSystemCollectors, TextfileNodeExporterCases) {
  for (std::string name :
       {"no_metric_files", "two_metric_files", "nonexistent_path", "client_side_timestamp",
        "different_metric_types", "inconsistent_metrics", "histogram", "histogram_extra_dimension",
        "summary", "summary_extra_dimension", "metrics_merge_same_help",
        "metrics_merge_different_help", "metrics_merge_no_help", "metrics_merge_empty_help"}) {
    std::string got = TextfileCase(kNodeExporter + "/textfile/" + name);
    EXPECT_EQ(CanonicalLines(got), CanonicalLines(ReadExpected(name))) << name << ":\n" << got;
  }
  // A glob of directories, merged as one.
  std::string got = TextfileCase(kNodeExporter + "/textfile/*_extra_dimension");
  EXPECT_EQ(CanonicalLines(got), CanonicalLines(ReadExpected("glob_extra_dimension"))) << got;
}

TEST(HostSystemCollectors, TextfileWithoutDirectory) {
  // node_exporter's default: no directory, nothing read, and no error either.
  EXPECT_EQ(TextfileCase(""),
            "# HELP node_textfile_scrape_error 1 if there was an error opening or reading a "
            "file, 0 otherwise\n# TYPE node_textfile_scrape_error gauge\n"
            "node_textfile_scrape_error 0\n");
}

TEST(HostSystemCollectors, TextfileRejectsAFileThatDoesNotParseAndKeepsTheOthers) {
  TempTree tree("textfile");
  tree.Write("a_good.prom", "# TYPE a_total counter\na_total{x=\"1\"} 3\n");
  tree.Write("bad.prom", "b 1\nc{x=\"1\" 2\n");
  tree.Write("no_newline.prom", "d 1");  // expfmt: unexpected end of input stream
  tree.Write("dup.prom", "# HELP a_total other help\n# TYPE a_total counter\na_total 9\n");
  HostConfig config = Config(kNodeExporter);
  config.textfile_directory = tree.root();
  auto collector = MakeTextfileCollector(config);
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_textfile_scrape_error"), 1);
  EXPECT_EQ(out.at("a_total{x=\"1\"}"), 3);
  // dup.prom's a_total has another HELP: the registry refuses it; bad and no_newline add
  // nothing, not even the lines before the error.
  EXPECT_THAT(out.text, Not(HasSubstr("a_total 9")));
  EXPECT_THAT(out.text, Not(HasSubstr("\nb ")));
  EXPECT_THAT(out.text, Not(HasSubstr("\nd ")));
  EXPECT_THAT(out.text, Not(HasSubstr("bad.prom")));
  EXPECT_THAT(out.text, HasSubstr("file=\"" + tree.root() + "/a_good.prom\""));
  EXPECT_THAT(out.text, HasSubstr("file=\"" + tree.root() + "/dup.prom\""));
}

TEST(HostSystemCollectors, TextParserFollowsExpfmt) {
  TextParseResult ok = ParseTextFormat(
      "# HELP h Help with \\\\ and \\n.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
      "h_bucket{le=\"+Inf\"} 3\nh_sum 4.5\nh_count 3\n  \n# other comment\n"
      "u{a=\"x\\\"y\",} +Inf\n");
  ASSERT_TRUE(ok.ok()) << ok.error;
  ASSERT_EQ(ok.families.size(), 2u);
  EXPECT_EQ(ok.families[0].help, "Help with \\ and \n.");
  ASSERT_EQ(ok.families[0].metrics.size(), 1u);
  EXPECT_EQ(ok.families[0].metrics[0].count, 3u);
  EXPECT_EQ(ok.families[0].metrics[0].sum, 4.5);
  EXPECT_EQ(ok.families[0].metrics[0].buckets.size(), 2u);
  EXPECT_EQ(ok.families[1].metrics[0].labels[0].second, "x\"y");
  EXPECT_TRUE(std::isinf(ok.families[1].metrics[0].value));

  for (std::string bad : {"m 1 2 3\n", "m{a=\"1\",a=\"2\"} 1\n", "m 1_0\n", "m{__name__=\"x\"} 1\n",
                          "m 1\n# TYPE m gauge\n", "# TYPE m gauge\n# TYPE m counter\n",
                          "# TYPE m gauge_histogram\n", "m{a=\"\\t\"} 1\n", "m\n", "m 0x1p2\n",
                          "# HELP m \\q\n"}) {
    EXPECT_FALSE(ParseTextFormat(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseTextFormat("").ok());
  EXPECT_TRUE(ParseTextFormat("m 1 -5\n").families[0].metrics[0].has_timestamp);
}

}  // namespace
}  // namespace metricsd::host
