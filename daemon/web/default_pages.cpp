// The shipped pages of the game: Overview, Game, Host and Probes. Every expression uses the
// names metricsd exposes itself: its own metricsd_* families, the game's StatsD metrics as
// config/examples/statsd-mapping/game.yaml maps them (game_*), node_exporter's node_* and
// process-exporter's namedprocess_* (collectors/host/), blackbox_exporter's probe_* and the AO
// probes' ao_* (collectors/probes/). History samples every 10 s, so rates use [1m] where a
// chart should follow quick changes and [5m] where percentiles need enough observations.
#include <initializer_list>
#include <utility>

#include "daemon/web/dashboard_config.h"

namespace metricsd::web {
namespace {

// One panel of each kind: title, expr, legend, unit, width, description.
Panel Make(PanelKind kind, std::string title, std::string expr, std::string legend,
           std::string unit, int width, std::string description) {
  return Panel{.title = std::move(title),
               .expr = std::move(expr),
               .legend = std::move(legend),
               .unit = std::move(unit),
               .kind = kind,
               .width = width,
               .description = std::move(description)};
}

Panel Line(std::string title, std::string expr, std::string legend, std::string unit,
           int width = 6, std::string description = "") {
  return Make(PanelKind::kLine, std::move(title), std::move(expr), std::move(legend),
              std::move(unit), width, std::move(description));
}

Panel Stacked(std::string title, std::string expr, std::string legend, std::string unit,
              int width = 6, std::string description = "") {
  return Make(PanelKind::kStacked, std::move(title), std::move(expr), std::move(legend),
              std::move(unit), width, std::move(description));
}

// `expr` gives the rates of a histogram's buckets by `le`: BucketRates.
Panel Heatmap(std::string title, std::string expr, std::string unit, int width = 6,
              std::string description = "") {
  return Make(PanelKind::kHeatmap, std::move(title), std::move(expr), "", std::move(unit), width,
              std::move(description));
}

Panel Stat(std::string title, std::string expr, std::string legend, std::string unit,
           int width = 4, std::string description = "") {
  return Make(PanelKind::kStat, std::move(title), std::move(expr), std::move(legend),
              std::move(unit), width, std::move(description));
}

Panel Table(std::string title, std::string expr, std::string legend, std::string unit,
            int width = 6, std::string description = "") {
  return Make(PanelKind::kTable, std::move(title), std::move(expr), std::move(legend),
              std::move(unit), width, std::move(description));
}

// histogram_quantile(q, sum by (<by>, le) (rate(<family>_bucket[5m]))); `by` may be empty.
std::string Quantile(std::string_view q, std::string_view family, std::string_view by) {
  std::string group = by.empty() ? "le" : std::string(by) + ", le";
  return "histogram_quantile(" + std::string(q) + ", sum by (" + group + ") (rate(" +
         std::string(family) + "_bucket[5m])))";
}

// A heatmap's input: the bucket rates of a histogram summed by `le`.
std::string BucketRates(std::string_view family) {
  return "sum by (le) (rate(" + std::string(family) + "_bucket[1m]))";
}

// Several expressions in one chart, each marked by `label`="<name>" (so series whose labels
// would otherwise be equal, such as two rates, stay apart): label_replace(e1, ...) or ...
std::string Tagged(std::string_view label,
                   std::initializer_list<std::pair<std::string_view, std::string_view>> parts) {
  std::string out;
  for (const auto& [name, expr] : parts) {
    if (!out.empty()) out += " or ";
    out += "label_replace(" + std::string(expr) + ", \"" + std::string(label) + "\", \"" +
           std::string(name) + "\", \"\", \"\")";
  }
  return out;
}

// Apdex (apdex.cpp's formula) of a histogram, by `by`: (satisfied + tolerating / 2) / total,
// satisfied the count at or below T and tolerating the count in (T, 4T]. The count at 4T is
// interpolated linearly between the buckets `lower` and `upper` around it (histogram_quantile's
// assumption too): count(4T) = (1 - f) * count(lower) + f * count(upper).
std::string Apdex(std::string_view family, std::string_view by, std::string_view t,
                  std::string_view lower, std::string_view upper, std::string_view f_lower,
                  std::string_view f_upper) {
  auto bucket = [&](std::string_view le) {
    return "sum by (" + std::string(by) + ") (rate(" + std::string(family) + "_bucket{le=\"" +
           std::string(le) + "\"}[5m]))";
  };
  return "(" + bucket(t) + " + " + std::string(f_lower) + " * " + bucket(lower) + " + " +
         std::string(f_upper) + " * " + bucket(upper) + ") / 2 / sum by (" + std::string(by) +
         ") (rate(" + std::string(family) + "_count[5m]))";
}

// Filesystems that hold no data of their own (node_exporter's dashboards leave them out too).
constexpr std::string_view kRealFs = R"(fstype!~"tmpfs|devtmpfs|ramfs|squashfs|overlay|nsfs")";

Page Overview() {
  return Page{
      .id = "overview",
      .title = "Overview",
      .panels = {
          Line("StatsD ingest",
               Tagged("kind", {{"lines", "sum(rate(metricsd_statsd_lines_total[1m]))"},
                               {"samples", "sum(rate(metricsd_statsd_samples_total[1m]))"}}),
               "{{kind}}", "ops/s", 6, "StatsD lines and samples received per second"),
          Stacked("StatsD drops and errors",
                  "sum by (reason) (rate({__name__=~\"metricsd_statsd_(sample_errors|events_error|"
                  "series_dropped)_total\"}[5m])) or " +
                      Tagged("reason",
                             {{"udp_kernel_drop",
                               "sum(rate(metricsd_statsd_udp_kernel_drops_total[5m]))"}}),
                  "{{reason}}", "ops/s", 6,
                  "Malformed lines and samples, events the mapping refused or dropped, series "
                  "over the limits and datagrams the kernel dropped, by reason"),
          Stat("Probe success", "probe_success", "{{target}}", "short", 6,
               "1: the target's last probe succeeded"),
          Line("Collector duration", "metricsd_collector_duration_seconds", "{{collector}}",
               "seconds", 6, "How long each collector's last collection took"),
          Stacked("HTTP requests", "sum by (handler, code) (rate(metricsd_http_requests_total[5m]))",
                  "{{handler}} {{code}}", "ops/s", 6, "Requests answered, by handler and status"),
          Line("HTTP latency p95", Quantile("0.95", "metricsd_http_request_duration_seconds", "handler"),
               "{{handler}}", "seconds", 6,
               "Time to answer a request by handler (/metrics: a scrape of metricsd)"),
          Line("History samples appended", "sum(rate(metricsd_history_samples_appended_total[1m]))",
               "appended", "ops/s", 4, "Samples written to the history store per second"),
          Line("History series", "metricsd_history_series", "series", "short", 4,
               "Series in the history store"),
          Stacked("History samples dropped",
                  "sum by (reason) (rate(metricsd_history_samples_dropped_total[5m]))",
                  "{{reason}}", "ops/s", 4, "Samples the history store refused, by reason"),
          Stat("CPU busy", "100 * (1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5m])))",
               "busy", "percent", 4, "Average over every CPU, last 5 minutes"),
          Stat("Memory used",
               "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)", "used",
               "percent", 4, "Memory not available to new processes without swapping"),
          Stat("Root filesystem free",
               "100 * node_filesystem_avail_bytes{mountpoint=\"/\"} / "
               "node_filesystem_size_bytes{mountpoint=\"/\"}",
               "/", "percent", 4, "Space of / an unprivileged user can still write"),
      }};
}

Page Game() {
  constexpr std::string_view kAo = "game_ao_handler_duration_seconds";
  constexpr std::string_view kFrame = "game_ui_frame_seconds";
  return Page{
      .id = "game",
      .title = "Game",
      .panels = {
          Line("AO handler p50", Quantile("0.5", kAo, "process, action"),
               "{{process}} {{action}}", "seconds", 4,
               "Median AO handler time as the game server measured it, by process and Action"),
          Line("AO handler p95", Quantile("0.95", kAo, "process, action"),
               "{{process}} {{action}}", "seconds", 4),
          Line("AO handler p99", Quantile("0.99", kAo, "process, action"),
               "{{process}} {{action}}", "seconds", 4),
          Heatmap("AO handler latency", BucketRates(kAo), "seconds", 6,
                  "Every process and Action: handler times per bucket per second"),
          Stacked("AO throughput", "sum by (process) (rate(" + std::string(kAo) + "_count[5m]))",
                  "{{process}}", "ops/s", 6, "AO messages handled per second, by process"),
          Line("AO handler Apdex", Apdex(kAo, "process", "0.1", "0.25", "0.5", "0.4", "0.6"),
               "{{process}}", "ratio", 6,
               "Apdex with T = 100 ms (RAIL response): satisfied <= T, tolerating <= 4T; 1 is "
               "best, below 0.85 is fair or worse"),
          Line("Battle phases p99", Quantile("0.99", "game_battle_phase_duration_seconds", "phase"),
               "{{phase}}", "seconds", 6, "Time one phase of a battle simulation took, p99"),
          Stacked("Battles", "sum by (outcome) (rate(game_battles_total[5m]))", "{{outcome}}",
                  "ops/s", 6, "Battles simulated per second, by outcome"),
          Line("DB query p95", Quantile("0.95", "game_db_query_duration_seconds", "table, op"),
               "{{table}} {{op}}", "seconds", 6, "Database query time by table and operation"),
          Line("UI to AO latency p95", Quantile("0.95", "game_ui_ao_latency_seconds", "action"),
               "{{action}}", "seconds", 6, "Round trip from the game UI to AO, by Action"),
          Stat("UI to AO Apdex",
               Apdex("game_ui_ao_latency_seconds", "", "0.1", "0.25", "0.5", "0.4", "0.6"),
               "Apdex", "ratio", 3, "T = 100 ms (RAIL response), every Action"),
          Stat("Frame Apdex", Apdex(kFrame, "", "0.0167", "0.05", "0.1", "0.664", "0.336"),
               "Apdex", "ratio", 3, "T = 16.7 ms (60 fps), tolerating up to 66.8 ms"),
          Line("Frame time",
               Tagged("stat", {{"p95", Quantile("0.95", kFrame, "")},
                               {"mean", "sum(rate(game_ui_frame_seconds_sum[5m])) / "
                                        "sum(rate(game_ui_frame_seconds_count[5m]))"}}),
               "{{stat}}", "seconds", 6, "Frame time in the game UI: 16.7 ms is 60 fps"),
          Heatmap("Frame time distribution", BucketRates(kFrame), "seconds", 6),
          Stacked("Players", "sum by (region) (game_players)", "{{region}}", "short", 6,
                  "Players online, by region"),
      }};
}

Page Host() {
  std::string fs = std::string(kRealFs);
  return Page{
      .id = "host",
      .title = "Host",
      .panels = {
          Stacked("CPU", "100 * avg by (mode) (rate(node_cpu_seconds_total{mode!=\"idle\"}[1m]))",
                  "{{mode}}", "percent", 6, "Busy time by mode, averaged over every CPU"),
          Line("Load", "{__name__=~\"node_load1|node_load5|node_load15\"}", "{{__name__}}",
               "short", 6, "Run queue averaged over 1, 5 and 15 minutes"),
          Line("Memory",
               Tagged("kind", {{"used", "node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes"},
                               {"available", "node_memory_MemAvailable_bytes"},
                               {"cached", "node_memory_Cached_bytes"}}),
               "{{kind}}", "bytes", 6),
          Line("Disk I/O",
               Tagged("dir", {{"read", "rate(node_disk_read_bytes_total[1m])"},
                              {"written", "rate(node_disk_written_bytes_total[1m])"}}),
               "{{device}} {{dir}}", "bytes/s", 6),
          Line("Disk busy", "rate(node_disk_io_time_seconds_total[1m])", "{{device}}", "ratio", 6,
               "Share of time the device had I/O in flight"),
          Line("Filesystem used",
               "100 * (1 - node_filesystem_avail_bytes{" + fs + "} / node_filesystem_size_bytes{" +
                   fs + "})",
               "{{mountpoint}}", "percent", 6, "tmpfs-like filesystems left out"),
          Table("Filesystem free", "node_filesystem_avail_bytes{" + fs + "}", "{{mountpoint}}",
                "bytes", 6, "Space an unprivileged user can still write"),
          Line("Network",
               Tagged("dir", {{"receive", "rate(node_network_receive_bytes_total{device!=\"lo\"}[1m])"},
                              {"transmit",
                               "rate(node_network_transmit_bytes_total{device!=\"lo\"}[1m])"}}),
               "{{device}} {{dir}}", "bytes/s", 6),
          Line("Pressure (PSI)",
               Tagged("stall",
                      {{"cpu waiting", "100 * rate(node_pressure_cpu_waiting_seconds_total[1m])"},
                       {"memory waiting", "100 * rate(node_pressure_memory_waiting_seconds_total[1m])"},
                       {"memory stalled", "100 * rate(node_pressure_memory_stalled_seconds_total[1m])"},
                       {"io waiting", "100 * rate(node_pressure_io_waiting_seconds_total[1m])"},
                       {"io stalled", "100 * rate(node_pressure_io_stalled_seconds_total[1m])"}}),
               "{{stall}}", "percent", 6,
               "Share of time some (waiting) or all (stalled) tasks waited for the resource"),
          Stacked("Process groups CPU",
                  "100 * sum by (groupname) (rate(namedprocess_namegroup_cpu_seconds_total[1m]))",
                  "{{groupname}}", "percent", 6,
                  "host.processes groups: CPU time, user and system, in % of one CPU"),
          Line("Process groups memory", "namedprocess_namegroup_memory_bytes{memtype=\"resident\"}",
               "{{groupname}}", "bytes", 6, "Resident memory of each group"),
          Table("Process groups", "namedprocess_namegroup_num_procs", "{{groupname}}", "short", 6,
                "Processes in each group"),
      }};
}

Page Probes() {
  return Page{
      .id = "probes",
      .title = "Probes",
      .panels = {
          Stat("Success", "probe_success", "{{target}}", "short", 6,
               "1: the target's last probe succeeded"),
          Table("Certificate expiry (days)", "(probe_ssl_earliest_cert_expiry - time()) / 86400",
                "{{target}}", "short", 6, "Days until the earliest certificate of the chain expires"),
          Line("Success ratio", "avg_over_time(probe_success[5m])", "{{target}}", "ratio", 6,
               "Share of probes that succeeded over the last 5 minutes"),
          Line("Probe duration", "probe_duration_seconds", "{{target}}", "seconds", 6),
          Stacked("HTTP phases", "probe_http_duration_seconds", "{{target}} {{phase}}", "seconds", 6,
                  "Resolve, connect, TLS, processing and transfer of the last probe, per target"),
          Table("HTTP status", "probe_http_status_code", "{{target}}", "short", 6),
          Line("DNS lookup", "probe_dns_lookup_time_seconds", "{{target}}", "seconds", 6),
          Stacked("Probes by outcome", "sum by (target, outcome) (rate(metricsd_probes_total[5m]))",
                  "{{target}} {{outcome}}", "ops/s", 6),
          Heatmap("Probe duration distribution", BucketRates("metricsd_probe_duration_seconds"),
                  "seconds", 6),
          Line("AO dry-run p95", Quantile("0.95", "ao_dryrun_duration_seconds", "target, action"),
               "{{target}} {{action}}", "seconds", 6,
               "Round trip of a dry-run through the AO Compute Unit"),
          Stacked("AO dry-runs by outcome",
                  "sum by (target, outcome) (rate(ao_dryrun_requests_total[5m]))",
                  "{{target}} {{outcome}}", "ops/s", 6),
          Line("AO unit clock skew", "ao_unit_clock_skew_seconds", "{{target}}", "seconds", 6,
               "The AO unit's clock minus ours"),
      }};
}

}  // namespace

std::vector<Page> DefaultPages() { return {Overview(), Game(), Host(), Probes()}; }

}  // namespace metricsd::web
