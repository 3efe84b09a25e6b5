// Prometheus's names and the text format's escaping (daemon/core/metric_names.h), as tables:
// each row is one input and what every caller (writer, StatsD, alert rules) must get for it.
#include "daemon/core/metric_names.h"

#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

namespace metricsd {
namespace {

TEST(IsValidUtf8Test, AcceptsWellFormed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc2\x80"));                  // U+0080, the first 2-byte form
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));               // é
  EXPECT_TRUE(IsValidUtf8("\xe0\xa0\x80"));              // U+0800, the first 3-byte form
  EXPECT_TRUE(IsValidUtf8("\xed\x9f\xbf"));              // U+D7FF, just below the surrogates
  EXPECT_TRUE(IsValidUtf8("\xee\x80\x80"));              // U+E000, just above them
  EXPECT_TRUE(IsValidUtf8("\xef\xbf\xbf"));              // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xf0\x90\x80\x80"));          // U+10000, the first 4-byte form
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x8e\xae"));          // 🎮
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));          // U+10FFFF, the last code point
}

TEST(IsValidUtf8Test, RejectsWhatGoRejects) {
  // Overlong forms: '/' as 2, 3 and 4 bytes, and NUL as 2 bytes (C0/C1 never start one).
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xe0\x9f\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x80\x80\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));
  // Surrogates U+D800 and U+DFFF.
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));
  // Above U+10FFFF: U+110000, and the lead bytes F5..FF.
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xf8\x88\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  // Truncated sequences, lone continuation bytes, a continuation replaced by ASCII.
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("ok\xe2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x9f\x8e"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("a\xbf" "b"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x28\xa1"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x9f\x8e\x41"));
}

TEST(LabelNameTest, PrometheusCharset) {
  EXPECT_TRUE(IsValidLabelName("zone"));
  EXPECT_TRUE(IsValidLabelName("_x9"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("9x"));
  EXPECT_FALSE(IsValidLabelName("a-b"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_TRUE(IsValidMetricName("a:b"));
  EXPECT_TRUE(IsValidMetricName(":a"));
  EXPECT_FALSE(IsValidMetricName("1a"));
  EXPECT_FALSE(IsValidMetricName("a.b"));
  EXPECT_FALSE(IsValidMetricName(""));
}

struct NameRow {
  std::string_view name;
  bool metric;  // IsValidMetricName
  bool label;   // IsValidLabelName
};

TEST(NameCharsetTest, EveryRow) {
  const NameRow rows[] = {
      {"http_requests_total", true, true},
      {"_x9", true, true},
      {"__name__", true, true},  // valid; reserved is a separate question
      {"a:b", true, false},
      {":a", true, false},
      {"a", true, true},
      {"", false, false},
      {"1a", false, false},
      {"a.b", false, false},
      {"a-b", false, false},
      {"a b", false, false},
      {"caf\xc3\xa9", false, false},
  };
  for (const NameRow& row : rows) {
    EXPECT_EQ(IsValidMetricName(row.name), row.metric) << row.name;
    EXPECT_EQ(IsValidLabelName(row.name), row.label) << row.name;
  }
}

TEST(NameCharsetTest, ReservedLabelNamesAreTheDoubleUnderscoreOnes) {
  EXPECT_TRUE(IsReservedLabelName("__name__"));
  EXPECT_TRUE(IsReservedLabelName("__"));
  EXPECT_FALSE(IsReservedLabelName("_x"));
  EXPECT_FALSE(IsReservedLabelName("le"));
}

TEST(EscapeMetricNameTest, MatchesStatsdExporter) {
  const std::pair<std::string_view, std::string_view> rows[] = {
      {"battle.phase-1/duration", "battle_phase_1_duration"},
      {"9lives", "_9lives"},
      {"ok_name", "ok_name"},
      {"a:b", "a_b"},  // ':' is valid in metric names but not in label names: escaped
      {"caf\xc3\xa9", "caf_"},  // one '_' per character, not per byte
      {"with--doubledash", "with_doubledash"},
      {"a---b-c", "a_b_c"},
      // statsd_exporter's escape_test.go table.
      {"clean", "clean"},
      {"0starts_with_digit", "_0starts_with_digit"},
      {"with_underscore", "with_underscore"},
      {"with---multiple-dashes", "with_multiple_dashes"},
      {"with.dot", "with_dot"},
      {"with\xf0\x9f\x98\xb1" "emoji", "with_emoji"},
      {"with.*.multiple", "with___multiple"},
      {"test.web-server.foo.bar", "test_web_server_foo_bar"},
      {"a.-b", "a__b"},  // only a run of '-' collapses
      {"\xe2\x82\xac-\xf0\x9f\x98\x80--x", "____x"},
      {"", ""},
  };
  std::string reused = "left over";
  for (const auto& [in, out] : rows) {
    EXPECT_EQ(EscapeMetricName(in), out) << in;
    EscapeMetricNameInto(reused, in);
    EXPECT_EQ(reused, out) << in;
    if (!out.empty()) {
      EXPECT_TRUE(IsValidMetricName(out)) << out;
      EXPECT_TRUE(IsValidLabelName(out)) << out;
    }
  }
}

TEST(TextFormatEscapingTest, LabelValuesEscapeQuotesHelpDoesNot) {
  struct Row {
    std::string_view in, label_value, help;
  };
  const Row rows[] = {
      {"plain", "plain", "plain"},
      {"C:\\dir", "C:\\\\dir", "C:\\\\dir"},
      {"say \"hi\"", "say \\\"hi\\\"", "say \"hi\""},
      {"two\nlines", "two\\nlines", "two\\nlines"},
      {"", "", ""},
  };
  for (const Row& row : rows) {
    std::string value = "x=";
    AppendEscapedLabelValue(value, row.in);
    EXPECT_EQ(value, "x=" + std::string(row.label_value)) << row.in;
    std::string help;
    AppendEscapedHelp(help, row.in);
    EXPECT_EQ(help, row.help) << row.in;
  }
}

}  // namespace
}  // namespace metricsd
