// The `dashboard` section: the built-in web dashboard's pages as data. Each page is a list of
// panels, each panel one PromQL expression drawn one way (line, stacked, heatmap, stat,
// table). Expressions are parsed at load, so a typo is a config error naming its position,
// not an empty chart.
//
// Thread-safety: plain values; immutable once loaded.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"
#include "daemon/core/enum_table.h"

namespace metricsd::web {

enum class PanelKind { kLine, kStacked, kHeatmap, kStat, kTable };
inline constexpr EnumTable<PanelKind, 5> kPanelKindNames{{{{PanelKind::kLine, "line"},
                                                           {PanelKind::kStacked, "stacked"},
                                                           {PanelKind::kHeatmap, "heatmap"},
                                                           {PanelKind::kStat, "stat"},
                                                           {PanelKind::kTable, "table"}}}};

struct Panel {
  std::string title;
  std::string expr;  // PromQL
  // Grafana's legendFormat: "{{process}} {{action}}"; empty: the series' labels.
  std::string legend;
  // How values are formatted: seconds, bytes, bytes/s, percent (0-100), ratio (0-1), ops/s,
  // celsius, short (a plain number).
  std::string unit = "short";
  PanelKind kind = PanelKind::kLine;
  int width = 6;  // of the page's 12 columns
  std::string description;

  bool operator==(const Panel&) const = default;
};

struct Page {
  std::string id;  // the page's address: #/<id>
  std::string title;
  std::vector<Panel> panels;

  bool operator==(const Page&) const = default;
};

// Pages the dashboard draws itself (not from panels): a configured page may not take their id.
inline constexpr std::string_view kBuiltInPageIds[] = {"alerts", "explore", "reports",
                                                       "endpoints"};

// The shipped pages of the game: Overview, Game, Host, Probes (default_pages.cpp).
std::vector<Page> DefaultPages();

struct DashboardConfig {
  bool enabled = true;
  Duration refresh = std::chrono::seconds(5);  // live mode's refresh period
  Duration min_step = std::chrono::seconds(10);
  int max_points = 500;  // per series and chart: the step is range / max_points, or min_step
  std::vector<Page> pages = DefaultPages();

  bool operator==(const DashboardConfig&) const = default;
};

const config::Section<Panel>& PanelSection();
const config::Section<Page>& PageSection();
const config::Section<DashboardConfig>& DashboardSection();

}  // namespace metricsd::web
