// The pacing of the load generator on a virtual clock: the ramp's integral, the steady rate,
// batching, and the burst cap after a stall. No wall time is involved anywhere.
#include "daemon/loadgen/rate_controller.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace metricsd::loadgen {
namespace {

TEST(RateControllerTest, CumulativeIsTheIntegralOfTheRamp) {
  EXPECT_DOUBLE_EQ(RateController::Cumulative(1000, 10, 0), 0);
  EXPECT_DOUBLE_EQ(RateController::Cumulative(1000, 10, -1), 0);
  EXPECT_DOUBLE_EQ(RateController::Cumulative(1000, 10, 5), 1250);    // 1000·25/20
  EXPECT_DOUBLE_EQ(RateController::Cumulative(1000, 10, 10), 5000);   // half of rate·ramp
  EXPECT_DOUBLE_EQ(RateController::Cumulative(1000, 10, 12), 7000);
  EXPECT_DOUBLE_EQ(RateController::Cumulative(1000, 0, 3), 3000);     // no ramp
  for (double t : {0.1, 1.0, 4.5, 9.99, 10.0, 10.5, 100.0}) {
    const double lines = RateController::Cumulative(1000, 10, t);
    EXPECT_NEAR(RateController::InverseCumulative(1000, 10, lines), t, 1e-9) << t;
  }
}

// Sends like the generator does: wake when a line is due (at least `tick` apart), take all
// whole tokens; returns lines sent in each whole second of [0, seconds).
std::vector<double> Simulate(RateController& pacing, double seconds, double tick) {
  std::vector<double> per_second(static_cast<std::size_t>(seconds), 0);
  double t = 0;
  while (t < seconds) {
    const double due = pacing.Available(t);
    if (due > 0) {
      pacing.Consume(due);
      per_second[static_cast<std::size_t>(t)] += due;
    }
    t = std::max(pacing.WhenAvailable(t, 1), t + tick);
  }
  return per_second;
}

TEST(RateControllerTest, RampsLinearlyThenHoldsTheRate) {
  RateController pacing(1000, 4, 100);
  std::vector<double> per_second = Simulate(pacing, 10, 0.001);
  // During the ramp, second k carries the integral over [k, k+1]: 125·(2k+1).
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(per_second[k], 125 * (2 * k + 1), 2) << k;
  for (int k = 4; k < 10; ++k) EXPECT_NEAR(per_second[k], 1000, 2) << k;
  double total = 0;
  for (double n : per_second) total += n;
  EXPECT_NEAR(total, RateController::Cumulative(1000, 4, 10), 2);
}

TEST(RateControllerTest, CoarseTicksBatchWithoutChangingTheRate) {
  RateController pacing(50000, 0, 5000);
  std::vector<double> per_second = Simulate(pacing, 5, 0.02);  // a POST every 20 ms
  for (double n : per_second) EXPECT_NEAR(n, 50000, 1001);
}

TEST(RateControllerTest, LowRatesWaitForTheirLine) {
  RateController pacing(2, 0, 10);
  // The first line is due at 0.5 s.
  EXPECT_EQ(pacing.Available(0.4), 0);
  EXPECT_NEAR(pacing.WhenAvailable(0.4, 1), 0.5, 1e-12);
  EXPECT_EQ(pacing.Available(0.5), 1);
  pacing.Consume(1);
  EXPECT_NEAR(pacing.WhenAvailable(0.5, 1), 1.0, 1e-12);
}

TEST(RateControllerTest, AStallDoesNotTurnIntoAFlood) {
  RateController pacing(1000, 0, 100);
  EXPECT_EQ(pacing.Available(0.05), 50);
  pacing.Consume(50);
  // 10 s without sending: at most `burst` lines are owed afterwards.
  EXPECT_EQ(pacing.Available(10.05), 100);
  pacing.Consume(100);
  EXPECT_EQ(pacing.Available(10.06), 10);
  // Time never goes back.
  EXPECT_EQ(pacing.Available(5), 10);
}

TEST(RateControllerTest, WhenAvailableDuringTheRampInvertsTheIntegral) {
  RateController pacing(100, 10, 1000);
  // 5 lines are due when rate·t²/(2·ramp) = 5: t = 1 s.
  EXPECT_NEAR(pacing.WhenAvailable(0, 5), 1.0, 1e-12);
  EXPECT_EQ(pacing.Available(1.0), 5);
}

}  // namespace
}  // namespace metricsd::loadgen
