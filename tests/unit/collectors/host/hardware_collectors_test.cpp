// The hardware collectors of node_exporter 1.5 (cpufreq, dmi, edac, entropy, hwmon, rapl,
// thermal_zone) on node_exporter's own fixture files (tests/fixtures/node_exporter) and on small
// trees written to a temp dir for the edge cases those do not cover (hwmon's naming rules, RAPL
// indexes, malformed files). Values are derived by hand from the files: kHz to Hz, millidegrees
// and millivolts to base units, microjoules to joules.
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
TEST(HostHardwareCollectors, ReportNothingWhenTheirFilesAreAbsent) {
  ExpectNothingOnAnEmptyTree({"cpufreq", "dmi", "edac", "entropy", "hwmon", "rapl", "thermal_zone"});
}

// --- entropy -------------------------------------------------------------------------------

TEST(HostHardwareCollectors, EntropyFromNodeExporterFixtures) {
  auto collector = MakeEntropyCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_entropy_available_bits"), 1337);
  EXPECT_EQ(out.at("node_entropy_pool_size_bits"), 4096);
  EXPECT_THAT(out.text, HasSubstr("# HELP node_entropy_pool_size_bits Bits of entropy pool.\n"));
}

TEST(HostHardwareCollectors, EntropyFailsOnMalformedOrHalfMissingFiles) {
  TempTree tree("entropy");
  tree.Write("proc/sys/kernel/random/entropy_avail", "lots\n");
  tree.Write("proc/sys/kernel/random/poolsize", "256\n");
  auto collector = MakeEntropyCollector(Config(tree.root()));
  FamilySet out;
  EXPECT_THROW(collector->Collect(out), CollectError);
  // node_exporter fails when entropy_avail is missing but poolsize is there.
  fs::remove(tree.root() + "/proc/sys/kernel/random/entropy_avail");
  EXPECT_THROW(collector->Collect(out), CollectError);
  tree.Write("proc/sys/kernel/random/entropy_avail", "256\n");
  EXPECT_EQ(Collect(*collector).at("node_entropy_available_bits"), 256);
}

// --- cpufreq -------------------------------------------------------------------------------

TEST(HostHardwareCollectors, CpufreqFromNodeExporterFixtures) {
  auto collector = MakeCpufreqCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  // scaling_cur_freq 1699981 kHz, scaling_min_freq 1000 kHz on cpu2.
  EXPECT_EQ(out.at("node_cpu_scaling_frequency_hertz{cpu=\"0\"}"), 1699981e3);
  EXPECT_EQ(out.at("node_cpu_scaling_frequency_max_hertz{cpu=\"3\"}"), 4.2e9);
  EXPECT_EQ(out.at("node_cpu_scaling_frequency_min_hertz{cpu=\"2\"}"), 1e6);
  // The fixtures have no cpuinfo_*_freq files: no node_cpu_frequency_* family at all.
  EXPECT_THAT(out.text, Not(HasSubstr("node_cpu_frequency_")));
  EXPECT_EQ(out.samples.size(), 12u);
}

TEST(HostHardwareCollectors, CpufreqSkipsCpusWithoutCpufreqAndFailsOnMalformedValues) {
  TempTree tree("cpufreq");
  tree.Write("sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_cur_freq", "800000\n");
  tree.Write("sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_min_freq", "400000\n");
  tree.Mkdir("sys/devices/system/cpu/cpu1");           // offline, no cpufreq directory
  tree.Write("sys/devices/system/cpu/cpufreq/boost", "1\n");  // not a cpu[0-9]* directory
  auto collector = MakeCpufreqCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_cpu_frequency_hertz{cpu=\"0\"}"), 8e8);
  EXPECT_EQ(out.at("node_cpu_frequency_min_hertz{cpu=\"0\"}"), 4e8);
  EXPECT_EQ(out.samples.size(), 2u);
  tree.Write("sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "<unknown>\n");
  FamilySet failed;
  EXPECT_THROW(collector->Collect(failed), CollectError);
}

// --- dmi -----------------------------------------------------------------------------------

TEST(HostHardwareCollectors, DmiFromNodeExporterFixtures) {
  auto collector = MakeDmiCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  ASSERT_EQ(out.samples.size(), 1u);
  const std::string& series = out.samples.begin()->first;
  EXPECT_THAT(series, HasSubstr("bios_date=\"04/12/2021\""));
  EXPECT_THAT(series, HasSubstr("system_vendor=\"Dell Inc.\""));  // from sys_vendor
  EXPECT_THAT(series, HasSubstr("chassis_asset_tag=\"\""));        // a file holding "\n"
  EXPECT_THAT(series, HasSubstr("product_sku=\"SKU=NotProvided;ModelName=PowerEdge R6515\""));
  // product_version is C0 1C 5B 87: each invalid byte becomes U+FFFD.
  EXPECT_THAT(series, HasSubstr("product_version=\"\xEF\xBF\xBD\x1C[\xEF\xBF\xBD\""));
  EXPECT_THAT(series, Not(HasSubstr("chassis_type")));  // read by procfs, not a label
  EXPECT_THAT(series, Not(HasSubstr("modalias")));
}

TEST(HostHardwareCollectors, DmiIsReadOnceAndCollapsesInvalidUtf8Runs) {
  TempTree tree("dmi");
  tree.Write("sys/class/dmi/id/bios_vendor", "  Acme \xFF\xFE Corp \n");
  tree.Write("sys/class/dmi/id/uevent", "MODALIAS=dmi:bvnAcme\n");
  auto collector = MakeDmiCollector(Config(tree.root()));
  tree.Write("sys/class/dmi/id/bios_vendor", "changed\n");  // after the collector was made
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_dmi_info{bios_vendor=\"Acme \xEF\xBF\xBD Corp\"}"), 1);
}

// --- edac ----------------------------------------------------------------------------------

TEST(HostHardwareCollectors, EdacFromNodeExporterFixtures) {
  auto collector = MakeEdacCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_edac_correctable_errors_total{controller=\"0\"}"), 1);
  EXPECT_EQ(out.at("node_edac_uncorrectable_errors_total{controller=\"0\"}"), 5);
  EXPECT_EQ(out.at("node_edac_csrow_correctable_errors_total{controller=\"0\",csrow=\"0\"}"), 3);
  EXPECT_EQ(out.at("node_edac_csrow_correctable_errors_total{controller=\"0\",csrow=\"unknown\"}"), 2);
  EXPECT_EQ(out.at("node_edac_csrow_uncorrectable_errors_total{controller=\"0\",csrow=\"0\"}"), 4);
  EXPECT_EQ(out.at("node_edac_csrow_uncorrectable_errors_total{controller=\"0\",csrow=\"unknown\"}"), 6);
  EXPECT_EQ(out.samples.size(), 6u);
}

TEST(HostHardwareCollectors, EdacFailsWithoutACountFile) {
  TempTree tree("edac");
  for (const char* file : {"ce_count", "ue_count", "ce_noinfo_count", "ue_noinfo_count"}) {
    tree.Write(std::string("sys/devices/system/edac/mc/mc12/") + file, "7\n");
  }
  tree.Write("sys/devices/system/edac/mc/power/autosuspend_delay_ms", "0\n");  // not mc[0-9]*
  auto collector = MakeEdacCollector(Config(tree.root()));
  EXPECT_EQ(Collect(*collector).at("node_edac_correctable_errors_total{controller=\"12\"}"), 7);
  tree.Write("sys/devices/system/edac/mc/mc12/csrow3/ce_count", "1\n");  // no ue_count
  FamilySet out;
  EXPECT_THROW(collector->Collect(out), CollectError);
  tree.Write("sys/devices/system/edac/mc/mc12/csrow3/ue_count", "x\n");
  EXPECT_THROW(collector->Collect(out), CollectError);
}

// --- rapl ----------------------------------------------------------------------------------

TEST(HostHardwareCollectors, RaplFromNodeExporterFixtures) {
  auto collector = MakeRaplCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  std::string zone = kNodeExporter + "/sys/class/powercap/intel-rapl:0";
  EXPECT_EQ(out.at("node_rapl_package_joules_total{index=\"0\",path=\"" + zone + "\"}"),
            240422.366267);
  EXPECT_EQ(out.at("node_rapl_core_joules_total{index=\"0\",path=\"" + zone + ":0\"}"),
            118821.284256);
  EXPECT_THAT(out.text, HasSubstr("# HELP node_rapl_package_joules_total Current RAPL package "
                                  "value in joules\n# TYPE node_rapl_package_joules_total counter\n"));
  EXPECT_EQ(out.samples.size(), 2u);  // "intel-rapl" itself has no name file
}

TEST(HostHardwareCollectors, RaplIndexesRepeatedNamesAndSanitizesThem) {
  TempTree tree("rapl");
  auto zone = [&](const std::string& dir, const std::string& name, const std::string& uj) {
    tree.Write("sys/class/powercap/" + dir + "/name", name + "\n");
    tree.Write("sys/class/powercap/" + dir + "/max_energy_range_uj", "262143328850\n");
    tree.Write("sys/class/powercap/" + dir + "/energy_uj", uj + "\n");
  };
  zone("intel-rapl:0", "package-0", "1000000");
  zone("intel-rapl:0:0", "dram", "2500000");
  zone("intel-rapl:1", "package-1", "3000000");
  zone("intel-rapl:1:0", "dram", "4000000");
  zone("intel-rapl:2", "psys.x", "5000000");
  auto collector = MakeRaplCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  std::string dir = tree.root() + "/sys/class/powercap/";
  EXPECT_EQ(out.at("node_rapl_package_joules_total{index=\"0\",path=\"" + dir + "intel-rapl:0\"}"), 1);
  EXPECT_EQ(out.at("node_rapl_package_joules_total{index=\"1\",path=\"" + dir + "intel-rapl:1\"}"), 3);
  // Names without "-<n>" are numbered in directory order.
  EXPECT_EQ(out.at("node_rapl_dram_joules_total{index=\"0\",path=\"" + dir + "intel-rapl:0:0\"}"), 2.5);
  EXPECT_EQ(out.at("node_rapl_dram_joules_total{index=\"1\",path=\"" + dir + "intel-rapl:1:0\"}"), 4);
  EXPECT_EQ(out.at("node_rapl_psys_x_joules_total{index=\"0\",path=\"" + dir + "intel-rapl:2\"}"), 5);
  EXPECT_THAT(out.text, HasSubstr("# HELP node_rapl_psys_x_joules_total Current RAPL psys.x value in joules\n"));
  // One HELP/TYPE per family although two zones feed it.
  EXPECT_EQ(out.text.find("# TYPE node_rapl_dram_joules_total"),
            out.text.rfind("# TYPE node_rapl_dram_joules_total"));

  tree.Write("sys/class/powercap/intel-rapl:2/energy_uj", "-1\n");
  FamilySet failed;
  EXPECT_THROW(collector->Collect(failed), CollectError);
}

// --- thermal_zone --------------------------------------------------------------------------

TEST(HostHardwareCollectors, ThermalZoneFromNodeExporterFixtures) {
  auto collector = MakeThermalZoneCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_thermal_zone_temp{zone=\"0\",type=\"cpu-thermal\"}"), 12.376);
  EXPECT_EQ(out.at("node_cooling_device_cur_state{name=\"0\",type=\"Processor\"}"), 0);
  EXPECT_EQ(out.at("node_cooling_device_max_state{name=\"0\",type=\"Processor\"}"), 3);
  EXPECT_EQ(out.samples.size(), 3u);
}

TEST(HostHardwareCollectors, ThermalZoneNegativeTemperaturesAndMalformedStates) {
  TempTree tree("thermal");
  tree.Write("sys/class/thermal/thermal_zone7/type", "acpitz\n");
  tree.Write("sys/class/thermal/thermal_zone7/policy", "step_wise\n");
  tree.Write("sys/class/thermal/thermal_zone7/temp", "-5500\n");
  auto collector = MakeThermalZoneCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  EXPECT_EQ(out.at("node_thermal_zone_temp{zone=\"7\",type=\"acpitz\"}"), -5.5);
  EXPECT_THAT(out.text, Not(HasSubstr("node_cooling_device")));
  tree.Write("sys/class/thermal/cooling_device2/type", "Fan\n");
  tree.Write("sys/class/thermal/cooling_device2/max_state", "10\n");
  tree.Write("sys/class/thermal/cooling_device2/cur_state", "high\n");
  FamilySet failed;
  EXPECT_THROW(collector->Collect(failed), CollectError);
  tree.Write("sys/class/thermal/cooling_device2/cur_state", "4\n");
  out = Collect(*collector);
  EXPECT_EQ(out.at("node_cooling_device_cur_state{name=\"2\",type=\"Fan\"}"), 4);
  EXPECT_EQ(out.at("node_cooling_device_max_state{name=\"2\",type=\"Fan\"}"), 10);
  fs::remove(tree.root() + "/sys/class/thermal/thermal_zone7/temp");  // required
  EXPECT_THROW(collector->Collect(failed), CollectError);
}

// --- hwmon ---------------------------------------------------------------------------------

TEST(HostHardwareCollectors, HwmonFromNodeExporterFixtures) {
  auto collector = MakeHwmonCollector(Config(kNodeExporter));
  Exposition out = Collect(*collector);
  // hwmon0 -> devices/platform/coretemp.0: chip "<bus>_<device>" from the resolved device link.
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_chip_names{chip=\"platform_coretemp_0\",chip_name=\"coretemp\"}"), 1);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_temp_celsius{chip=\"platform_coretemp_0\",sensor=\"temp1\"}"), 55);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_temp_crit_alarm_celsius{chip=\"platform_coretemp_1\",sensor=\"temp5\"}"), 0);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_sensor_label{chip=\"platform_coretemp_0\",sensor=\"temp1\",label=\"Physical id 0\"}"), 1);
  // hwmon2's sensors live in its device directory; labels keep their trailing blanks.
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_sensor_label{chip=\"platform_applesmc_768\",sensor=\"fan1\",label=\"Left side  \"}"), 1);
  // hwmon3 has no device link: its name file names it.
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_in_volts{chip=\"nct6779\",sensor=\"in0\"}"), 0.792);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_in_alarm{chip=\"nct6779\",sensor=\"in1\"}"), 1);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_intrusion_beep_enabled{chip=\"nct6779\",sensor=\"intrusion0\"}"), 0);
  // hwmon4 has neither: the directory's own name.
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_temp_max_celsius{chip=\"hwmon4\",sensor=\"temp2\"}"), 100);
  EXPECT_THAT(out.text, HasSubstr("# HELP node_hwmon_fan_rpm Hardware monitor for fan revolutions "
                                  "per minute (input)\n# TYPE node_hwmon_fan_rpm gauge\n"));
  EXPECT_THAT(out.text, HasSubstr("# HELP node_hwmon_pwm_auto_point1_pwm Hardware monitor pwm "
                                  "element auto_point1_pwm\n"));
}

TEST(HostHardwareCollectors, HwmonNamesSensorsAndScalesUnitsAsNodeExporter) {
  TempTree tree("hwmon");
  const std::string chip = "sys/class/hwmon/hwmon0/";
  tree.Write(chip + "name", "My Chip!\n");
  tree.Write(chip + "temp01_input", "45500\n");     // leading zero: sensor "temp1"
  tree.Write(chip + "temp01_label", "CPU \xFF\n");  // invalid UTF-8 in a label
  tree.Write(chip + "temp1_type", "4\n");           // "type" is no temperature
  tree.Write(chip + "pwm1", "128\n");               // a plain value...
  tree.Write(chip + "pwm1_input", "64\n");          // ...makes "input" a name of its own
  tree.Write(chip + "in3_input", "1250\n");
  tree.Write(chip + "curr1_input", "1500\n");
  tree.Write(chip + "power1_average", "12500000\n");
  tree.Write(chip + "power1_accuracy", "50000\n");
  tree.Write(chip + "power1_average_interval", "1000\n");
  tree.Write(chip + "energy1_input", "3000000\n");
  tree.Write(chip + "humidity1_input", "45000000\n");
  tree.Write(chip + "fan1_input", "1200\n");
  tree.Write(chip + "fan1_fault", "0\n");
  tree.Write(chip + "fan1_div", "8\n");
  tree.Write(chip + "beep_enable", "1\n");
  tree.Write(chip + "update_interval", "2000\n");
  tree.Write(chip + "vrm", "9.1\n");
  tree.Write(chip + "temp2_input", "not a number\n");  // skipped, as node_exporter does
  tree.Write(chip + "uevent", "OF_NAME=x\n");          // not a sensor type
  tree.Write(chip + "temp_input", "1\n");              // type "temp_input": not a sensor type
  tree.Write(chip + "temp_1x", "2000\n");  // the regexp backtracks: type temp, property 1x
  auto collector = MakeHwmonCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  const std::string labels = "{chip=\"my_chip\",sensor=";
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_chip_names{chip=\"my_chip\",chip_name=\"my_chip\"}"), 1);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_temp_celsius" + labels + "\"temp1\"}"), 45.5);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_sensor_label" + labels + "\"temp1\",label=\"CPU \xEF\xBF\xBD\"}"), 1);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_temp_type" + labels + "\"temp1\"}"), 4);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_pwm" + labels + "\"pwm1\"}"), 128);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_pwm_input" + labels + "\"pwm1\"}"), 64);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_in_volts" + labels + "\"in3\"}"), 1.25);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_curr_amps" + labels + "\"curr1\"}"), 1.5);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_power_average_watt" + labels + "\"power1\"}"), 12.5);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_power_accuracy" + labels + "\"power1\"}"), 0.05);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_power_average_interval_seconds" + labels + "\"power1\"}"), 1);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_energy_joule_total" + labels + "\"energy1\"}"), 3);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_humidity" + labels + "\"humidity1\"}"), 45);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_fan_rpm" + labels + "\"fan1\"}"), 1200);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_fan_fault" + labels + "\"fan1\"}"), 0);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_fan_div" + labels + "\"fan1\"}"), 8);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_beep_enabled" + labels + "\"beep_enable0\"}"), 1);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_update_interval_seconds" + labels + "\"update_interval0\"}"), 2);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_voltage_regulator_version" + labels + "\"vrm0\"}"), 9.1);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_temp_1x_celsius" + labels + "\"temp0\"}"), 2);
  EXPECT_EQ(out.samples.size(), 20u);
  EXPECT_THAT(out.text, HasSubstr("# HELP node_hwmon_temp_celsius Hardware monitor for temperature (input)\n"));
  EXPECT_THAT(out.text, HasSubstr("# HELP node_hwmon_fan_fault Hardware sensor fault status (fan)\n"));
  EXPECT_THAT(out.text, HasSubstr("# HELP node_hwmon_pwm Hardware monitor pwm element \n"));
  EXPECT_THAT(out.text, HasSubstr("# HELP node_hwmon_energy_joule_total Hardware monitor for joules "
                                  "used so far (input)\n# TYPE node_hwmon_energy_joule_total counter\n"));
}

TEST(HostHardwareCollectors, HwmonChipNamePrefersTheDeviceLink) {
  TempTree tree("hwmon-device");
  tree.Write("sys/devices/pci0000:00/0000:00:18.3/hwmon/hwmon1/temp1_input", "40000\n");
  tree.Write("sys/devices/pci0000:00/0000:00:18.3/hwmon/hwmon1/name", "k10temp\n");
  tree.Link("sys/devices/pci0000:00/0000:00:18.3/hwmon/hwmon1/device", "../..");
  tree.Link("sys/class/hwmon/hwmon1", "../../devices/pci0000:00/0000:00:18.3/hwmon/hwmon1");
  tree.Write("sys/class/hwmon/README", "a file, not a chip\n");
  auto collector = MakeHwmonCollector(Config(tree.root()));
  Exposition out = Collect(*collector);
  // "pci0000:00" and "0000:00:18.3" cleaned: ':' is kept, '.' becomes '_'.
  const std::string chip = "pci0000:00_0000:00:18_3";
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_chip_names{chip=\"" + chip + "\",chip_name=\"k10temp\"}"), 1);
  EXPECT_DOUBLE_EQ(out.at("node_hwmon_temp_celsius{chip=\"" + chip + "\",sensor=\"temp1\"}"), 40);
  EXPECT_EQ(out.samples.size(), 2u);
}

}  // namespace
}  // namespace metricsd::host
