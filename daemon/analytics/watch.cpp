#include "daemon/analytics/watch.h"

#include <algorithm>
#include <cmath>

#include "daemon/query/promql_key.h"

namespace metricsd::analytics {

const config::Section<Watch>& WatchSection() {
  static const auto* section = [] {
    auto* watch = new config::Section<Watch>(
        "A named PromQL expression followed over time; each series it returns is analysed on "
        "its own.");
    watch->String("name", &Watch::name, "unique; names findings, baselines and report rows")
        .Required()
        .String("expr", &Watch::expr, "PromQL, evaluated over history (or analytics.source)")
        .Required()
        .Enum("kind", &Watch::kind, kWatchKindNames, "what it measures; picks the industry reference")
        .String("unit", &Watch::unit, "of the values: seconds, bytes, ratio, percent, ops/s, ...")
        .Enum("direction", &Watch::direction, kDirectionNames, "which way is worse")
        .Double("threshold", &Watch::threshold, -1e300, 1e300,
                "the critical level: trends warn before it is crossed")
        .DefaultNote("none")
        .OmitWhen([](const Watch& w) { return std::isnan(w.threshold); })
        .Double("slo", &Watch::slo, -1e300, 1e300, "the objective reports grade against")
        .DefaultNote("none")
        .OmitWhen([](const Watch& w) { return std::isnan(w.slo); })
        .String("histogram", &Watch::histogram,
                "the _bucket series (a selector) of a latency watch, for Apdex and heatmaps")
        .Double("apdex_t", &Watch::apdex_t, 1e-9, 1e9,
                "Apdex's T in seconds (satisfied <= T, tolerating <= 4T)")
        .DefaultNote("the industry reference of the kind (RAIL: 0.1)")
        .OmitWhen([](const Watch& w) { return std::isnan(w.apdex_t); })
        .String("reference", &Watch::reference,
                "the industry reference graded against (see Analytics in the README); empty: by kind")
        .Bool("satisfaction", &Watch::satisfaction,
              "a player-satisfaction signal (session length, quits, ratings) the others are "
              "correlated with")
        .Check("expr and histogram are valid PromQL", [](const ConfigNode& node, Watch& w) {
          query::CheckPromQL(node["expr"], w.expr);
          query::CheckPromQL(node["histogram"], w.histogram);
        });
    return watch;
  }();
  return *section;
}

bool KindListed(const std::vector<std::string>& kinds, WatchKind kind) {
  return std::find(kinds.begin(), kinds.end(), kWatchKindNames.Name(kind)) != kinds.end();
}

void CheckWatchKinds(const ConfigNode& node, const std::vector<std::string>& kinds) {
  for (const std::string& kind : kinds) {
    if (!kWatchKindNames.Parse(kind)) {
      node.Fail("unknown watch kind \"" + kind + "\" (one of: latency, throughput, resource, "
                "errors, ux)");
    }
  }
}

namespace {

Watch Latency(std::string name, std::string expr, std::string histogram, double threshold) {
  Watch w;
  w.name = std::move(name);
  w.expr = std::move(expr);
  w.histogram = std::move(histogram);
  w.threshold = threshold;
  return w;
}

Watch Resource(std::string name, std::string expr, double threshold) {
  Watch w;
  w.name = std::move(name);
  w.expr = std::move(expr);
  w.kind = WatchKind::kResource;
  w.unit = "ratio";
  w.threshold = threshold;
  return w;
}

std::string Quantile(const char* q, const char* family, const char* by) {
  return std::string("histogram_quantile(") + q + ", sum by (" + by + "le) (rate(" + family +
         "_bucket[5m])))";
}

}  // namespace

std::vector<Watch> DefaultWatches() {
  std::vector<Watch> watches;
  watches.push_back(Latency("ao_handler_p95",
                            Quantile("0.95", "game_ao_handler_duration_seconds", "process, action, "),
                            "game_ao_handler_duration_seconds_bucket", 1.0));
  watches.push_back(Latency("ao_dryrun_p95",
                            Quantile("0.95", "ao_dryrun_duration_seconds", "process, action, "),
                            "ao_dryrun_duration_seconds_bucket", 2.0));
  watches.push_back(Latency("battle_phase_p99",
                            Quantile("0.99", "game_battle_phase_duration_seconds", "phase, "),
                            "game_battle_phase_duration_seconds_bucket", 0.5));
  watches.push_back(Latency("db_query_p95",
                            Quantile("0.95", "game_db_query_duration_seconds", "table, op, "),
                            "game_db_query_duration_seconds_bucket", 0.1));
  watches.push_back(Latency("ui_ao_latency_p95",
                            Quantile("0.95", "game_ui_ao_latency_seconds", "action, "),
                            "game_ui_ao_latency_seconds_bucket", 1.0));
  Watch frame = Latency("frame_time_p95", Quantile("0.95", "game_ui_frame_seconds", ""),
                        "game_ui_frame_seconds_bucket", 1.0 / 30);
  frame.kind = WatchKind::kUx;
  frame.reference = "frame_60fps";
  watches.push_back(std::move(frame));
  watches.push_back(Resource(
      "cpu_usage", "1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))",
      0.8));
  watches.push_back(Resource(
      "memory_usage", "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", 0.9));
  watches.push_back(Resource(
      "filesystem_usage",
      "1 - node_filesystem_avail_bytes{fstype!~\"tmpfs|ramfs|squashfs|overlay|nsfs\"} / "
      "node_filesystem_size_bytes{fstype!~\"tmpfs|ramfs|squashfs|overlay|nsfs\"}",
      0.9));
  Watch throughput;
  throughput.name = "ao_cu_throughput";
  throughput.expr = "sum by (process) (rate(game_ao_handler_duration_seconds_count[5m]))";
  throughput.kind = WatchKind::kThroughput;
  throughput.unit = "ops/s";
  throughput.direction = Direction::kLowerIsWorse;
  watches.push_back(std::move(throughput));
  return watches;
}

}  // namespace metricsd::analytics
