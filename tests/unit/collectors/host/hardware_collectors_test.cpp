// The hardware collectors of node_exporter 1.5 (cpufreq, dmi, edac, entropy, hwmon, rapl, thermal_zone) on fixture files.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "collectors/host/collectors.h"
#include "daemon/core/text_writer.h"

namespace metricsd::host {
namespace {

namespace fs = std::filesystem;

// A host without the files a collector reads: node_exporter reports nothing, not an error.
TEST(HostHardwareCollectors, ReportNothingWhenTheirFilesAreAbsent) {
  fs::path empty = fs::temp_directory_path() / "metricsd-host-hardware-empty";
  fs::create_directories(empty);
  HostConfig config = ParseHostConfig(ParseYaml("", "test.yaml"));
  config.paths = {empty.string(), empty.string(), empty.string(), empty.string()};
  config.collectors = {"cpufreq", "dmi", "edac", "entropy", "hwmon", "rapl", "thermal_zone"};
  auto collectors = MakeEnabledCollectors(config);
  ASSERT_EQ(collectors.size(), config.collectors.size());
  for (auto& collector : collectors) {
    FamilySet out;
    EXPECT_NO_THROW(collector->Collect(out)) << collector->Name();
    std::string text;
    TextWriter writer(text);
    out.Visit(writer);
    EXPECT_EQ(text, "") << collector->Name();
  }
}

}  // namespace
}  // namespace metricsd::host
