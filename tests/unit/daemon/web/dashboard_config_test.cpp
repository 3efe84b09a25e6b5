#include "daemon/web/dashboard_config.h"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/config/config.h"
#include "daemon/query/promql/parser.h"
#include "tests/unit/support/config_error_of.h"

namespace metricsd::web {
namespace {

using ::testing::HasSubstr;

// A `dashboard:` section with one page "team" holding one panel whose keys are `panel`
// (YAML flow mapping text).
std::string OnePanel(const std::string& panel) {
  return "dashboard:\n"
         "  pages:\n"
         "    - id: team\n"
         "      title: Team\n"
         "      panels:\n"
         "        - " + panel + "\n";
}

std::string ErrorOf(const std::string& yaml) {
  return ConfigErrorOf([&] { LoadConfigText(yaml, "dash.yaml"); });
}

TEST(DashboardConfigTest, DefaultsAreTheShippedPages) {
  Config config = LoadConfigText("", "empty.yaml");
  EXPECT_TRUE(config.dashboard.enabled);
  EXPECT_EQ(config.dashboard.refresh, std::chrono::seconds(5));
  EXPECT_EQ(config.dashboard.min_step, std::chrono::seconds(10));
  EXPECT_EQ(config.dashboard.max_points, 500);
  ASSERT_EQ(config.dashboard.pages, DefaultPages());
  std::vector<std::pair<std::string, std::string>> ids;
  for (const Page& page : config.dashboard.pages) ids.emplace_back(page.id, page.title);
  EXPECT_EQ(ids, (std::vector<std::pair<std::string, std::string>>{
                     {"overview", "Overview"}, {"game", "Game"}, {"host", "Host"},
                     {"probes", "Probes"}}));
}

TEST(DashboardConfigTest, DefaultPanelsAreValid) {
  const std::set<std::string> units = {"short",   "seconds", "milliseconds", "bytes", "bytes/s",
                                       "percent", "ratio",   "ops/s",        "celsius", "hertz"};
  for (const Page& page : DefaultPages()) {
    EXPECT_GE(page.panels.size(), 8u) << page.id;
    EXPECT_LE(page.panels.size(), 16u) << page.id;
    std::set<std::string> titles;
    for (const Panel& panel : page.panels) {
      SCOPED_TRACE(page.id + ": " + panel.title);
      EXPECT_TRUE(titles.insert(panel.title).second) << "duplicate title";
      query::promql::ParseError error;
      EXPECT_NE(query::promql::ParseExpr(panel.expr, &error), nullptr) << error.ToString(panel.expr);
      EXPECT_TRUE(units.contains(panel.unit)) << panel.unit;
      EXPECT_GE(panel.width, 1);
      EXPECT_LE(panel.width, 12);
      // A heatmap draws a histogram's bucket rates by le.
      if (panel.kind == PanelKind::kHeatmap) {
        EXPECT_THAT(panel.expr, HasSubstr("_bucket["));
        EXPECT_THAT(panel.expr, HasSubstr("by (le)"));
      }
    }
  }
}

TEST(DashboardConfigTest, DefaultPagesUseTheGameAndHostNames) {
  std::string all;
  for (const Page& page : DefaultPages()) {
    for (const Panel& panel : page.panels) all += panel.expr + "\n";
  }
  for (const char* name :
       {"metricsd_statsd_lines_total", "metricsd_statsd_samples_total", "probe_success",
        "metricsd_collector_duration_seconds", "metricsd_http_requests_total",
        "metricsd_history_samples_appended_total", "game_ao_handler_duration_seconds_bucket",
        "game_battle_phase_duration_seconds_bucket", "game_db_query_duration_seconds_bucket",
        "game_ui_ao_latency_seconds_bucket", "game_ui_frame_seconds_bucket",
        "node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_disk_read_bytes_total",
        "node_filesystem_avail_bytes", "node_network_receive_bytes_total", "node_pressure_",
        "namedprocess_namegroup_", "probe_http_duration_seconds", "probe_ssl_earliest_cert_expiry",
        "ao_dryrun_duration_seconds_bucket"}) {
    EXPECT_THAT(all, HasSubstr(name));
  }
}

TEST(DashboardConfigTest, RendersAndParsesBackEqual) {
  Config config = LoadConfigText("", "empty.yaml");
  // The section alone, rendered as JSON (which is YAML).
  std::string section = DashboardSection().Render(config.dashboard).dump();
  Config again = LoadConfigText("dashboard: " + section + "\n", "rendered.json");
  EXPECT_EQ(again.dashboard, config.dashboard);
  // And inside the whole effective config as /api/v1/status/config shows it.
  Config from_yaml = LoadConfigText(config.ToYaml(), "effective.yaml");
  EXPECT_EQ(from_yaml.dashboard, config.dashboard);
}

TEST(DashboardConfigTest, ReadsACustomPage) {
  Config config = LoadConfigText(
      "dashboard:\n"
      "  refresh: 10s\n"
      "  max_points: 300\n"
      "  pages:\n"
      "    - id: team-1\n"
      "      title: Team 1\n"
      "      panels:\n"
      "        - {title: Rate, expr: 'sum(rate(game_battles_total[1m]))', unit: ops/s,"
      " kind: stacked, width: 12, legend: '{{outcome}}', description: d}\n",
      "dash.yaml");
  EXPECT_EQ(config.dashboard.refresh, std::chrono::seconds(10));
  EXPECT_EQ(config.dashboard.max_points, 300);
  ASSERT_EQ(config.dashboard.pages.size(), 1u);
  EXPECT_EQ(config.dashboard.pages[0].panels,
            (std::vector<Panel>{Panel{.title = "Rate",
                                      .expr = "sum(rate(game_battles_total[1m]))",
                                      .legend = "{{outcome}}",
                                      .unit = "ops/s",
                                      .kind = PanelKind::kStacked,
                                      .width = 12,
                                      .description = "d"}}));
}

TEST(DashboardConfigTest, BadPromQLNamesItsPosition) {
  // The key's position in the file, then Prometheus's position inside the expression.
  EXPECT_EQ(ErrorOf(OnePanel("{title: A, expr: 'sum(rate(x[5m]) by'}")),
            "dash.yaml:6:28: dashboard.pages[0].panels[0].expr: 1:17: parse error: unexpected "
            "<by> in aggregation");

  // On a line of its own (block style): that line and column.
  std::string error = ErrorOf("dashboard:\n"
                  "  pages:\n"
                  "    - id: team\n"
                  "      title: Team\n"
                  "      panels:\n"
                  "        - title: A\n"
                  "          expr: rate(x[5m]) +\n");
  EXPECT_EQ(error, "dash.yaml:7:17: dashboard.pages[0].panels[0].expr: 1:14: parse error: "
                   "unexpected end of input");
}

TEST(DashboardConfigTest, RefusesBadPagesAndPanels) {
  struct Case {
    std::string yaml;
    std::string error;
  };
  const Case cases[] = {
      {"dashboard:\n"
       "  pages:\n"
       "    - {id: a, title: A}\n"
       "    - {id: a, title: B}\n",
       "dash.yaml:4:12: dashboard.pages[1].id: duplicate page id \"a\""},
      {"dashboard:\n"
       "  pages:\n"
       "    - {id: explore, title: Mine}\n",
       "dash.yaml:3:12: dashboard.pages[0].id: page id \"explore\" is a built-in page's"},
      {"dashboard:\n"
       "  pages:\n"
       "    - {id: My Page, title: Mine}\n",
       "dash.yaml:3:12: dashboard.pages[0].id: page id \"My Page\" must be 1-64 of a-z, 0-9, _ "
       "and -"},
      {OnePanel("{title: A, expr: up, unit: furlongs}"),
       "dash.yaml:6:38: dashboard.pages[0].panels[0].unit: unknown unit \"furlongs\" (known: "
       "short, seconds, milliseconds, bytes, bytes/s, percent, ratio, ops/s, celsius, hertz)"},
      {OnePanel("{title: A, expr: up, width: 0}"),
       "dash.yaml:6:39: dashboard.pages[0].panels[0].width: must be between 1 and 12, got 0"},
      {OnePanel("{title: A, expr: up, width: 13}"),
       "dash.yaml:6:39: dashboard.pages[0].panels[0].width: must be between 1 and 12, got 13"},
      {OnePanel("{title: A, expr: up, kind: pie}"),
       "dash.yaml:6:38: dashboard.pages[0].panels[0].kind: must be line, stacked, heatmap, stat "
       "or table, got \"pie\""},
      {OnePanel("{title: A}"), "dash.yaml:6:11: dashboard.pages[0].panels[0]: needs expr"},
      {OnePanel("{title: A, expr: up, colour: red}"),
       "dash.yaml:6:32: dashboard.pages[0].panels[0].colour: unknown key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_EQ(ErrorOf(c.yaml), c.error);
  }
}

TEST(DashboardConfigTest, CanBeTurnedOff) {
  Config config = LoadConfigText("dashboard: {enabled: false}\n", "off.yaml");
  EXPECT_FALSE(config.dashboard.enabled);
  EXPECT_EQ(config.dashboard.pages, DefaultPages());  // kept, not served
}

TEST(DashboardConfigTest, TheShippedExampleLoads) {
  Config config =
      LoadConfigFile(std::string(METRICSD_SOURCE_DIR) + "/config/examples/dashboard.yaml");
  ASSERT_FALSE(config.dashboard.pages.empty());
  std::set<PanelKind> kinds;
  for (const Page& page : config.dashboard.pages) {
    for (const Panel& panel : page.panels) kinds.insert(panel.kind);
  }
  EXPECT_EQ(kinds.size(), 5u) << "a panel of each kind";
}

}  // namespace
}  // namespace metricsd::web
