// Reports: the analytics.reports[] config, the JSON / Markdown / HTML renderers with their SVG
// charts (structure, escaping of hostile text, NaN, empty and failed sections, downsampling,
// well-formed SVG), and delivery (atomic files with rotation, webhook POSTs).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "daemon/analytics/render_html.h"
#include "daemon/analytics/render_json.h"
#include "daemon/analytics/render_markdown.h"
#include "daemon/analytics/report_config.h"
#include "daemon/analytics/report_delivery.h"
#include "daemon/analytics/svg_chart.h"
#include "daemon/core/beast.h"

namespace metricsd::analytics {
namespace {

using query::promql::Point;
using query::promql::Timestamp;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr Timestamp kEnd = 1796277600000;  // 2026-12-03 06:00:00 UTC
constexpr Timestamp kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;
constexpr const char* kHostile =
    "<script>alert(1)</script> | `x` *y* [z](http://e.vil) & \"q\" 'a'";
const double kNaN = std::nan("");

// ---------------------------------------------------------------------------------------------
// A rough XML checker: tags balance, attribute values are quoted, text has no raw '<', and
// every '&' starts an entity. Enough to prove no hostile text broke out of its element.

::testing::AssertionResult WellFormed(std::string_view xml, bool html = false) {
  std::vector<std::string> stack;
  static const std::vector<std::string> kVoid = {"meta", "br", "hr", "img", "link", "input"};
  std::size_t i = 0;
  while (i < xml.size()) {
    char c = xml[i];
    if (c == '&') {
      std::size_t semi = xml.find(';', i);
      if (semi == std::string_view::npos || semi - i > 8) {
        return ::testing::AssertionFailure() << "bare & at " << i << ": " << xml.substr(i, 30);
      }
      i = semi + 1;
      continue;
    }
    if (c != '<') {
      if (c == '>') return ::testing::AssertionFailure() << "bare > at " << i;
      ++i;
      continue;
    }
    if (html && xml.substr(i, 2) == "<!") {
      i = xml.find('>', i) + 1;
      continue;
    }
    bool closing = xml.substr(i, 2) == "</";
    std::size_t name_begin = i + (closing ? 2 : 1);
    std::size_t name_end = xml.find_first_of(" />", name_begin);
    std::string name(xml.substr(name_begin, name_end - name_begin));
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) {
      return ::testing::AssertionFailure() << "bad tag at " << i << ": " << xml.substr(i, 30);
    }
    // Attributes: name="value" pairs up to the tag's end.
    std::size_t j = name_end;
    bool self_closing = false;
    while (j < xml.size() && xml[j] != '>') {
      if (xml[j] == '"') {
        std::size_t close = xml.find('"', j + 1);
        std::string_view value = xml.substr(j + 1, close - j - 1);
        if (value.find('<') != std::string_view::npos) {
          return ::testing::AssertionFailure() << "< in an attribute: " << value;
        }
        j = close + 1;
        continue;
      }
      if (xml[j] == '\'' || xml[j] == '<') {
        return ::testing::AssertionFailure() << "unexpected " << xml[j] << " in tag " << name;
      }
      if (xml[j] == '/' && j + 1 < xml.size() && xml[j + 1] == '>') self_closing = true;
      ++j;
    }
    if (j >= xml.size()) return ::testing::AssertionFailure() << "unterminated tag " << name;
    i = j + 1;
    if (closing) {
      if (stack.empty() || stack.back() != name) {
        return ::testing::AssertionFailure()
               << "</" << name << "> closes " << (stack.empty() ? "nothing" : stack.back());
      }
      stack.pop_back();
    } else if (!self_closing &&
               !(html && std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end())) {
      stack.push_back(name);
      if (name == "style") {  // CSS is raw text
        std::size_t end = xml.find("</style>", i);
        i = end;
      }
    }
  }
  if (!stack.empty()) return ::testing::AssertionFailure() << "unclosed <" << stack.back() << ">";
  return ::testing::AssertionSuccess();
}

std::size_t Count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

std::vector<Point> Wave(Timestamp start, Timestamp end, Timestamp step, double base,
                        std::mt19937& rng) {
  std::normal_distribution<double> noise(0, base * 0.05);
  std::vector<Point> points;
  for (Timestamp t = start; t <= end; t += step) {
    points.push_back({t, base * (1 + 0.3 * std::sin(static_cast<double>(t % kDay) / kDay * 6.283)) +
                             noise(rng)});
  }
  return points;
}

Finding HostileFinding() {
  Finding f;
  f.kind = "regression";
  f.watch = "ao_handler_p95";
  f.labels = {{"action", kHostile}, {"process", "ao-cu-1"}};
  f.start = kEnd - kHour;
  f.detected = kEnd;
  f.magnitude = 12.4;
  f.confidence = kNaN;
  f.summary = kHostile;
  return f;
}

// A document with every block kind, hostile text everywhere, NaN and a failed section.
ReportDocument HostileDocument() {
  std::mt19937 rng(7);
  ReportDocument doc;
  doc.name = "daily";
  doc.title = std::string("Daily ") + kHostile;
  doc.start = kEnd - kDay;
  doc.end = kEnd;
  doc.generated = kEnd;
  doc.source = "local";
  doc.host = kHostile;

  ReportSection main;
  main.id = "regressions";
  main.title = kHostile;
  main.blocks.push_back(
      ReportParagraph{std::string("# not a heading ") + kHostile + "\nsecond line"});
  main.blocks.push_back(ReportKeyValues{{{kHostile, kHostile}, {"p95", FormatReportNumber(kNaN)}}});
  main.blocks.push_back(ReportTable{{"operation", "p95 | ms", "share"},
                                    {{kHostile, "12.3", "n/a"}, {"a|b", "| |", "x\ny"}}});
  ReportChart chart;
  chart.title = kHostile;
  chart.unit = "seconds";
  chart.lines.push_back({kHostile, Wave(kEnd - kDay, kEnd, kMinute, 0.1, rng)});
  chart.lines.push_back({"nan", {{kEnd - kHour, kNaN}, {kEnd, kNaN}}});
  ReportChart::Band band{kHostile, {}, {}};
  for (Timestamp t = kEnd - kDay; t <= kEnd; t += 10 * kMinute) {
    band.lower.push_back({t, 0.08});
    band.upper.push_back({t, 0.12});
  }
  chart.bands.push_back(band);
  chart.markers.push_back({kEnd - 3 * kHour, kHostile});
  chart.threshold = 0.2;
  main.blocks.push_back(chart);
  main.blocks.push_back(ReportFindings{{HostileFinding()}});
  main.notes = {kHostile};
  main.data = {{"value", kNaN}, {"n", 3}};

  ReportSection failed;
  failed.id = "forecasts";
  failed.title = "Forecasts";
  failed.blocks.push_back(ReportParagraph{"SHOULD NOT SHOW"});
  failed.error = std::string("query failed: ") + kHostile;

  doc.sections = {main, failed};
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Config

ReportConfig ParseReport(const std::string& yaml,
                         const std::string& file = "/etc/metricsd/metricsd.yml") {
  return ReportSectionConfig().Parse(ConfigNode(YAML::Load(yaml), file));
}

std::string ParseError(const std::string& yaml) {
  try {
    ParseReport(yaml, "reports.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ReportConfigTest, Defaults) {
  ReportConfig report = ParseReport("name: daily\n");
  EXPECT_EQ(report.name, "daily");
  EXPECT_EQ(report.DisplayTitle(), "metricsd daily report");
  EXPECT_EQ(report.range, std::chrono::hours(24));
  EXPECT_EQ(report.every.count(), 0);
  EXPECT_EQ(report.formats, std::vector<std::string>{"html"});
  EXPECT_EQ(report.keep, 14);
  EXPECT_TRUE(report.directory.empty());
  EXPECT_EQ(report.SectionIds().size(), kReportSectionIds.size());
  EXPECT_FALSE(NextReportRun(report, kEnd).has_value());  // on demand only
}

TEST(ReportConfigTest, FullReport) {
  ReportConfig report = ParseReport(R"(
name: weekly
title: Weekly performance
sections: [summary, regressions, roi]
range: 7d
every: 24h
at: "06:30"
formats: [md, html, json]
directory: reports
keep: 3
webhooks:
  - url: https://chat.example/hook?token=abc
    bearer_token: s3cret
    timeout: 5s
    format: md
  - url: http://127.0.0.1:9000/
)");
  EXPECT_EQ(report.DisplayTitle(), "Weekly performance");
  EXPECT_EQ(report.SectionIds(), (std::vector<std::string>{"summary", "regressions", "roi"}));
  EXPECT_EQ(report.range, std::chrono::hours(24 * 7));
  EXPECT_EQ(report.every, std::chrono::hours(24));
  EXPECT_EQ(report.at, "06:30");
  EXPECT_EQ(report.directory, "/etc/metricsd/reports");  // next to the config file
  EXPECT_EQ(report.keep, 3);
  ASSERT_EQ(report.webhooks.size(), 2u);
  EXPECT_TRUE(report.webhooks[0].url.https);
  EXPECT_EQ(report.webhooks[0].auth.bearer_token, "s3cret");
  EXPECT_EQ(report.webhooks[0].timeout, std::chrono::seconds(5));
  EXPECT_EQ(report.webhooks[0].format, "md");
  EXPECT_EQ(report.webhooks[1].format, "json");
  // The effective config masks the secret; equal configs compare equal.
  std::string rendered = ReportSectionConfig().Render(report).dump();
  EXPECT_THAT(rendered, Not(HasSubstr("s3cret")));
  EXPECT_THAT(rendered, HasSubstr("<secret>"));
  ReportConfig other = report;
  EXPECT_EQ(other, report);
  other.webhooks[0].auth.bearer_token = "other";
  EXPECT_NE(other, report);
}

TEST(ReportConfigTest, RejectsBadKeysWithTheirPosition) {
  std::string error = ParseError("name: daily\nsections:\n  - summary\n  - regresions\n");
  EXPECT_THAT(error, HasSubstr("reports.yml:4:"));
  EXPECT_THAT(error, HasSubstr("unknown section \"regresions\""));
  EXPECT_THAT(ParseError("name: daily\nsections: [summary, summary]\n"), HasSubstr("listed twice"));
  EXPECT_THAT(ParseError("name: daily\nformats: [html, pdf]\n"),
              HasSubstr("unknown format \"pdf\""));
  EXPECT_THAT(ParseError("name: daily\nevery: 30m\n"), HasSubstr("at least 1h"));
  EXPECT_THAT(ParseError("name: daily\nevery: 24h\nat: \"25:00\"\n"), HasSubstr("HH:MM"));
  EXPECT_THAT(ParseError("name: daily\nevery: 24h\nat: \"6:00\"\n"), HasSubstr("HH:MM"));
  EXPECT_THAT(ParseError("name: daily\nat: \"06:00\"\n"), HasSubstr("needs every"));
  EXPECT_THAT(ParseError("name: ../etc\n"), HasSubstr("names files"));
  EXPECT_THAT(ParseError("title: x\n"), HasSubstr("needs a name"));
  EXPECT_THAT(ParseError("name: d\nwebhooks: [{url: ftp://x/}]\n"), HasSubstr("invalid URL"));
  EXPECT_THAT(ParseError("name: d\nwebhooks: [{url: 'http://x/', format: pdf}]\n"),
              HasSubstr("must be one of json, md, html"));
  EXPECT_THAT(ParseError("name: d\nkeep: 0\n"), HasSubstr("keep"));
  EXPECT_THAT(ParseError("name: d\nsectoins: [summary]\n"), HasSubstr("sectoins"));
}

TEST(ReportConfigTest, DocumentedForTheGenerators) {
  // The README's key tables, the default config and the JSON Schema read these.
  std::vector<config::KeyInfo> keys = ReportSectionConfig().Keys();
  ASSERT_EQ(keys.size(), 10u);
  for (const config::KeyInfo& key : keys) EXPECT_FALSE(key.doc.empty()) << key.name;
  nlohmann::json schema = ReportSectionConfig().Schema();
  EXPECT_TRUE(schema["properties"].contains("webhooks"));
  EXPECT_TRUE(schema["properties"]["webhooks"]["items"]["properties"].contains("bearer_token"));
}

TEST(ReportConfigTest, ScheduleAtTimeOfDay) {
  EXPECT_EQ(ParseTimeOfDay("06:30"), 390);
  EXPECT_EQ(ParseTimeOfDay("23:59"), 23 * 60 + 59);
  EXPECT_FALSE(ParseTimeOfDay("24:00"));
  EXPECT_FALSE(ParseTimeOfDay("06:60"));
  EXPECT_FALSE(ParseTimeOfDay("0630"));

  ReportConfig daily;
  daily.every = std::chrono::hours(24);
  daily.at = "06:30";
  // kEnd is 06:00 UTC: the run is today at 06:30, then tomorrow.
  EXPECT_EQ(NextReportRun(daily, kEnd), kEnd + 30 * kMinute);
  EXPECT_EQ(NextReportRun(daily, kEnd + 30 * kMinute), kEnd + 30 * kMinute + kDay);
  daily.at.clear();  // midnight UTC
  EXPECT_EQ(NextReportRun(daily, kEnd), kEnd + 18 * kHour);
  ReportConfig twice;
  twice.every = std::chrono::hours(12);
  twice.at = "06:00";
  EXPECT_EQ(NextReportRun(twice, kEnd), kEnd + 12 * kHour);
  EXPECT_EQ(NextReportRun(twice, kEnd - 1), kEnd);
}

// ---------------------------------------------------------------------------------------------
// Formatting and SVG charts

TEST(ReportFormatTest, NumbersAndUnits) {
  EXPECT_EQ(FormatReportNumber(kNaN), "n/a");
  EXPECT_EQ(FormatReportNumber(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatReportNumber(0), "0");
  EXPECT_EQ(FormatReportNumber(0.012345), "0.0123");
  EXPECT_EQ(FormatReportNumber(12.345), "12.3");
  EXPECT_EQ(FormatReportNumber(100), "100");
  EXPECT_EQ(FormatReportNumber(-0.5), "-0.5");
  EXPECT_EQ(FormatReportNumber(1234.4), "1234");
  EXPECT_EQ(FormatReportNumber(1e-6), "1e-06");
  EXPECT_EQ(FormatValue(0.0123, "seconds"), "12.3 ms");
  EXPECT_EQ(FormatValue(2.5, "seconds"), "2.5 s");
  EXPECT_EQ(FormatValue(9.5 * 86400, "seconds"), "9.5 d");
  EXPECT_EQ(FormatValue(1536, "bytes"), "1.5 KiB");
  EXPECT_EQ(FormatValue(3.0 * (1 << 30), "bytes"), "3 GiB");
  EXPECT_EQ(FormatValue(0.953, "ratio"), "95.3%");
  EXPECT_EQ(FormatValue(kNaN, "bytes"), "n/a");
  EXPECT_EQ(FormatValue(25000, "requests/s"), "25k requests/s");
  EXPECT_EQ(FormatUtc(kEnd), "2026-12-03 06:00 UTC");
  EXPECT_EQ(FormatUtc(kEnd + 3000), "2026-12-03 06:00:03 UTC");
  Finding exhaustion;
  exhaustion.kind = "exhaustion";
  exhaustion.magnitude = 3 * 3600;
  EXPECT_EQ(FormatMagnitude(exhaustion), "in 3 h");
  EXPECT_EQ(FormatMagnitude(HostileFinding()), "+12.4%");
}

TEST(SvgChartTest, DownsampleKeepsExtremesWithinBound) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> value(0, 100);
  std::vector<Point> points;
  for (Timestamp t = 0; t < 100'000; ++t) points.push_back({t * 1000, value(rng)});
  points[31'337].v = -5;   // the global minimum
  points[77'777].v = 250;  // and maximum
  for (Timestamp t = 50'000; t < 50'200; ++t) points[static_cast<std::size_t>(t)].v = kNaN;
  std::vector<Point> out = DownsampleMinMax(points, 0, 99'999'000, 500);
  std::size_t finite = 0, gaps = 0;
  bool has_min = false, has_max = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i > 0) {
      EXPECT_LE(out[i - 1].t, out[i].t);
    }
    if (std::isnan(out[i].v)) {
      ++gaps;
      continue;
    }
    ++finite;
    has_min = has_min || out[i].v == -5;
    has_max = has_max || out[i].v == 250;
  }
  EXPECT_LE(finite, 1000u);
  EXPECT_GE(finite, 900u);
  EXPECT_GE(gaps, 1u);  // the gap survives
  EXPECT_TRUE(has_min);
  EXPECT_TRUE(has_max);
  // Small inputs are left alone.
  std::vector<Point> few(points.begin(), points.begin() + 100);
  EXPECT_EQ(DownsampleMinMax(few, 0, 99'000, 500).size(), 100u);
}

TEST(SvgChartTest, WellFormedAndEscaped) {
  ReportDocument doc = HostileDocument();
  const auto& chart = std::get<ReportChart>(doc.sections[0].blocks[3]);
  std::string svg = RenderSvgChart(chart);
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, Not(HasSubstr("<script")));
  EXPECT_THAT(svg, HasSubstr("&lt;script&gt;"));
  EXPECT_THAT(svg, HasSubstr("stroke-dasharray=\"6 4\""));  // the threshold
  EXPECT_THAT(svg, HasSubstr("fill-opacity=\"0.18\""));     // the band
  EXPECT_THAT(svg, HasSubstr(">UTC<"));
  EXPECT_THAT(svg, HasSubstr(" ms<"));     // value ticks in the unit
  EXPECT_THAT(svg, HasSubstr(">12:00<"));  // time ticks, UTC
}

TEST(SvgChartTest, LongLinesAreDownsampledAndGapsBreakTheLine) {
  std::mt19937 rng(3);
  ReportChart chart;
  chart.unit = "bytes";
  chart.lines.push_back({"week", Wave(kEnd - 7 * kDay, kEnd, kMinute, 4e9, rng)});  // 10081 points
  for (auto& p : chart.lines[0].points) {
    if (p.t > kEnd - 3 * kDay && p.t < kEnd - 2 * kDay) p.v = kNaN;
  }
  std::string svg = RenderSvgChart(chart);
  EXPECT_TRUE(WellFormed(svg));
  std::size_t begin = svg.find("<path d=\"");
  ASSERT_NE(begin, std::string::npos);
  std::string d = svg.substr(begin + 9, svg.find('"', begin + 9) - begin - 9);
  std::size_t vertices = Count(d, "M") + Count(d, "L");
  EXPECT_LE(vertices, 1000u);
  EXPECT_GE(vertices, 500u);
  EXPECT_EQ(Count(d, "M"), 2u);  // one gap: two runs
  EXPECT_THAT(svg, HasSubstr(" GiB<"));
  EXPECT_LT(svg.size(), 40'000u);
}

TEST(SvgChartTest, InvalidUtf8IsReplaced) {
  EXPECT_EQ(EscapeXml("ok \xff\xfe é 日本 \xed\xa0\x80 \x01<"),
            "ok \uFFFD\uFFFD é 日本 \uFFFD\uFFFD\uFFFD &lt;");
  ReportChart chart;
  chart.title = "bad \xc3";
  chart.lines.push_back({"\xe6\x97", {{kEnd, 1}, {kEnd + kMinute, 2}}});
  std::string svg = RenderSvgChart(chart);
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_THAT(svg, HasSubstr("bad \uFFFD"));
}

TEST(SvgChartTest, EmptyChartSaysNoData) {
  ReportChart chart;
  chart.title = "empty";
  std::string svg = RenderSvgChart(chart);
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_THAT(svg, HasSubstr("no data"));
  chart.lines.push_back({"all NaN", {{kEnd, kNaN}, {kEnd + kMinute, kNaN}}});
  svg = RenderSvgChart(chart);
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_THAT(svg, HasSubstr("no data"));
  EXPECT_THAT(svg, Not(HasSubstr("<path")));
}

TEST(SvgChartTest, ManySeriesAreBounded) {
  ReportChart chart;
  chart.unit = "seconds";
  for (int i = 0; i < 1000; ++i) {
    ReportChart::Line line{"s" + std::to_string(i), {}};
    for (Timestamp t = kEnd - 7 * kDay; t <= kEnd; t += 5 * kMinute) {
      line.points.push_back({t, 0.001 * i + 0.0001 * static_cast<double>((t / kMinute) % 13)});
    }
    chart.lines.push_back(std::move(line));
  }
  auto started = std::chrono::steady_clock::now();
  std::string svg = RenderSvgChart(chart);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_EQ(Count(svg, "<path"), 100u);  // max_lines
  EXPECT_THAT(svg, HasSubstr("900 series not drawn"));
  EXPECT_LT(svg.size(), 2'000'000u);
  RecordProperty("svg_bytes_1000_series_7d", std::to_string(svg.size()));
  RecordProperty("svg_seconds_1000_series_7d", std::to_string(seconds));
}

// ---------------------------------------------------------------------------------------------
// Renderers

TEST(RenderHtmlTest, SelfContainedAndEscaped) {
  std::string html = RenderHtml(HostileDocument());
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_THAT(html,
              HasSubstr("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                        "&#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src data:\">"));
  EXPECT_TRUE(WellFormed(html, /*html=*/true));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("href=\"http")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));  // nothing fetched from CSS either
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_EQ(Count(html, "<svg"), 1u);
  EXPECT_THAT(html, HasSubstr("<style>"));
  // The failed section shows its error instead of its blocks.
  EXPECT_THAT(html, HasSubstr("could not be built"));
  EXPECT_THAT(html, Not(HasSubstr("SHOULD NOT SHOW")));
  EXPECT_THAT(html, HasSubstr("n/a"));  // NaN confidence and value
  EXPECT_THAT(html, HasSubstr("+12.4%"));
  EXPECT_THAT(html, HasSubstr("2026-12-02 06:00 UTC to 2026-12-03 06:00 UTC"));
  EXPECT_THAT(html, HasSubstr("id=\"s0-regressions\""));
  EXPECT_THAT(html, HasSubstr("href=\"#s1-forecasts\""));
}

TEST(RenderHtmlTest, EmptyDocument) {
  ReportDocument doc;
  doc.name = "empty";
  std::string html = RenderHtml(doc);
  EXPECT_TRUE(WellFormed(html, true));
  EXPECT_THAT(html, HasSubstr("<title>empty</title>"));
  EXPECT_THAT(html, HasSubstr("no sections"));
}

TEST(RenderHtmlTest, WeekOfManySeriesStaysSmall) {
  // 7 days x 1,000 series at 5-minute steps in one chart, plus 10 charts of 10 minutely lines.
  ReportDocument doc;
  doc.name = "big";
  ReportSection section;
  section.id = "bottlenecks";
  ReportChart all;
  all.unit = "seconds";
  for (int i = 0; i < 1000; ++i) {
    ReportChart::Line line{"s" + std::to_string(i), {}};
    for (Timestamp t = kEnd - 7 * kDay; t <= kEnd; t += 5 * kMinute) {
      line.points.push_back({t, 0.001 * i});
    }
    all.lines.push_back(std::move(line));
  }
  section.blocks.push_back(std::move(all));
  std::mt19937 rng(11);
  for (int c = 0; c < 10; ++c) {
    ReportChart chart;
    chart.unit = "seconds";
    for (int i = 0; i < 10; ++i)
      chart.lines.push_back({"l", Wave(kEnd - 7 * kDay, kEnd, kMinute, 0.1, rng)});
    section.blocks.push_back(std::move(chart));
  }
  doc.sections.push_back(std::move(section));
  auto started = std::chrono::steady_clock::now();
  std::string html = RenderHtml(doc);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(html.size(), 4u << 20);
  RecordProperty("html_bytes", std::to_string(html.size()));
  RecordProperty("html_seconds", std::to_string(seconds));
}

TEST(RenderJsonTest, EverySectionWithBlocksAndData) {
  std::string text = RenderJson(HostileDocument());
  nlohmann::json json = nlohmann::json::parse(text);
  EXPECT_EQ(json["name"], "daily");
  EXPECT_EQ(json["end"], 1796277600.0);
  ASSERT_EQ(json["sections"].size(), 2u);
  const auto& main = json["sections"][0];
  EXPECT_EQ(main["id"], "regressions");
  EXPECT_TRUE(main["error"].is_null());
  EXPECT_EQ(main["title"], kHostile);  // JSON keeps text as is: escaping is its serialiser's
  ASSERT_EQ(main["blocks"].size(), 5u);
  EXPECT_EQ(main["blocks"][0]["type"], "paragraph");
  EXPECT_EQ(main["blocks"][1]["type"], "key_values");
  EXPECT_EQ(main["blocks"][2]["type"], "table");
  EXPECT_EQ(main["blocks"][2]["rows"][1][0], "a|b");
  const auto& chart = main["blocks"][3];
  EXPECT_EQ(chart["type"], "chart");
  EXPECT_EQ(chart["unit"], "seconds");
  EXPECT_EQ(chart["threshold"], 0.2);
  EXPECT_EQ(chart["lines"][0]["points"].size(), 1441u);      // full resolution
  EXPECT_TRUE(chart["lines"][1]["points"][0][1].is_null());  // NaN
  EXPECT_EQ(chart["bands"][0]["lower"].size(), 145u);
  EXPECT_EQ(chart["markers"][0]["text"], kHostile);
  EXPECT_EQ(main["blocks"][4]["type"], "findings");
  EXPECT_EQ(main["blocks"][4]["findings"][0]["watch"], "ao_handler_p95");
  EXPECT_TRUE(main["blocks"][4]["findings"][0]["confidence"].is_null());
  EXPECT_TRUE(main["data"]["value"].is_null());
  EXPECT_EQ(main["data"]["n"], 3);
  EXPECT_EQ(main["notes"][0], kHostile);
  EXPECT_EQ(json["sections"][1]["error"], std::string("query failed: ") + kHostile);
}

TEST(RenderJsonTest, LongLinesAreBounded) {
  std::mt19937 rng(5);
  ReportDocument doc;
  ReportSection section;
  ReportChart chart;
  chart.lines.push_back({"week", Wave(kEnd - 7 * kDay, kEnd, kMinute, 1, rng)});  // 10081 points
  chart.lines[0].points[5000].v = 1000;  // a spike survives
  section.blocks.push_back(chart);
  doc.sections.push_back(section);
  nlohmann::json points = ReportToJson(doc)["sections"][0]["blocks"][0]["lines"][0]["points"];
  EXPECT_LE(points.size(), kJsonChartPoints);
  EXPECT_GE(points.size(), kJsonChartPoints / 2);
  bool spike = false;
  for (const auto& p : points) spike = spike || p[1] == 1000.0;
  EXPECT_TRUE(spike);
}

TEST(RenderJsonTest, InvalidUtf8AndEmptyDocument) {
  ReportDocument doc;
  doc.name = "bad\xff\xfe";
  nlohmann::json json;
  ASSERT_NO_THROW(json = nlohmann::json::parse(RenderJson(doc)));
  EXPECT_EQ(json["sections"].size(), 0u);
  EXPECT_EQ(json["name"], "bad\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(RenderMarkdownTest, StructureAndEscaping) {
  std::string md = RenderMarkdown(HostileDocument());
  EXPECT_THAT(md, Not(HasSubstr("<script")));
  EXPECT_THAT(md, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  // No link made of the hostile text: every "](" is escaped.
  for (std::size_t at = md.find("]("); at != std::string::npos; at = md.find("](", at + 1)) {
    EXPECT_EQ(md[at - 1], '\\') << md.substr(at - 10, 20);
  }
  EXPECT_THAT(md, HasSubstr("\\# not a heading"));
  EXPECT_THAT(md, Not(HasSubstr("SHOULD NOT SHOW")));
  EXPECT_THAT(md, HasSubstr("**Error:**"));
  EXPECT_THAT(md, HasSubstr("n/a"));
  EXPECT_THAT(md, HasSubstr("- **WARNING** regression"));
  EXPECT_THAT(md, HasSubstr("| series | last | min | max | trend |"));
  EXPECT_THAT(md, HasSubstr("Threshold: 200 ms"));
  // Every table row has exactly as many unescaped pipes as its header.
  std::istringstream lines(md);
  std::string line;
  std::size_t header_pipes = 0, rows = 0;
  while (std::getline(lines, line)) {
    if (!line.starts_with("|")) {
      header_pipes = 0;
      continue;
    }
    std::size_t pipes = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\') {
        ++i;
        continue;
      }
      pipes += line[i] == '|';
    }
    if (header_pipes == 0) header_pipes = pipes;
    EXPECT_EQ(pipes, header_pipes) << line;
    ++rows;
  }
  EXPECT_GE(rows, 8u);
  // Empty document.
  ReportDocument empty;
  empty.name = "empty";
  EXPECT_THAT(RenderMarkdown(empty), HasSubstr("no sections"));
  // A finding without a known start says so rather than 1970.
  ReportDocument unknown;
  ReportSection section;
  Finding finding = HostileFinding();
  finding.start = 0;
  section.blocks.push_back(ReportFindings{{finding}});
  unknown.sections.push_back(section);
  EXPECT_THAT(RenderMarkdown(unknown), HasSubstr("since n/a"));
  EXPECT_THAT(RenderHtml(unknown), Not(HasSubstr("1970-01-01")));
}

TEST(RenderMarkdownTest, Sparkline) {
  std::vector<Point> rising;
  for (int i = 0; i < 48; ++i) rising.push_back({i * kMinute, static_cast<double>(i)});
  std::string line = Sparkline(rising, 8);
  EXPECT_TRUE(line.starts_with("▁"));
  EXPECT_TRUE(line.ends_with("█"));
  rising[0].v = rising[1].v = rising[2].v = rising[3].v = rising[4].v = rising[5].v = kNaN;
  EXPECT_TRUE(Sparkline(rising, 8).starts_with(" "));
  EXPECT_EQ(Sparkline({}, 8), "");
}

// ---------------------------------------------------------------------------------------------
// Delivery

class ReportDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("metricsd_report_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> Files() const {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ / "reports")) {
      files.push_back(entry.path().filename().string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  std::filesystem::path dir_;
};

TEST_F(ReportDeliveryTest, WritesAtomicallyAndRotates) {
  ReportConfig report;
  report.name = "daily";
  report.directory = (dir_ / "reports").string();  // created on first write
  report.keep = 3;
  EXPECT_EQ(ReportFileName("daily", "html", kEnd), "daily-20261203T060000Z.html");
  std::string first = WriteReport(report, "html", "<p>0</p>", kEnd);
  EXPECT_EQ(first, (dir_ / "reports" / "daily-20261203T060000Z.html").string());
  std::ifstream in(first);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "<p>0</p>");
  // Files of other reports and formats are not rotated away.
  WriteReport(report, "md", "md", kEnd);
  std::ofstream(dir_ / "reports" / "daily-x-20200101T000000Z.html") << "other report";
  std::ofstream(dir_ / "reports" / "notes.txt") << "someone's";
  for (int i = 1; i < 6; ++i) WriteReport(report, "html", std::to_string(i), kEnd + i * kDay);
  std::vector<std::string> expected = {
      "daily-20261203T060000Z.md",   "daily-20261206T060000Z.html",   "daily-20261207T060000Z.html",
      "daily-20261208T060000Z.html", "daily-x-20200101T000000Z.html", "notes.txt"};
  EXPECT_EQ(Files(), expected);  // no temporary left behind either
}

TEST_F(ReportDeliveryTest, UnwritableDirectoryIsAClearError) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "file") << "not a directory";
  ReportConfig report;
  report.name = "daily";
  report.directory = (dir_ / "file" / "reports").string();
  try {
    WriteReport(report, "html", "x", kEnd);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr((dir_ / "file" / "reports").string()));
    EXPECT_THAT(e.what(), HasSubstr("Not a directory"));
  }
  report.directory.clear();
  EXPECT_THROW(WriteReport(report, "html", "x", kEnd), std::runtime_error);
}

TEST_F(ReportDeliveryTest, FailedWriteLeavesNoPartialFile) {
  // A file size limit stands in for a full disk (no root, no mount): write() fails part-way
  // (EFBIG), as with ENOSPC. Checked by hand on a full 64 KiB tmpfs: "cannot write report
  // .../daily-20261203T060000Z.html: No space left on device", nothing left behind.
  ReportConfig report;
  report.name = "daily";
  report.directory = (dir_ / "reports").string();
  WriteReport(report, "html", "old", kEnd - kDay);
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &previous), 0);
  rlimit limit{}, saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  limit = saved;
  limit.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  std::string error;
  try {
    WriteReport(report, "html", std::string(100'000, 'x'), kEnd);
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::sigaction(SIGXFSZ, &previous, nullptr);
  EXPECT_THAT(error, HasSubstr("cannot write report"));
  EXPECT_THAT(error, HasSubstr("daily-20261203T060000Z.html"));
  EXPECT_THAT(error, HasSubstr("too large"));
  // The earlier report stays; no partial file or temporary is left.
  EXPECT_EQ(Files(), std::vector<std::string>{"daily-20261202T060000Z.html"});
}

// One HTTP exchange on 127.0.0.1: records the request and answers `status`.
class OneShotServer {
 public:
  explicit OneShotServer(unsigned status)
      : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this, status] {
      net::ip::tcp::socket socket(ioc_);
      acceptor_.accept(socket);
      beast::flat_buffer buffer;
      http::read(socket, buffer, request_);
      HttpResponse response{static_cast<http::status>(status), 11};
      response.body() = "ok";
      response.prepare_payload();
      http::write(socket, response);
      boost::system::error_code ec;
      socket.shutdown(net::ip::tcp::socket::shutdown_both, ec);
    });
  }
  ~OneShotServer() { thread_.join(); }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const HttpRequest& request() const { return request_; }

 private:
  net::io_context ioc_;
  net::ip::tcp::acceptor acceptor_;
  HttpRequest request_;
  std::thread thread_;
};

PostResult Post(const WebhookTarget& target, std::string body) {
  net::io_context ioc;
  PostResult result;
  int calls = 0;
  PostReport(ioc, target, std::move(body), "text/markdown; charset=utf-8", [&](PostResult r) {
    result = std::move(r);
    ++calls;
  });
  ioc.run_for(std::chrono::seconds(10));
  EXPECT_EQ(calls, 1);
  return result;
}

TEST(ReportWebhookTest, PostsWithCredentials) {
  OneShotServer server(200);
  WebhookTarget target;
  target.url = *ParseUrl("http://127.0.0.1:" + std::to_string(server.port()) + "/hook?token=t0k");
  target.auth.bearer_token = "s3cret";
  PostResult result = Post(target, "# report");
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.status, 200u);
  EXPECT_EQ(server.request().method(), http::verb::post);
  EXPECT_EQ(server.request().target(), "/hook?token=t0k");
  EXPECT_EQ(server.request().body(), "# report");
  EXPECT_EQ(server.request()[http::field::content_type], "text/markdown; charset=utf-8");
  EXPECT_EQ(server.request()[http::field::authorization], "Bearer s3cret");
}

TEST(ReportWebhookTest, FailuresNameNoSecret) {
  {
    OneShotServer server(503);
    WebhookTarget target;
    target.url = *ParseUrl("http://127.0.0.1:" + std::to_string(server.port()) + "/hook?token=t0k");
    target.auth.username = "user";
    target.auth.password = "s3cret";
    PostResult result = Post(target, "{}");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.status, 503u);
    EXPECT_THAT(result.error, HasSubstr("HTTP 503"));
    EXPECT_THAT(result.error, Not(HasSubstr("s3cret")));
    EXPECT_THAT(result.error, Not(HasSubstr("t0k")));  // the query string is redacted
  }
  // Nothing listening: a connect error.
  std::uint16_t port;
  {
    net::io_context ioc;
    net::ip::tcp::acceptor probe(ioc, {net::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  WebhookTarget closed;
  closed.url = *ParseUrl("http://127.0.0.1:" + std::to_string(port) + "/");
  closed.auth.bearer_token = "s3cret";
  closed.timeout = std::chrono::seconds(2);
  PostResult refused = Post(closed, "{}");
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.status, 0u);
  EXPECT_THAT(refused.error, Not(HasSubstr("s3cret")));
  // An unreadable secret file fails before connecting, naming the file only.
  WebhookTarget missing = closed;
  missing.auth.bearer_token.clear();
  missing.auth.bearer_token_file = "/nonexistent/token";
  PostResult unread = Post(missing, "{}");
  EXPECT_FALSE(unread.ok);
  EXPECT_THAT(unread.error, HasSubstr("/nonexistent/token"));
}

}  // namespace
}  // namespace metricsd::analytics
