#include "daemon/web/dashboard_config.h"

#include <algorithm>
#include <set>

#include "daemon/query/promql_key.h"

namespace metricsd::web {
namespace {

// The units the page knows how to format (format.js); anything else would silently show raw
// numbers, so it is refused at load.
constexpr std::string_view kUnits[] = {"short",   "seconds", "milliseconds", "bytes", "bytes/s",
                                       "percent", "ratio",   "ops/s",        "celsius", "hertz"};

bool ValidPageId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

const config::Section<Panel>& PanelSection() {
  static const auto* section = [] {
    auto* panel = new config::Section<Panel>("One chart, number or table of a page: a PromQL "
                                             "expression drawn one way.");
    panel->String("title", &Panel::title, "shown above the panel").Required()
        .String("expr", &Panel::expr, "PromQL, run over history (query_range; stat and table "
                                      "use the range's end)")
        .Required()
        .String("legend", &Panel::legend,
                "a series' name in the legend, Grafana's legendFormat (`{{process}} "
                "{{action}}`); empty: its labels")
        .String("unit", &Panel::unit,
                "how values read: short, seconds, milliseconds, bytes, bytes/s, percent (0-100), "
                "ratio (0-1), ops/s, celsius, hertz")
        .Enum("kind", &Panel::kind, kPanelKindNames,
              "line, stacked (areas summed), heatmap (of a histogram's `_bucket` rates by `le`), "
              "stat (one number per series), table (labels and value)")
        .Int("width", &Panel::width, 1, 12, "of the page's 12 columns")
        .String("description", &Panel::description, "a tooltip on the title")
        .Check("expr is valid PromQL; unit is known", [](const ConfigNode& node, Panel& p) {
          query::CheckPromQL(node["expr"], p.expr);
          if (std::find(std::begin(kUnits), std::end(kUnits), p.unit) == std::end(kUnits)) {
            std::string known;
            for (std::string_view unit : kUnits) known += (known.empty() ? "" : ", ") + std::string(unit);
            node["unit"].Fail("unknown unit \"" + p.unit + "\" (known: " + known + ")");
          }
        });
    return panel;
  }();
  return *section;
}

const config::Section<Page>& PageSection() {
  static const auto* section = [] {
    auto* page = new config::Section<Page>("A page of the dashboard: panels in rows of 12 columns.");
    page->String("id", &Page::id, "the page's address (`#/<id>`): lower-case letters, digits, `_`, `-`")
        .Required()
        .String("title", &Page::title, "its name in the navigation")
        .Required()
        .List("panels", &Page::panels, PanelSection(), PanelSection().doc())
        .Check("id is an address", [](const ConfigNode& node, Page& p) {
          if (!ValidPageId(p.id)) {
            node["id"].Fail("page id \"" + p.id + "\" must be 1-64 of a-z, 0-9, _ and -");
          }
          for (std::string_view builtin : kBuiltInPageIds) {
            if (p.id == builtin) node["id"].Fail("page id \"" + p.id + "\" is a built-in page's");
          }
        });
    return page;
  }();
  return *section;
}

const config::Section<DashboardConfig>& DashboardSection() {
  static const auto* section = [] {
    auto* dashboard = new config::Section<DashboardConfig>(
        "The built-in dashboard at `/`: pages of PromQL panels over history (uPlot charts, no "
        "external request), plus Alerts, Explore, Reports and Endpoints.");
    dashboard->Bool("enabled", &DashboardConfig::enabled,
                    "serve the dashboard at `/` (off: `/` is the plain list of endpoints)")
        .Dur("refresh", &DashboardConfig::refresh, "live mode's refresh period",
             {.min = std::chrono::seconds(1), .max = std::chrono::hours(1)})
        .Dur("min_step", &DashboardConfig::min_step,
             "the smallest query_range step (history samples every history.interval)",
             {.min = std::chrono::seconds(1), .max = std::chrono::hours(1)})
        .Int("max_points", &DashboardConfig::max_points, 10, 11000,
             "points per series in a chart: the step is the range / max_points, rounded up to "
             "1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h or 1 d, and at "
             "least min_step")
        .List("pages", &DashboardConfig::pages, PageSection(), PageSection().doc())
        .DefaultNote("the game's Overview, Game, Host and Probes (config/metricsd.yaml lists them)")
        .Check("page ids are unique", [](const ConfigNode& node, DashboardConfig& config) {
          std::set<std::string> ids;
          auto items = node["pages"].Items();
          for (std::size_t i = 0; i < config.pages.size(); ++i) {
            if (!ids.insert(config.pages[i].id).second) {
              const ConfigNode& at = i < items.size() ? items[i]["id"] : node["pages"];
              at.Fail("duplicate page id \"" + config.pages[i].id + "\"");
            }
          }
        });
    return dashboard;
  }();
  return *section;
}

}  // namespace metricsd::web
