// The capacity report: a JSON document with a stable schema (its `version` field says which;
// fields are only ever added within a version) for the analytics runway, and its Markdown
// rendering for people. The Markdown is made from the JSON, so the two cannot disagree.
//
// Schema version 1 (all rates in lines/s, CPU in seconds or cores, memory in bytes):
//   version, kind ("metricsd-capacity-report"), generated_at, target, statsd, profile{},
//   parameters{}, method (text), result{max_lossless_rate (achieved), max_lossless_rate_asked,
//   stopped_by, interrupted,
//   cpu_seconds_per_million_lines, cpu_seconds_per_million_lines_net,
//   cpu_seconds_per_million_lines_marginal, fixed_cpu_cores, idle_cpu_cores,
//   cpu_cores_at_max_rate, resident_memory_bytes, series, exposed_series, rss_bytes_per_100k_series,
//   rss_growth_bytes_per_100k_series, series_growth, generator_max_rate, probe_cost{}},
//   steps[{phase, rate, verdict, achieved_rate, lines_sent, received, loss, loss_ratio,
//   send_errors, conflicts, udp_kernel_drops (datagrams), cpu_cores, resident_memory_bytes, series, elapsed_seconds}], notes[].
//   A figure that could not be measured is null, with a note saying why. The JSON Schema is
//   daemon/loadgen/capacity-report.schema.json (integration_loadgen validates real reports).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "daemon/loadgen/capacity.h"

namespace metricsd::loadgen {

inline constexpr int kCapacityReportVersion = 1;

nlohmann::json CapacityReportJson(const CapacityOptions& options, const CapacityResult& result);
std::string CapacityReportMarkdown(const nlohmann::json& report);
// A few lines for the terminal.
std::string CapacityReportSummary(const nlohmann::json& report);

}  // namespace metricsd::loadgen
