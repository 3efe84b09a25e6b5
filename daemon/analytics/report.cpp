#include "daemon/analytics/report.h"

#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <map>

#include "daemon/analytics/baseline.h"
#include "daemon/analytics/bottlenecks.h"
#include "daemon/analytics/capacity.h"
#include "daemon/analytics/comparison.h"
#include "daemon/analytics/detect.h"
#include "daemon/analytics/forecast.h"
#include "daemon/analytics/impact.h"
#include "daemon/analytics/leak.h"
#include "daemon/analytics/regression.h"
#include "daemon/analytics/render_html.h"
#include "daemon/analytics/render_json.h"
#include "daemon/analytics/render_markdown.h"
#include "daemon/analytics/roi.h"
#include "daemon/analytics/trend.h"
#include "daemon/analytics/ux.h"
#include "daemon/core/logging.h"

namespace metricsd::analytics {
namespace {

using Builder = std::function<ReportSection(const AnalysisContext&)>;

ReportSection BuildSummarySection(const AnalysisContext& context) {
  ReportSection section;
  section.id = "summary";
  section.title = "Summary";
  DetectOutcome outcome = DetectAll(context);
  std::map<std::string, int> by_kind;
  for (const Finding& f : outcome.findings) ++by_kind[f.kind];
  ReportKeyValues figures;
  figures.items.emplace_back("data source", context.engine.Describe());
  figures.items.emplace_back("watches", std::to_string(context.config.watches.size()));
  figures.items.emplace_back("findings now", std::to_string(outcome.findings.size()));
  for (const auto& [kind, n] : by_kind) figures.items.emplace_back(kind, std::to_string(n));
  section.blocks.emplace_back(std::move(figures));
  if (outcome.findings.empty()) {
    section.blocks.emplace_back(ReportParagraph{
        "No regression, gradual degradation, possible leak or resource running out was found."});
  } else {
    section.blocks.emplace_back(ReportFindings{outcome.findings});
  }
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : outcome.findings) findings.push_back(FindingToJson(f));
  section.data = {{"findings", std::move(findings)}, {"errors", outcome.errors}};
  for (const std::string& error : outcome.errors) {
    section.notes.push_back("could not run " + error);
  }
  return section;
}

// Every id of kReportSectionIds (report_config.h) has its builder here.
const std::map<std::string_view, Builder>& Builders() {
  static const auto* builders = new std::map<std::string_view, Builder>{
      {"summary", BuildSummarySection},
      {"baselines", BuildBaselinesSection},
      {"regressions", BuildRegressionsSection},
      {"trends", BuildTrendsSection},
      {"forecasts", BuildForecastsSection},
      {"capacity", BuildCapacitySection},
      {"leaks", BuildLeaksSection},
      {"bottlenecks", BuildBottlenecksSection},
      {"ux", BuildUxSection},
      {"correlation", BuildCorrelationSection},
      {"impact", BuildImpactSection},
      {"comparison", BuildComparisonSection},
      {"roi", BuildRoiSection},
  };
  return *builders;
}

}  // namespace

ReportDocument BuildReport(const AnalysisContext& base, const ReportConfig& report,
                           std::string_view host) {
  AnalysisContext context = base;
  context.end = context.now;
  context.start = context.now - std::chrono::duration_cast<std::chrono::milliseconds>(report.range).count();
  ReportDocument document;
  document.name = report.name;
  document.title = report.title.empty() ? "metricsd " + report.name + " report" : report.title;
  document.start = context.start;
  document.end = context.end;
  document.generated = context.now;
  document.source = context.engine.Describe();
  document.host = std::string(host);
  // In the order the report lists them (all, in kReportSectionIds' order, when it lists none).
  for (const std::string& id : report.SectionIds()) {
    auto builder = Builders().find(id);
    ReportSection section;
    const auto began = std::chrono::steady_clock::now();
    try {
      if (builder == Builders().end()) throw std::runtime_error("no such section");
      section = builder->second(context);
    } catch (const std::exception& e) {
      section.error = e.what();
    }
    LogDebug("report section built",
             {{"report", report.name},
              {"section", id},
              {"seconds", std::to_string(std::chrono::duration<double>(
                                             std::chrono::steady_clock::now() - began)
                                             .count())}});
    if (section.id.empty()) section.id = id;
    if (section.title.empty()) section.title = id;
    document.sections.push_back(std::move(section));
  }
  return document;
}

std::string RenderReport(const ReportDocument& document, std::string_view format) {
  if (format == "json") return RenderJson(document);
  if (format == "md") return RenderMarkdown(document);
  if (format == "html") return RenderHtml(document);
  return {};
}

}  // namespace metricsd::analytics
