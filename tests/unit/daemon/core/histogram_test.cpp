#include "daemon/core/histogram.h"

#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <gtest/gtest.h>

#include "daemon/core/text_writer.h"

namespace metricsd {
namespace {

TEST(HistogramTest, CountsCumulativelyLikePrometheusCpp) {
  std::vector<double> bounds = {0.001, 0.01, 0.1, 1};
  Histogram ours(bounds);
  auto registry = std::make_shared<prometheus::Registry>();
  auto& theirs = prometheus::BuildHistogram().Name("latency_seconds").Help("L.").Register(*registry)
                     .Add({{"handler", "/metrics"}}, prometheus::Histogram::BucketBoundaries(bounds));
  for (double x : {0.0005, 0.001, 0.002, 0.05, 0.05, 0.5, 3.0, 0.1}) {
    ours.Observe(x);  // a value equal to a bound falls in that bucket (le)
    theirs.Observe(x);
  }
  std::string text;
  TextWriter writer(text);
  writer.Family("latency_seconds", "L.", MetricType::kHistogram);
  const Label labels[] = {{"handler", "/metrics"}};
  ours.Visit(writer, labels);
  EXPECT_EQ(text, prometheus::TextSerializer().Serialize(registry->Collect()));
  EXPECT_EQ(ours.count(), 8u);
  EXPECT_DOUBLE_EQ(ours.sum(), 3.7035);
}

TEST(HistogramTest, RejectsBoundsThatDoNotIncrease) {
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_NO_THROW(Histogram({}));
}

}  // namespace
}  // namespace metricsd
