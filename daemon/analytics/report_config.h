// `analytics.reports[]`: a named report — which sections, over which range, how often, in which
// formats, written where (with rotation) and POSTed to which webhooks.
//
// Thread-safety: plain values, immutable once loaded; the section is safe from any thread.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/client/url.h"
#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"
#include "daemon/core/http_client_config.h"
#include "daemon/query/promql/value.h"

namespace metricsd::analytics {

// The section ids a report may list, in the order a report shows them.
inline constexpr std::array<std::string_view, 13> kReportSectionIds = {
    "summary",     "baselines", "regressions", "trends", "forecasts",  "capacity", "leaks",
    "bottlenecks", "ux",        "correlation", "impact", "comparison", "roi"};

// The formats a report is rendered in.
inline constexpr std::array<std::string_view, 3> kReportFormats = {"json", "md", "html"};

// Where a rendered report is POSTed.
struct WebhookTarget {
  Url url;
  HttpAuth auth;
  TlsOptions tls;
  Duration timeout = std::chrono::seconds(30);
  std::string format = "json";  // the rendering POSTed: json, md or html

  // HttpAuth has no operator== of its own; every member is compared.
  bool operator==(const WebhookTarget& other) const;
};

struct ReportConfig {
  std::string name;
  std::string title;                  // empty: "metricsd <name> report"
  std::vector<std::string> sections;  // kReportSectionIds; empty: all of them
  Duration range = std::chrono::hours(24);
  Duration every{0};  // 0: on demand only
  // "HH:MM" UTC: the time of day a scheduled report runs; empty: aligned to `every`.
  std::string at;
  std::vector<std::string> formats = {"html"};
  std::string directory;  // resolved against the config file; empty: not written
  int keep = 14;          // files kept per report and format
  std::vector<WebhookTarget> webhooks;

  bool operator==(const ReportConfig&) const = default;

  // The title shown: `title`, or "metricsd <name> report".
  std::string DisplayTitle() const;
  // The sections in report order: `sections` as listed, or every id when empty.
  std::vector<std::string> SectionIds() const;
};

const config::Section<ReportConfig>& ReportSectionConfig();

// "HH:MM" (00:00..23:59) as minutes after midnight; nullopt otherwise.
std::optional<int> ParseTimeOfDay(std::string_view text);

// The first scheduled run strictly after `after` (ms): runs are at `at` (UTC) plus multiples of
// `every` each day when `at` is set, else at multiples of `every` since the epoch (so a 24h
// report runs at 00:00 UTC). nullopt when the report runs on demand only (every == 0).
std::optional<query::promql::Timestamp> NextReportRun(const ReportConfig& report,
                                                      query::promql::Timestamp after);

// File name extension and HTTP Content-Type of a format (json, md, html).
std::string_view ReportExtension(std::string_view format);
std::string_view ReportContentType(std::string_view format);

}  // namespace metricsd::analytics
