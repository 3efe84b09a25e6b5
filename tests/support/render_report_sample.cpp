// Renders a realistic synthetic report (7 days of minutely data: seasonal latencies with a step,
// a filling filesystem with its forecast band, an Apdex with a gap, many series, hostile labels,
// a failed section) as report.html, report.md and report.json into the directory given, for the
// browser test (tests/browser/report_html_test.js) and for looking at by eye.
//
//   render_report_sample OUT_DIR
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numbers>
#include <random>
#include <string>

#include "daemon/analytics/render_html.h"
#include "daemon/analytics/render_json.h"
#include "daemon/analytics/render_markdown.h"

namespace {

using metricsd::analytics::Finding;
using metricsd::analytics::ReportChart;
using metricsd::analytics::ReportDocument;
using metricsd::analytics::ReportFindings;
using metricsd::analytics::ReportKeyValues;
using metricsd::analytics::ReportParagraph;
using metricsd::analytics::ReportSection;
using metricsd::analytics::ReportTable;
using metricsd::query::promql::Point;
using metricsd::query::promql::Timestamp;

constexpr Timestamp kEnd = 1796277600000;  // 2026-12-03 06:00 UTC
constexpr Timestamp kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;
constexpr Timestamp kStart = kEnd - 7 * kDay;
constexpr const char* kHostile = "<script>alert(1)</script> | `x` *y* <img src=x onerror=alert(2)>";

double Daily(Timestamp t) {
  return std::sin(2 * std::numbers::pi * static_cast<double>(t % kDay) / static_cast<double>(kDay));
}

std::vector<Point> Latency(std::mt19937& rng, double base, Timestamp step_at, double step) {
  std::normal_distribution<double> noise(0, base * 0.04);
  std::vector<Point> points;
  for (Timestamp t = kStart; t <= kEnd; t += kMinute) {
    double v = base * (1 + 0.25 * Daily(t)) + noise(rng);
    if (t >= step_at) v *= 1 + step;
    points.push_back({t, v});
  }
  return points;
}

Finding MakeFinding(std::string kind, std::string watch, double magnitude, std::string severity,
                    std::string summary) {
  Finding f;
  f.kind = std::move(kind);
  f.watch = std::move(watch);
  f.labels = {{"process", "ao-cu-1"}, {"action", kHostile}};
  f.start = kEnd - 2 * kDay;
  f.detected = kEnd - 2 * kDay + 20 * kMinute;
  f.magnitude = magnitude;
  f.confidence = 0.97;
  f.severity = std::move(severity);
  f.summary = std::move(summary);
  return f;
}

ReportDocument Sample() {
  std::mt19937 rng(20261203);
  ReportDocument doc;
  doc.name = "daily";
  doc.title = "metricsd daily report";
  doc.start = kStart;
  doc.end = kEnd;
  doc.generated = kEnd + 3000;
  doc.source = "local";
  doc.host = "game-01";

  Finding regression = MakeFinding("regression", "ao_handler_p95", 12.4, "warning",
                                   "AO handler p95 is 12% slower since the deploy.");
  Finding exhaustion = MakeFinding("exhaustion", "filesystem", 9.5 * 86400, "critical",
                                   "/var fills up in about 9.5 days at the current growth.");
  exhaustion.labels = {{"mountpoint", "/var"}};

  ReportSection summary;
  summary.id = "summary";
  summary.title = "Summary";
  summary.blocks.push_back(
      ReportParagraph{"Two findings over the last 7 days; " + std::string(kHostile)});
  summary.blocks.push_back(ReportKeyValues{{{"watches", "14"},
                                            {"series analysed", "1,024"},
                                            {"hostile key " + std::string(kHostile), kHostile}}});
  summary.blocks.push_back(ReportFindings{{regression, exhaustion}});

  ReportSection regressions;
  regressions.id = "regressions";
  regressions.title = "Regressions against baseline";
  ReportChart latency;
  latency.title = "AO handler p95 (seconds)";
  latency.unit = "seconds";
  const char* processes[] = {"ao-cu-1", "ao-cu-2", kHostile};
  for (int i = 0; i < 3; ++i) {
    latency.lines.push_back({std::string("process=") + processes[i],
                             Latency(rng, 0.12 + 0.03 * i, kEnd - 2 * kDay, i == 0 ? 0.12 : 0)});
  }
  ReportChart::Band baseline{"baseline p10..p90", {}, {}};
  for (Timestamp t = kStart; t <= kEnd; t += 5 * kMinute) {
    baseline.lower.push_back({t, 0.12 * (1 + 0.25 * Daily(t)) * 0.9});
    baseline.upper.push_back({t, 0.12 * (1 + 0.25 * Daily(t)) * 1.1});
  }
  latency.bands.push_back(std::move(baseline));
  latency.markers.push_back({kEnd - 2 * kDay, "deploy v1.2.3"});
  latency.markers.push_back({kEnd - 2 * kDay + 20 * kMinute, "change point"});
  latency.markers.push_back({kEnd - 4 * kDay, kHostile});
  latency.threshold = 0.25;
  regressions.blocks.push_back(latency);
  regressions.blocks.push_back(ReportFindings{{regression}});
  regressions.notes = {"Mann-Whitney U on the last hour against the same hour-of-week baseline.",
                       "A step under 5% is not reported."};
  regressions.data = {{"tested_series", 3}, {"p_value", 0.0004}, {"nan_example", std::nan("")}};

  ReportSection forecasts;
  forecasts.id = "forecasts";
  forecasts.title = "Forecasts";
  ReportChart disk;
  disk.title = "Filesystem /var used";
  disk.unit = "bytes";
  std::normal_distribution<double> jitter(0, 2e7);
  for (Timestamp t = kStart; t <= kEnd; t += 10 * kMinute) {
    double days = static_cast<double>(t - kStart) / kDay;
    if (disk.lines.empty()) disk.lines.push_back({"used", {}});
    disk.lines[0].points.push_back({t, 40e9 + days * 2.5e9 + jitter(rng)});
  }
  ReportChart::Band forecast{"forecast 95% interval", {}, {}};
  ReportChart::Line mean{"forecast", {}};
  for (Timestamp t = kEnd; t <= kEnd + 3 * kDay; t += kHour) {
    double days = static_cast<double>(t - kStart) / kDay;
    double spread = 1e9 * std::sqrt(static_cast<double>(t - kEnd) / kDay + 0.1);
    mean.points.push_back({t, 40e9 + days * 2.5e9});
    forecast.lower.push_back({t, 40e9 + days * 2.5e9 - spread});
    forecast.upper.push_back({t, 40e9 + days * 2.5e9 + spread});
  }
  disk.lines.push_back(std::move(mean));
  disk.bands.push_back(std::move(forecast));
  disk.threshold = 80e9;
  forecasts.blocks.push_back(disk);
  forecasts.blocks.push_back(ReportTable{{"resource", "MAPE", "coverage"},
                                         {{"/var", "2.1%", "94%"}, {"memory", "n/a", "n/a"}}});
  forecasts.notes = {"Holt-Winters, additive, daily season; back-tested on the last 7 days."};

  ReportSection ux;
  ux.id = "ux";
  ux.title = "User experience";
  ReportChart apdex;
  apdex.title = "Apdex (T = 100 ms)";
  apdex.unit = "ratio";
  apdex.lines.push_back({"apdex", {}});
  for (Timestamp t = kStart; t <= kEnd; t += 5 * kMinute) {
    bool gap = t > kStart + 3 * kDay && t < kStart + 3 * kDay + 6 * kHour;
    apdex.lines[0].points.push_back({t, gap ? std::nan("") : 0.93 + 0.04 * Daily(t)});
  }
  ux.blocks.push_back(apdex);
  ux.blocks.push_back(ReportFindings{});

  ReportSection bottlenecks;
  bottlenecks.id = "bottlenecks";
  bottlenecks.title = "Bottlenecks";
  bottlenecks.blocks.push_back(ReportTable{
      {"operation", "p95", "share of time"},
      {{"Battle.Resolve", "182 ms", "31%"}, {kHostile, "95 ms", "12%"}, {"a | b", "n/a", "0%"}}});
  ReportChart many;
  many.title = "DB query p95 by table (30 series)";
  many.unit = "seconds";
  for (int i = 0; i < 30; ++i) {
    ReportChart::Line line{"table=t" + std::to_string(i), {}};
    for (Timestamp t = kStart; t <= kEnd; t += kHour) {
      line.points.push_back({t, 0.002 * (i + 1) * (1 + 0.2 * Daily(t))});
    }
    many.lines.push_back(std::move(line));
  }
  bottlenecks.blocks.push_back(many);

  ReportSection capacity;
  capacity.id = "capacity";
  capacity.title = "Capacity runway";
  capacity.error = "query failed: <b>timeout</b> after 30s";
  capacity.notes = {"Runway from the forecasts above."};

  doc.sections = {summary, regressions, forecasts, ux, bottlenecks, capacity};
  return doc;
}

void Write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
  std::cout << path.string() << " " << text.size() << " bytes\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: render_report_sample OUT_DIR\n";
    return 2;
  }
  try {
    std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    ReportDocument doc = Sample();
    Write(dir / "report.html", metricsd::analytics::RenderHtml(doc));
    Write(dir / "report.md", metricsd::analytics::RenderMarkdown(doc));
    Write(dir / "report.json", metricsd::analytics::RenderJson(doc));
  } catch (const std::exception& e) {
    std::cerr << "render_report_sample: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
