// A summary window's reservoir (Algorithm L) keeps a uniform sample of what one bucket saw.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/statsd/shard.h"

namespace metricsd::statsd {
namespace {

SummaryOptions Options(int buf_cap) {
  SummaryOptions options;
  options.max_age = std::chrono::milliseconds(60000);
  options.age_buckets = 1;
  options.buf_cap = buf_cap;
  return options;
}

TEST(SummaryWindowTest, KeepsEverythingUntilFull) {
  SummaryWindow window(Options(10));
  for (int i = 0; i < 10; ++i) window.Observe(i, 1000);
  std::vector<double> live;
  window.AppendLive(1000, live);
  std::sort(live.begin(), live.end());
  EXPECT_EQ(live, (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(SummaryWindowTest, AFullReservoirIsAUniformSampleOfTheBucket) {
  // 2,000 windows each see 1..1000 and keep 50: every value should be kept 100 times on
  // average (a binomial with sd ~9.7). Checked per tenth of the range (sd ~31 around 10,000),
  // where a sampler biased to early or late observations shows, and per value within 6 sd.
  constexpr int kWindows = 2000, kSeen = 1000, kCap = 50;
  std::vector<int> kept(kSeen + 1, 0);
  for (int w = 0; w < kWindows; ++w) {
    SummaryWindow window(Options(kCap));
    for (int i = 1; i <= kSeen; ++i) window.Observe(i, 1000);
    std::vector<double> live;
    window.AppendLive(1000, live);
    ASSERT_EQ(live.size(), static_cast<std::size_t>(kCap));
    for (double v : live) ++kept[static_cast<std::size_t>(v)];
  }
  const double expected = static_cast<double>(kWindows) * kCap / kSeen;  // 100
  for (int tenth = 0; tenth < 10; ++tenth) {
    int sum = 0;
    for (int i = tenth * 100 + 1; i <= (tenth + 1) * 100; ++i) sum += kept[static_cast<std::size_t>(i)];
    EXPECT_NEAR(sum, expected * 100, 5 * std::sqrt(expected * 100)) << "values " << tenth * 100 + 1 << "..";
  }
  for (int i = 1; i <= kSeen; ++i) {
    EXPECT_NEAR(kept[static_cast<std::size_t>(i)], expected, 6 * std::sqrt(expected)) << "value " << i;
  }
}

TEST(SummaryWindowTest, ANewBucketStartsAfresh) {
  SummaryOptions options = Options(5);
  options.age_buckets = 2;  // 30 s each
  SummaryWindow window(options);
  for (int i = 0; i < 100; ++i) window.Observe(1, 1000);
  for (int i = 0; i < 3; ++i) window.Observe(2, 31000);
  std::vector<double> live;
  window.AppendLive(31000, live);  // both buckets live
  EXPECT_EQ(std::count(live.begin(), live.end(), 1.0), 5);
  EXPECT_EQ(std::count(live.begin(), live.end(), 2.0), 3);
  live.clear();
  window.AppendLive(61000, live);  // the first bucket aged out
  EXPECT_EQ(live, (std::vector<double>{2, 2, 2}));
  for (int i = 0; i < 4; ++i) window.Observe(3, 61000);  // reuses the first bucket's slot
  live.clear();
  window.AppendLive(61000, live);
  std::sort(live.begin(), live.end());
  EXPECT_EQ(live, (std::vector<double>{2, 2, 2, 3, 3, 3, 3}));
}

}  // namespace
}  // namespace metricsd::statsd
