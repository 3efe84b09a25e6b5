#include "daemon/loadgen/capacity_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>
#include <vector>
#include <string_view>

namespace metricsd::loadgen {
namespace {

using nlohmann::json;

json OrNull(std::optional<double> value) {
  return value && std::isfinite(*value) ? json(*value) : json();
}

std::string Method(const CapacityOptions& o) {
  char buffer[3000];
  std::snprintf(
      buffer, sizeof buffer,
      "Steps of constant game StatsD load (the game profile: AO handler timings, DB queries, "
      "UI timings, battle phases and results, players per region, as the shipped mapping "
      "config/examples/statsd-mapping/game.yaml maps them) were sent to %s for %.0f s each, "
      "starting at %.0f lines/s and doubling while a step was good, then bisecting between the "
      "last good and the first bad rate until they were within %.0f%% (at most %d bisections), "
      "never above %.0f lines/s. Before and after each step the target's own /metrics was read: "
      "lines received are the increase of metricsd_statsd_lines_total (after waiting up to "
      "%.0f s for it to count what was sent), loss = lines sent - lines received, and its CPU is "
      "the increase of process_cpu_seconds_total over the wall time between the readings. A "
      "step is good when loss <= %.3g%% of the lines sent and CPU <= %.2f cores, and when the "
      "generator reached 90%% of the rate asked; when it did not (and the target lost nothing) "
      "the run stops there: the target's limit is above what the generator (%d sending "
      "threads) reaches. The max lossless rate is what the best good step achieved. CPU per "
      "million lines is that step's CPU over its lines received; the net figure first "
      "subtracts the target's idle CPU, measured for %.0f s before the first step; the "
      "marginal figure is the slope of a least-squares line of CPU cores against the rate "
      "received over the good steps (at least three), its intercept the fixed CPU (idle work "
      "and the /metrics readings). Memory is "
      "process_resident_memory_bytes at the end; series are metricsd_statsd_series (one "
      "per mapped name and label set, a histogram counting once); exposed_series counts every "
      "sample line of /metrics. Reading /metrics costs the target CPU too (more with more "
      "series), which weighs most in the first, slowest steps. Other traffic to the target "
      "during the run counts as received and hides loss: run it against a target nothing else "
      "feeds.",
      o.statsd.ToString().c_str(), o.step_duration, o.start_rate, o.precision * 100,
      o.max_bisections, o.max_rate, o.drain_timeout, o.loss_threshold * 100, o.cpu_budget,
      o.threads, o.idle_sample);
  return buffer;
}

std::string Num(const json& value, int decimals = 0) {
  if (!value.is_number()) return "not measured";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value.get<double>());
  return buffer;
}

// A number with its unit, or "not measured" alone.
std::string Num(const json& value, int decimals, std::string_view unit) {
  if (!value.is_number()) return "not measured";
  return Num(value, decimals) + " " + std::string(unit);
}

std::string Bytes(const json& value) {
  if (!value.is_number()) return "not measured";
  const double bytes = value.get<double>();
  char buffer[64];
  if (bytes >= 1 << 30) {
    std::snprintf(buffer, sizeof buffer, "%.2f GiB", bytes / (1 << 30));
  } else if (bytes >= 1 << 20) {
    std::snprintf(buffer, sizeof buffer, "%.1f MiB", bytes / (1 << 20));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0f KiB", bytes / 1024);
  }
  return buffer;
}

}  // namespace

json CapacityReportJson(const CapacityOptions& o, const CapacityResult& r) {
  std::vector<std::string> notes = r.notes;
  // Figures over the good steps.
  double generator_max = 0;
  std::optional<double> cpu_at_max, per_million, per_million_net;
  std::vector<std::pair<double, double>> points;  // (lines/s received, CPU cores)
  json steps = json::array();
  for (const CapacityStep& step : r.steps) {
    generator_max = std::max(generator_max, step.run.AchievedRate());
    steps.push_back({
        {"phase", step.phase},
        {"rate", step.rate},
        {"verdict", VerdictName(step.verdict)},
        {"achieved_rate", step.run.AchievedRate()},
        {"elapsed_seconds", step.run.elapsed},
        {"lines_sent", step.run.lines_sent},
        {"send_errors", step.run.send_errors},
        {"conflicts", step.run.measured ? json(step.run.conflicts) : json()},
        {"received", step.run.measured ? json(step.run.received) : json()},
        {"loss", step.run.measured ? json(step.run.loss) : json()},
        {"loss_ratio", step.run.measured ? json(step.run.loss_ratio) : json()},
        {"udp_kernel_drops", step.run.measured ? json(step.run.kernel_drops) : json()},
        {"cpu_cores", OrNull(step.run.cpu_cores)},
        {"resident_memory_bytes", step.run.measured ? OrNull(step.run.after.Get(kResidentBytes)) : json()},
        {"series", step.run.measured ? OrNull(step.run.after.Get(kSeriesHeld)) : json()},
    });
    if (step.verdict != StepVerdict::kOk || !step.run.cpu_cores || step.wall_seconds <= 0) {
      continue;
    }
    // Points of CPU cores against the rate received, for the marginal cost.
    points.emplace_back(step.run.received / step.wall_seconds,
                        step.cpu_seconds / step.wall_seconds);
    if (step.rate == r.max_lossless_rate_asked && step.run.received > 0) {
      cpu_at_max = step.run.cpu_cores;
      per_million = step.cpu_seconds / step.run.received * 1e6;
      if (r.idle_cpu_cores) {
        const double busy = step.cpu_seconds - *r.idle_cpu_cores * step.wall_seconds;
        per_million_net = std::max(0.0, busy) / step.run.received * 1e6;
      }
    }
  }
  if (!per_million) notes.push_back("CPU per line not measured: no good step with CPU readings");
  // Least squares: cores = fixed + slope · rate; the slope is the cost of one more line.
  std::optional<double> marginal, fixed_cores;
  if (points.size() >= 3) {
    double mean_x = 0, mean_y = 0;
    for (const auto& [x, y] : points) mean_x += x, mean_y += y;
    mean_x /= static_cast<double>(points.size());
    mean_y /= static_cast<double>(points.size());
    double sxx = 0, sxy = 0;
    for (const auto& [x, y] : points) {
      sxx += (x - mean_x) * (x - mean_x);
      sxy += (x - mean_x) * (y - mean_y);
    }
    if (sxx > 0) {
      marginal = sxy / sxx * 1e6;
      fixed_cores = mean_y - sxy / sxx * mean_x;
    }
  } else {
    notes.push_back("marginal CPU per line not measured: fewer than three good steps");
  }

  const TargetReading& last = r.final.ok ? r.final : r.idle_end.ok ? r.idle_end : r.baseline;
  std::optional<double> rss = last.ok ? last.Get(kResidentBytes) : std::nullopt;
  std::optional<double> series = last.ok ? last.Get(kSeriesHeld) : std::nullopt;
  std::optional<double> per_100k, growth_per_100k;
  double series_growth = 0;
  if (rss && series && *series > 0) per_100k = *rss / *series * 1e5;
  if (series && r.baseline.ok) {
    series_growth = *series - r.baseline.GetOr(kSeriesHeld);
    const auto rss_before = r.baseline.Get(kResidentBytes);
    if (series_growth >= 1000 && rss && rss_before) {
      growth_per_100k = (*rss - *rss_before) / series_growth * 1e5;
    } else {
      notes.push_back("RSS growth per series not measured: the run added " +
                      std::to_string(static_cast<long long>(series_growth)) +
                      " series (at least 1000 needed; raise --servers). rss_bytes_per_100k_series "
                      "divides the whole process's memory by its series: an upper bound");
    }
  }

  json probe = {{"measured", false}, {"cpu", "not measured"}};
  if (r.baseline.ok && last.ok) {
    const double count = last.GetOr(kProbeDurationCount) - r.baseline.GetOr(kProbeDurationCount);
    const double sum = last.GetOr(kProbeDurationSum) - r.baseline.GetOr(kProbeDurationSum);
    const double wall = std::chrono::duration<double>(last.at - r.baseline.at).count();
    if (count > 0 && wall > 0) {
      probe["measured"] = true;
      probe["probes"] = count;
      probe["probes_per_second"] = count / wall;
      probe["mean_duration_seconds"] = sum / count;
      probe["note"] = "probe durations from metricsd_probe_duration_seconds; metricsd does not "
                      "account CPU per component, so the probes' CPU share is not measured";
    } else {
      probe["note"] = "not measured: no probe ran on the target during the run";
    }
  } else {
    probe["note"] = "not measured: the target's /metrics could not be read";
  }

  json report = {
      {"version", kCapacityReportVersion},
      {"kind", "metricsd-capacity-report"},
      {"generated_at", r.started_at},
      {"wall_seconds", r.wall_seconds},
      {"target", o.web.ToString()},
      {"statsd", o.statsd.ToString()},
      {"profile",
       {{"name", "game"},
        {"players", o.profile.players},
        {"battles_per_second", o.profile.battles_per_second},
        {"servers", o.profile.servers},
        {"seed", o.profile.seed}}},
      {"parameters",
       {{"cpu_budget_cores", o.cpu_budget},
        {"loss_threshold", o.loss_threshold},
        {"start_rate", o.start_rate},
        {"max_rate", o.max_rate},
        {"step_duration_seconds", o.step_duration},
        {"precision", o.precision},
        {"max_bisections", o.max_bisections},
        {"threads", o.threads},
        {"deadline_seconds", o.deadline}}},
      {"method", Method(o)},
      {"result",
       {{"max_lossless_rate", r.max_lossless_rate},
        {"max_lossless_rate_asked", r.max_lossless_rate_asked},
        {"stopped_by", r.stopped_by},
        {"interrupted", r.interrupted},
        {"cpu_seconds_per_million_lines", OrNull(per_million)},
        {"cpu_seconds_per_million_lines_net", OrNull(per_million_net)},
        {"cpu_seconds_per_million_lines_marginal", OrNull(marginal)},
        {"fixed_cpu_cores", OrNull(fixed_cores)},
        {"idle_cpu_cores", OrNull(r.idle_cpu_cores)},
        {"cpu_cores_at_max_rate", OrNull(cpu_at_max)},
        {"resident_memory_bytes", OrNull(rss)},
        {"series", OrNull(series)},
        {"exposed_series", last.ok ? json(last.exposed_series) : json()},
        {"series_growth", series_growth},
        {"rss_bytes_per_100k_series", OrNull(per_100k)},
        {"rss_growth_bytes_per_100k_series", OrNull(growth_per_100k)},
        {"generator_max_rate", generator_max},
        {"probe_cost", probe}}},
      {"steps", steps},
      {"notes", notes},
  };
  if (!r.error.empty()) report["result"]["error"] = r.error;
  return report;
}

std::string CapacityReportMarkdown(const json& report) {
  const json& result = report["result"];
  std::ostringstream out;
  out << "# metricsd capacity report\n\n";
  out << "Target " << report["target"].get<std::string>() << ", StatsD to "
      << report["statsd"].get<std::string>() << ", run at " << report["generated_at"].get<std::string>()
      << " (" << Num(report["wall_seconds"]) << " s).";
  if (result["interrupted"].get<bool>()) out << " **Interrupted: a partial report.**";
  out << "\n\n";
  out << "| figure | value |\n| --- | --- |\n";
  out << "| max lossless rate | " << Num(result["max_lossless_rate"]) << " lines/s (step asked "
      << Num(result["max_lossless_rate_asked"]) << ") |\n";
  out << "| stopped by | " << result["stopped_by"].get<std::string>() << " |\n";
  out << "| CPU per million lines | " << Num(result["cpu_seconds_per_million_lines"], 3, "s")
      << " at the max lossless rate (net of idle: "
      << Num(result["cpu_seconds_per_million_lines_net"], 3, "s") << "; marginal: "
      << Num(result["cpu_seconds_per_million_lines_marginal"], 3, "s") << " over "
      << Num(result["fixed_cpu_cores"], 3, "fixed cores") << ") |\n";
  out << "| CPU at the max lossless rate | " << Num(result["cpu_cores_at_max_rate"], 3, "cores")
      << " (budget " << Num(report["parameters"]["cpu_budget_cores"], 2) << ") |\n";
  out << "| idle CPU | " << Num(result["idle_cpu_cores"], 3, "cores") << " |\n";
  out << "| resident memory | " << Bytes(result["resident_memory_bytes"]) << " for "
      << Num(result["series"]) << " StatsD series (" << Num(result["exposed_series"])
      << " series exposed on /metrics) |\n";
  out << "| RSS per 100k series | " << Bytes(result["rss_bytes_per_100k_series"])
      << " (whole process; growth only: " << Bytes(result["rss_growth_bytes_per_100k_series"])
      << ") |\n";
  const json& probe = result["probe_cost"];
  out << "| probe cost | ";
  if (probe["measured"].get<bool>()) {
    out << Num(probe["probes_per_second"], 2) << " probes/s, mean "
        << Num(probe["mean_duration_seconds"], 4) << " s; CPU " << probe["cpu"].get<std::string>();
  } else {
    out << "not measured";
  }
  out << " |\n";
  out << "| fastest the generator sent | " << Num(result["generator_max_rate"]) << " lines/s |\n";
  if (result.contains("error")) out << "| error | " << result["error"].get<std::string>() << " |\n";
  out << "\n## Steps\n\n";
  out << "| # | phase | rate asked | achieved | sent | received | loss | loss % | kernel drops "
         "(datagrams) | CPU cores | RSS | series | verdict |\n";
  out << "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  int index = 0;
  for (const json& step : report["steps"]) {
    out << "| " << ++index << " | " << step["phase"].get<std::string>() << " | "
        << Num(step["rate"]) << " | " << Num(step["achieved_rate"]) << " | "
        << Num(step["lines_sent"]) << " | " << Num(step["received"]) << " | "
        << Num(step["loss"]) << " | "
        << (step["loss_ratio"].is_number() ? Num(json(step["loss_ratio"].get<double>() * 100), 3)
                                           : "not measured")
        << " | " << Num(step["udp_kernel_drops"]) << " | " << Num(step["cpu_cores"], 3) << " | "
        << Bytes(step["resident_memory_bytes"])
        << " | " << Num(step["series"]) << " | " << step["verdict"].get<std::string>() << " |\n";
  }
  out << "\n## Method\n\n" << report["method"].get<std::string>() << "\n";
  if (!probe["measured"].get<bool>() || probe.contains("note")) {
    out << "\nProbe cost: " << probe["note"].get<std::string>() << ".\n";
  }
  if (!report["notes"].empty()) {
    out << "\n## Notes\n\n";
    for (const json& note : report["notes"]) out << "- " << note.get<std::string>() << "\n";
  }
  return out.str();
}

std::string CapacityReportSummary(const json& report) {
  const json& result = report["result"];
  std::ostringstream out;
  out << "capacity of " << report["target"].get<std::string>() << ": max lossless rate "
      << Num(result["max_lossless_rate"]) << " lines/s (stopped by "
      << result["stopped_by"].get<std::string>() << ")\n";
  out << "  CPU per million lines: " << Num(result["cpu_seconds_per_million_lines"], 3, "s")
      << " (net of idle " << Num(result["cpu_seconds_per_million_lines_net"], 3, "s")
      << ", marginal " << Num(result["cpu_seconds_per_million_lines_marginal"], 3, "s") << ")\n";
  out << "  RSS per 100k series:   " << Bytes(result["rss_bytes_per_100k_series"]) << " ("
      << Num(result["series"]) << " series)\n";
  out << "  probe cost:            "
      << (result["probe_cost"]["measured"].get<bool>()
              ? Num(result["probe_cost"]["mean_duration_seconds"], 4) + " s per probe, CPU not measured"
              : std::string("not measured"))
      << "\n";
  return out.str();
}

}  // namespace metricsd::loadgen
