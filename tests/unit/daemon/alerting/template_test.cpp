// Annotation templates: the variables and functions Prometheus rules use, Go's formatting of
// numbers, and parse errors that name the offset.
#include "daemon/alerting/template.h"

#include <gtest/gtest.h>

#include <cmath>

namespace metricsd::alerting {
namespace {

std::string Render(std::string_view text, double value, const LabelMap& labels = {},
                   const LabelMap& external = {}) {
  return AlertTemplate::Parse(text).Render({value, &labels, &external});
}

std::string ParseError(std::string_view text) {
  try {
    AlertTemplate::Parse(text);
  } catch (const TemplateError& e) {
    return e.what();
  }
  return "";
}

TEST(TemplateTest, VariablesAndLiterals) {
  LabelMap labels{{"process", "abc"}, {"action", "Transfer"}};
  LabelMap external{{"site", "eu1"}};
  EXPECT_EQ(Render("{{ $labels.process }} {{ $labels.action }} at {{$externalLabels.site}}: {{ $value }}",
                   0.75, labels, external),
            "abc Transfer at eu1: 0.75");
  EXPECT_EQ(Render("missing: [{{ $labels.nope }}]", 1, labels), "missing: []");
  EXPECT_EQ(Render("no actions at all", 1), "no actions at all");
  // A whole map as Go's fmt prints a map[string]string (awesome-prometheus-alerts' descriptions).
  EXPECT_EQ(Render("LABELS = {{ $labels }}", 1, labels), "LABELS = map[action:Transfer process:abc]");
  EXPECT_EQ(Render("{{ $externalLabels }}", 1, labels, external), "map[site:eu1]");
  EXPECT_EQ(Render("{{ \"quoted\" }} {{ 42 }}", 1), "quoted 42");
  EXPECT_EQ(Render("a {{- \" b \" -}} c", 1), "a b c");
}

TEST(TemplateTest, FunctionsPipedAndCalled) {
  EXPECT_EQ(Render("{{ $value | humanize }}", 1234567), "1.235M");
  EXPECT_EQ(Render("{{ humanize $value }}", 0.000123), "123u");
  EXPECT_EQ(Render("{{ $value | humanizeDuration }}", 0.25), "250ms");
  EXPECT_EQ(Render("{{ $value | humanizeDuration }}", 3725.5), "1h 2m 5.5s");
  EXPECT_EQ(Render("{{ $value | humanizeDuration }}", 90061), "1d 1h 1m 1s");
  EXPECT_EQ(Render("{{ $value | humanizePercentage }}", 0.1234), "12.34%");
  EXPECT_EQ(Render("{{ $value | printf \"%.2f\" }}", 3.14159), "3.14");
  EXPECT_EQ(Render("{{ printf \"%.1f%% of %s\" $value \"disk\" }}", 12.345), "12.3% of disk");
  EXPECT_EQ(Render("{{ printf \"%d\" $value }}", 7.9), "7");
  EXPECT_EQ(Render("{{ $labels.n | humanize }}", 0, {{"n", "2048"}}), "2.048k");
}

TEST(TemplateTest, NumbersAsGoWritesThem) {
  EXPECT_EQ(FormatGoFloat(0.5), "0.5");
  EXPECT_EQ(FormatGoFloat(123456), "123456");
  EXPECT_EQ(FormatGoFloat(1e6), "1e+06");
  EXPECT_EQ(FormatGoFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatGoFloat(0.00001), "1e-05");
  EXPECT_EQ(FormatGoFloat(std::nan("")), "NaN");
  EXPECT_EQ(FormatGoFloat(-INFINITY), "-Inf");
  EXPECT_EQ(Humanize(0), "0");
  EXPECT_EQ(Humanize(-1500), "-1.5k");
  EXPECT_EQ(HumanizeDuration(0), "0s");
  EXPECT_EQ(HumanizeDuration(-90), "-1m 30s");
  EXPECT_EQ(HumanizeDuration(INFINITY), "+Inf");
}

TEST(TemplateTest, ParseErrorsSayWhatAndWhere) {
  EXPECT_EQ(ParseError("p95 is {{ $value | humanise }}"),
            "at offset 19: unknown function \"humanise\" (known: humanize, humanizeDuration, "
            "humanizePercentage, printf)");
  EXPECT_EQ(ParseError("{{ $lables.x }}"),
            "at offset 3: unknown variable \"$lables.x\" (known: $value, $labels, $labels.NAME, $externalLabels, "
            "$externalLabels.NAME)");
  EXPECT_EQ(ParseError("value {{ $value"), "at offset 6: unclosed action (missing }})");
  EXPECT_EQ(ParseError("{{ }}"), "at offset 3: empty action");
  EXPECT_EQ(ParseError("{{ printf $value }}"), "at offset 3: printf needs a format string first");
  EXPECT_EQ(ParseError("{{ \"open }}"), "at offset 3: unterminated string");
  EXPECT_EQ(ParseError("{{ $value | }}"), "at offset 12: a piped value needs a function after |");
  EXPECT_EQ(ParseError("{{ humanize $value $value }}"), "at offset 3: humanize takes one value");
}

}  // namespace
}  // namespace metricsd::alerting
