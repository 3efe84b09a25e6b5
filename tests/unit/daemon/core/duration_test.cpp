#include "daemon/core/duration.h"

#include <gtest/gtest.h>

namespace metricsd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(DurationTest, ParsesPrometheusDurations) {
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("15s"), seconds(15));
  EXPECT_EQ(ParseDuration("5m"), minutes(5));
  EXPECT_EQ(ParseDuration("1m30s"), seconds(90));
  EXPECT_EQ(ParseDuration("2h"), hours(2));
  EXPECT_EQ(ParseDuration("1d"), hours(24));
  EXPECT_EQ(ParseDuration("1w"), hours(24 * 7));
  EXPECT_EQ(ParseDuration("1y"), hours(24 * 365));
  EXPECT_EQ(ParseDuration("1h2m3s4ms"), milliseconds(3723004));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
  EXPECT_EQ(ParseDuration("0s"), milliseconds(0));
}

TEST(DurationTest, RejectsMalformedDurations) {
  for (const char* bad : {"", "5", "s", "-5s", "5 s", "1.5s", "5sec", "30s1m", "1s1s", "5S",
                          "1h 2m", "99999999999999999999y", "ms"}) {
    EXPECT_EQ(ParseDuration(bad), std::nullopt) << bad;
  }
}

TEST(DurationTest, FormatsTheShortestSpelling) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(seconds(90)), "1m30s");
  EXPECT_EQ(FormatDuration(hours(26)), "1d2h");
  EXPECT_EQ(ParseDuration(FormatDuration(milliseconds(3723004))), milliseconds(3723004));
}

}  // namespace
}  // namespace metricsd
