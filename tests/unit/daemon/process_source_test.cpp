#include "daemon/process_source.h"

#include <sys/resource.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/core/proc_file.h"
#include "daemon/core/text_writer.h"
#include "tests/unit/support/samples.h"

namespace metricsd {
namespace {

using ::testing::HasSubstr;

std::map<std::string, double> Samples(const Source& source) {
  std::string out;
  TextWriter writer(out);
  source.Visit(writer);
  return ParseSamples(out);
}

TEST(ProcessSourceTest, ParsesPidStatWithSpacesAndParensInTheCommand) {
  auto stat = ParseProcPidStat(
      "4242 (metr (i) csd) S 1 4242 4242 0 -1 4194560 1000 0 3 0 250 125 0 0 20 0 4 0 "
      "12345 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->utime_ticks, 250u);
  EXPECT_EQ(stat->stime_ticks, 125u);
  EXPECT_EQ(stat->start_ticks, 12345u);
  EXPECT_EQ(stat->vsize_bytes, 104857600u);
  EXPECT_EQ(stat->rss_pages, 2560u);
  EXPECT_FALSE(ParseProcPidStat("4242 (x) S 1 2 3"));
  EXPECT_FALSE(ParseProcPidStat("garbage"));
}

TEST(ProcessSourceTest, ParsesBootTimeAndStatm) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n"), 1700000000u);
  EXPECT_FALSE(ParseBootTime("cpu 1\n"));
  auto statm = ParseStatm("21066 1366 1100 200 0 1500 0\n");
  ASSERT_TRUE(statm);
  EXPECT_EQ(statm->first, 21066u);
  EXPECT_EQ(statm->second, 1366u);
  EXPECT_FALSE(ParseStatm("12\n"));
}

TEST(ProcessSourceTest, ReportsThisProcessConsistentlyWithTheKernel) {
  ProcessSource source;
  auto samples = Samples(source);
  ASSERT_TRUE(source.LastCollection()->success);
  struct rlimit files {};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  EXPECT_EQ(samples["process_max_fds"], static_cast<double>(files.rlim_cur));
  EXPECT_GT(samples["process_open_fds"], 2);
  EXPECT_GT(samples["process_resident_memory_bytes"], 1e5);
  EXPECT_GE(samples["process_virtual_memory_bytes"], samples["process_resident_memory_bytes"]);
  EXPECT_NEAR(samples["process_start_time_seconds"], static_cast<double>(time(nullptr)), 600);
  EXPECT_GE(samples["process_cpu_seconds_total"], 0);
  EXPECT_EQ(samples.count("process_virtual_memory_max_bytes"), 1u);
}

TEST(ProcessSourceTest, UnreadableProcFailsTheCollectorWithoutThrowing) {
  ProcessSource source("/nonexistent-proc");
  auto samples = Samples(source);
  EXPECT_FALSE(source.LastCollection()->success);
  EXPECT_EQ(samples.count("process_resident_memory_bytes"), 0u);
  EXPECT_EQ(samples.count("process_cpu_seconds_total"), 1u);  // getrusage needs no /proc
}

}  // namespace
}  // namespace metricsd
