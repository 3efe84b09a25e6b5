// A summary window's reservoir (Algorithm R while young, then L) keeps a uniform sample of
// what one bucket saw, before, across and after the handover.
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

// `windows` windows each see 1..seen and keep `cap`: every value should be kept
// windows * cap / seen times on average. Checked per tenth of the range (5 sd), where a
// sampler biased to early or late observations shows, and per value (6 sd) when the mean is
// large enough for that to mean something.
//
// The windows draw from streams 0, 1, ... (not the process-wide next ones): which streams a
// check gets used to depend on how many windows earlier tests made, which varied with their
// threads and line caches' seeds, and one such run in ~30 under ASan met a set of 2,000
// consecutive streams keeping one value 95 times against 50 (scanning 300,000 streams for
// such sets finds one: an extreme of the scan, not a bias of the stream).
void ExpectUniform(int windows, int seen, int cap) {
  std::vector<int> kept(static_cast<std::size_t>(seen) + 1, 0);
  for (int w = 0; w < windows; ++w) {
    SummaryWindow window(Options(cap), static_cast<std::uint64_t>(w));
    for (int i = 1; i <= seen; ++i) window.Observe(i, 1000);
    std::vector<double> live;
    window.AppendLive(1000, live);
    ASSERT_EQ(live.size(), static_cast<std::size_t>(cap));
    for (double v : live) ++kept[static_cast<std::size_t>(v)];
  }
  const double expected = static_cast<double>(windows) * cap / seen;
  const int per_tenth = seen / 10;
  for (int tenth = 0; tenth < 10; ++tenth) {
    int sum = 0;
    for (int i = tenth * per_tenth + 1; i <= (tenth + 1) * per_tenth; ++i) sum += kept[static_cast<std::size_t>(i)];
    EXPECT_NEAR(sum, expected * per_tenth, 5 * std::sqrt(expected * per_tenth))
        << "values " << tenth * per_tenth + 1 << "..";
  }
  if (expected < 25) return;
  for (int i = 1; i <= seen; ++i) {
    EXPECT_NEAR(kept[static_cast<std::size_t>(i)], expected, 6 * std::sqrt(expected)) << "value " << i;
  }
}

TEST(SummaryWindowTest, AYoungReservoirIsAUniformSampleOfTheBucket) {
  // Algorithm R throughout: 1,000 observations into 50 samples.
  static_assert(1000 <= SummaryWindow::kYoung * 50);
  ExpectUniform(2000, 1000, 50);
}

TEST(SummaryWindowTest, AReservoirHandedOverToAlgorithmLStaysUniform) {
  // R for the first 3,200 of 4,000 observations, then L from a drawn weight; and mostly L.
  static_assert(4000 > SummaryWindow::kYoung * 100);
  ExpectUniform(2000, 4000, 100);
  static_assert(40000 > 4 * SummaryWindow::kYoung * 20);
  ExpectUniform(1000, 40000, 20);
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
