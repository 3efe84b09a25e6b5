#include "daemon/process_source.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/core/text_writer.h"

namespace metricsd {
namespace {

using ::testing::HasSubstr;

const std::string kFixtureProc = std::string(METRICSD_SOURCE_DIR) + "/tests/fixtures/proc";

TEST(ProcessSourceTest, ParsesPidStatWithSpacesAndParensInTheCommand) {
  auto stat = ParseProcPidStat(
      "4242 (metr (i) csd) S 1 4242 4242 0 -1 4194560 1000 0 3 0 250 125 0 0 20 0 4 0 "
      "12345 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->utime_ticks, 250u);
  EXPECT_EQ(stat->stime_ticks, 125u);
  EXPECT_EQ(stat->start_ticks, 12345u);
  EXPECT_EQ(stat->vsize_bytes, 104857600u);
  EXPECT_EQ(stat->rss_pages, 2560u);
  EXPECT_FALSE(ParseProcPidStat("4242 (x) S 1 2 3"));
  EXPECT_FALSE(ParseProcPidStat("garbage"));
}

TEST(ProcessSourceTest, ParsesBootTimeAndLimits) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n"), 1700000000u);
  EXPECT_FALSE(ParseBootTime("cpu 1\n"));
  std::string limits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max open files            1024                 524288               files     \n"
      "Max address space         unlimited            unlimited            bytes     \n";
  EXPECT_EQ(ParseSoftLimit(limits, "Max open files"), 1024);
  EXPECT_EQ(ParseSoftLimit(limits, "Max address space"), 18446744073709551615.0);
  EXPECT_FALSE(ParseSoftLimit(limits, "Max processes"));
}

TEST(ProcessSourceTest, ExposesFixtureValuesInStandardUnits) {
  ProcessSource source(kFixtureProc, "4242");
  std::string out;
  TextWriter writer(out);
  source.Visit(writer);
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  char buf[32];
  // utime 250 + stime 125 ticks
  EXPECT_THAT(out, HasSubstr("process_cpu_seconds_total " +
                             std::string(FormatDouble(375 / ticks, buf)) + "\n"));
  EXPECT_THAT(out, HasSubstr("process_virtual_memory_bytes 104857600\n"));
  EXPECT_THAT(out, HasSubstr("process_resident_memory_bytes " +
                             std::string(FormatDouble(2560 * page, buf)) + "\n"));
  // btime 1700000000 + 12345 ticks after boot
  EXPECT_THAT(out, HasSubstr("process_start_time_seconds " +
                             std::string(FormatDouble(1700000000 + 12345 / ticks, buf)) + "\n"));
  EXPECT_THAT(out, HasSubstr("process_max_fds 1024\n"));
  EXPECT_THAT(out, HasSubstr("process_open_fds 3\n"));
  auto status = source.LastCollection();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->success);
}

TEST(ProcessSourceTest, MissingFilesFailTheCollectorWithoutThrowing) {
  ProcessSource source(kFixtureProc, "no-such-pid");
  std::string out;
  TextWriter writer(out);
  source.Visit(writer);
  EXPECT_THAT(out, ::testing::Not(HasSubstr("process_cpu_seconds_total")));
  EXPECT_FALSE(source.LastCollection()->success);
}

TEST(ProcessSourceTest, ReadsItsOwnProcess) {
  ProcessSource source;
  std::string out;
  TextWriter writer(out);
  source.Visit(writer);
  EXPECT_TRUE(source.LastCollection()->success) << out;
  EXPECT_THAT(out, HasSubstr("# TYPE process_open_fds gauge\n"));
}

}  // namespace
}  // namespace metricsd
