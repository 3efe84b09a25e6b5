#include "daemon/analytics/report_config.h"

#include <algorithm>
#include <set>

#include "daemon/client/url_key.h"

namespace metricsd::analytics {
namespace {

using config::Section;

constexpr auto kHour = std::chrono::hours(1);

template <std::size_t N>
bool OneOf(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

template <std::size_t N>
std::string Joined(const std::array<std::string_view, N>& names) {
  std::string out;
  for (std::string_view name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

// Each item of the list `key` is one of `names`, at most once; a bad one is named at its position.
template <std::size_t N>
void CheckItems(const ConfigNode& node, std::string_view key, const std::vector<std::string>& items,
                const std::array<std::string_view, N>& names, std::string_view what) {
  std::vector<ConfigNode> positions = node[key].Items();
  std::set<std::string> seen;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const ConfigNode& at = i < positions.size() ? positions[i] : node[key];
    if (!OneOf(names, items[i])) {
      at.Fail("unknown " + std::string(what) + " \"" + items[i] + "\" (expected one of " +
              Joined(names) + ")");
    }
    if (!seen.insert(items[i]).second) at.Fail("\"" + items[i] + "\" is listed twice");
  }
}

const Section<WebhookTarget>& WebhookSection() {
  static const auto* section = [] {
    auto* webhook = new Section<WebhookTarget>(
        "A URL the rendered report is POSTed to (Content-Type of its format).");
    AddUrlKey(*webhook, "url", &WebhookTarget::url, "http:// or https:// URL receiving the POST")
        .Required("needs a url");
    webhook->Include(&WebhookTarget::auth, HttpAuthSection())
        .Block("tls", &WebhookTarget::tls, TlsSection(), "TLS of https URLs")
        .Dur("timeout", &WebhookTarget::timeout, "time allowed for the whole request",
             config::DurationBounds{std::chrono::seconds(1), std::chrono::minutes(10)})
        .String("format", &WebhookTarget::format, "the rendering POSTed: json, md or html")
        .Check("format is json, md or html", [](const ConfigNode& node, WebhookTarget& target) {
          if (!OneOf(kReportFormats, target.format)) {
            node["format"].Fail("must be one of " + Joined(kReportFormats) + ", got \"" +
                                target.format + "\"");
          }
        });
    return webhook;
  }();
  return *section;
}

}  // namespace

bool WebhookTarget::operator==(const WebhookTarget& other) const {
  auto auth_tuple = [](const HttpAuth& a) {
    return std::tie(a.username, a.password, a.password_file, a.bearer_token, a.bearer_token_file);
  };
  return url.ToString() == other.url.ToString() && auth_tuple(auth) == auth_tuple(other.auth) &&
         tls == other.tls && timeout == other.timeout && format == other.format;
}

std::string ReportConfig::DisplayTitle() const {
  return title.empty() ? "metricsd " + name + " report" : title;
}

std::vector<std::string> ReportConfig::SectionIds() const {
  if (!sections.empty()) return sections;
  return {kReportSectionIds.begin(), kReportSectionIds.end()};
}

std::optional<int> ParseTimeOfDay(std::string_view text) {
  auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    return std::nullopt;
  }
  int hours = (text[0] - '0') * 10 + (text[1] - '0');
  int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

std::optional<query::promql::Timestamp> NextReportRun(const ReportConfig& report,
                                                      query::promql::Timestamp after) {
  const std::int64_t every = report.every.count();
  if (every <= 0) return std::nullopt;
  // Runs are anchor + k * every; the anchor is `at` on 1970-01-01 (UTC), so a 24h report with
  // at: "06:00" runs at 06:00 every day and a 12h one at 06:00 and 18:00.
  std::int64_t anchor = 0;
  if (std::optional<int> minutes = ParseTimeOfDay(report.at))
    anchor = std::int64_t{*minutes} * 60'000;
  std::int64_t offset = after - anchor;
  std::int64_t k = offset >= 0 ? offset / every : -((-offset + every - 1) / every);
  return anchor + (k + 1) * every;
}

std::string_view ReportExtension(std::string_view format) {
  if (format == "md") return "md";
  if (format == "json") return "json";
  return "html";
}

std::string_view ReportContentType(std::string_view format) {
  if (format == "md") return "text/markdown; charset=utf-8";
  if (format == "json") return "application/json";
  return "text/html; charset=utf-8";
}

const config::Section<ReportConfig>& ReportSectionConfig() {
  static const auto* section = [] {
    auto* report = new Section<ReportConfig>(
        "A named report: sections over a range, rendered as JSON, Markdown or self-contained "
        "HTML, on demand (GET /api/v1/reports/NAME, metricsd report) and on a schedule, "
        "written to a directory with rotation and POSTed to webhooks.");
    report->String("name", &ReportConfig::name, "the report's name in URLs and file names")
        .Required("needs a name")
        .String("title", &ReportConfig::title, "the heading; empty: \"metricsd NAME report\"")
        .Strings("sections", &ReportConfig::sections,
                 "sections in order, of " + Joined(kReportSectionIds) + "; empty: all")
        .Dur("range", &ReportConfig::range, "the time range covered, ending at the run",
             config::DurationBounds{std::chrono::minutes(5), std::chrono::hours(24 * 366)})
        .Dur("every", &ReportConfig::every,
             "how often the report is made and delivered (at least 1h); 0: on demand only")
        .String("at", &ReportConfig::at,
                "HH:MM (UTC): the time of day scheduled runs start from (every: 24h at: "
                "\"06:00\" runs daily at 06:00); empty: at multiples of every since 00:00 UTC")
        .Strings("formats", &ReportConfig::formats, "formats written: json, md, html")
        .Path("directory", &ReportConfig::directory,
              "where scheduled reports are written as NAME-<UTC time>.EXT, relative to this "
              "file; empty: not written")
        .Int("keep", &ReportConfig::keep, 1, 100000,
             "files kept per format; older ones are deleted")
        .List("webhooks", &ReportConfig::webhooks, WebhookSection(), WebhookSection().doc())
        .Check(
            "name is [A-Za-z0-9_.-]+; sections and formats known and not repeated; every is "
            "0 or at least 1h; at is HH:MM and needs every",
            [](const ConfigNode& node, ReportConfig& config) {
              if (config.name.empty() ||
                  !std::all_of(config.name.begin(), config.name.end(),
                               [](char c) {
                                 return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
                               }) ||
                  config.name.front() == '.') {
                node["name"].Fail(
                    "must be letters, digits, '_', '-' or '.' (not first): it "
                    "names files and URLs");
              }
              CheckItems(node, "sections", config.sections, kReportSectionIds, "section");
              CheckItems(node, "formats", config.formats, kReportFormats, "format");
              if (config.every.count() != 0 && config.every < kHour) {
                node["every"].Fail("must be 0 (on demand only) or at least 1h, got " +
                                   FormatDuration(config.every));
              }
              if (!config.at.empty()) {
                if (!ParseTimeOfDay(config.at)) {
                  node["at"].Fail("must be HH:MM (00:00 to 23:59, UTC), got \"" + config.at + "\"");
                }
                if (config.every.count() == 0)
                  node["at"].Fail("needs every (at is the time of a scheduled run)");
              }
              if (!config.directory.empty() && config.formats.empty()) {
                node["formats"].Fail("needs at least one format to write to directory");
              }
            });
    return report;
  }();
  return *section;
}

}  // namespace metricsd::analytics
