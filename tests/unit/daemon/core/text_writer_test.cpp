// Proves the exposition writer against prometheus-cpp's TextSerializer, byte for byte.
#include "daemon/core/text_writer.h"

#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include "daemon/core/collectable_source.h"
#include "daemon/core/family_builder.h"

namespace metricsd {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A Source with every family type, awkward label values and awkward numbers.
class EveryTypeSource final : public Source {
 public:
  std::string_view Name() const override { return "every_type"; }
  void Visit(FamilyVisitor& v) const override {
    Label escaped[] = {{"path", "C:\\dir\\\"quoted\"\nnext"}, {"empty", ""}};
    Label plain[] = {{"cpu", "0"}, {"mode", "idle"}};

    v.Family("test_counter_total", "A counter.", MetricType::kCounter);
    v.Sample(plain, 123456.0);
    v.Sample(escaped, 0.1);

    v.Family("test_gauge", "Help with a \\ backslash\nand a newline.", MetricType::kGauge);
    for (double value : {0.0, -0.0, 1.0, -1.0, 0.5, 1e-7, 5e-324, 1e15, 1e16, 1e300, -2.5e-10,
                         123456789012345.0, 1234567890123456789.0, 1.0 / 3.0, 0.1 + 0.2, kNaN,
                         kInf, -kInf, std::numeric_limits<double>::max()}) {
      v.Sample(plain, value);
    }

    v.Family("test_no_help", "", MetricType::kGauge);
    v.Sample({}, 42);

    v.Family("test_untyped", "Untyped.", MetricType::kUntyped);
    v.Sample(escaped, -3);

    v.Family("test_seconds", "A histogram.", MetricType::kHistogram);
    double bounds[] = {0.005, 0.1, 1, 2.5, 1e10};
    std::uint64_t counts[] = {1, 2, 3, 3, 7};
    v.Histogram(plain, bounds, counts, 12.75, 9);
    v.Histogram({}, {}, {}, 0, 0);

    v.Family("test_summary", "A summary.", MetricType::kSummary);
    Quantile quantiles[] = {{0.5, 1.5}, {0.9, kNaN}, {0.99, 2e-9}};
    v.Summary(escaped, quantiles, 100.25, 40);

    v.Family("test_empty_family", "No samples.", MetricType::kCounter);
  }
};

// The text format escapes \ and newline in HELP; TextSerializer writes HELP raw. Feeding it
// pre-escaped help is the one adjustment between the two.
std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Serialize(std::vector<prometheus::MetricFamily> families) {
  for (auto& family : families) family.help = EscapeHelp(family.help);
  return prometheus::TextSerializer().Serialize(families);
}

std::string Write(const Source& source) {
  std::string out;
  TextWriter writer(out);
  source.Visit(writer);
  return out;
}

TEST(TextWriterTest, MatchesTextSerializerOnEveryTypeByteForByte) {
  EveryTypeSource source;
  std::string ours = Write(source);
  std::string theirs = Serialize(CollectFamilies(source));
  EXPECT_EQ(ours, theirs);
  // Guard against both sides being empty or trivially equal.
  EXPECT_THAT(ours, ::testing::HasSubstr("test_seconds_bucket{cpu=\"0\",mode=\"idle\",le=\"+Inf\"} 9\n"));
}

TEST(TextWriterTest, MatchesTextSerializerOnARealRegistry) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& requests = prometheus::BuildCounter().Name("requests_total").Help("Requests.").Register(*registry);
  requests.Add({{"code", "200"}, {"handler", "/metrics"}}).Increment(17);
  requests.Add({{"code", "500"}, {"handler", "/\"odd\"\\path"}}).Increment(0.25);
  prometheus::BuildGauge().Name("temperature").Help("T.").Register(*registry).Add({}).Set(-12.5);
  auto& latency = prometheus::BuildHistogram().Name("latency_seconds").Help("L.").Register(*registry);
  auto& histogram = latency.Add({{"op", "read"}}, prometheus::Histogram::BucketBoundaries{0.01, 0.1, 1});
  for (double x : {0.005, 0.05, 0.5, 5.0}) histogram.Observe(x);
  auto& summary = prometheus::BuildSummary().Name("size_bytes").Help("S.").Register(*registry)
                      .Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}});
  for (int i = 1; i <= 100; ++i) summary.Observe(i);

  CollectableSource source("registry", registry);
  EXPECT_EQ(Write(source), prometheus::TextSerializer().Serialize(registry->Collect()));
}

TEST(TextWriterTest, EscapesLabelValuesAndHelpPerTheTextFormat) {
  class Escapes final : public Source {
   public:
    std::string_view Name() const override { return "escapes"; }
    void Visit(FamilyVisitor& v) const override {
      v.Family("x", "a\\b\nc \"q\"", MetricType::kGauge);
      Label label{"l", "a\\b\nc\"d"};
      v.Sample({&label, 1}, 1);
    }
  };
  EXPECT_EQ(Write(Escapes()),
            "# HELP x a\\\\b\\nc \"q\"\n"
            "# TYPE x gauge\n"
            "x{l=\"a\\\\b\\nc\\\"d\"} 1\n");
}

TEST(FormatDoubleTest, AgreesWithOstreamAtSixteenDigitsOnRandomValues) {
  // TextSerializer formats through an ostream with precision 16; sample a wide range of
  // magnitudes, integers and non-integers.
  std::mt19937_64 rng(20261127);
  std::uniform_real_distribution<double> mantissa(-10, 10);
  std::uniform_int_distribution<int> exponent(-320, 300);
  std::uniform_int_distribution<std::int64_t> integer(-(1LL << 53), 1LL << 53);
  std::ostringstream expected;
  expected.imbue(std::locale::classic());
  expected.precision(16);
  for (int i = 0; i < 200000; ++i) {
    double value = (i % 3 == 0) ? static_cast<double>(integer(rng))
                                : mantissa(rng) * std::pow(10.0, exponent(rng));
    expected.str("");
    expected << value;
    char buf[32];
    ASSERT_EQ(FormatDouble(value, buf), expected.str()) << "value index " << i;
  }
}

TEST(FormatDoubleTest, SpellsSpecialValuesAsPrometheusCppDoes) {
  char buf[32];
  EXPECT_EQ(FormatDouble(kNaN, buf), "Nan");
  EXPECT_EQ(FormatDouble(kInf, buf), "+Inf");
  EXPECT_EQ(FormatDouble(-kInf, buf), "-Inf");
  EXPECT_EQ(FormatDouble(-0.0, buf), "-0");
  EXPECT_EQ(FormatDouble(1e15, buf), "1000000000000000");
  EXPECT_EQ(FormatDouble(1e16, buf), "1e+16");
  EXPECT_EQ(FormatDouble(999999999999999.0, buf), "999999999999999");
}

}  // namespace
}  // namespace metricsd
