// What a sample must satisfy before it becomes a series, so that no StatsD input can produce
// an exposition Prometheus refuses. One bad series fails the whole scrape there ("label name
// not unique", "invalid UTF-8 label value"), so these are client_golang's checks, applied
// once per new line identity (the slow path), never per line.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/enum_table.h"
#include "daemon/core/metric_names.h"
#include "daemon/core/source.h"

namespace metricsd::statsd {

// The name and UTF-8 checks are core's (daemon/core/metric_names.h), shared with the writer
// and the alert rules.

// Names of families the daemon's other Sources write into the same /metrics (metricsd_*,
// process_*, node_*, namedprocess_*, probe_*, ao_dryrun_*, ao_unit_*, ALERTS,
// ALERTS_FOR_STATE): a StatsD family of the same name would be a second HELP/TYPE for it and
// duplicate series, which promtool and Prometheus's parsers refuse.
bool IsReservedMetricName(std::string_view name);

// Why a sample's labels were refused; each is one `reason` of
// metricsd_statsd_events_error_total.
enum class LabelError {
  kNone,
  kInvalidMetricName,   // not Prometheus's charset, or longer than statsd.max_name_length
  kInvalidLabelName,    // not the charset
  kReservedLabelName,   // "__" prefix (Prometheus's own), `le` on a histogram, `quantile` on a summary
  kInvalidLabelValue,   // not valid UTF-8
  kLabelValueTooLong,   // longer than statsd.max_label_value_length
  kNameTooLong,         // the metric name longer than statsd.max_name_length
  kReservedMetricName,  // a name the daemon's own families use (see IsReservedMetricName)
};
inline constexpr std::size_t kLabelErrorKinds = 8;
inline constexpr EnumTable<LabelError, kLabelErrorKinds> kLabelErrorReasons{{{
    {LabelError::kNone, "none"},
    {LabelError::kInvalidMetricName, "invalid_metric_name"},
    {LabelError::kInvalidLabelName, "invalid_label_name"},
    {LabelError::kReservedLabelName, "reserved_label_name"},
    {LabelError::kInvalidLabelValue, "invalid_utf8_label_value"},
    {LabelError::kLabelValueTooLong, "label_value_too_long"},
    {LabelError::kNameTooLong, "metric_name_too_long"},
    {LabelError::kReservedMetricName, "reserved_metric_name"},
}}};
inline std::string_view LabelErrorReason(LabelError error) { return kLabelErrorReasons.Name(error); }

struct LabelLimits {
  std::size_t max_name_length = 256;
  std::size_t max_label_value_length = 1024;
};

// Checks a would-be series: its (escaped) metric name, its type and its labels (unique names,
// as the aggregator builds them). The first problem found, or kNone.
LabelError CheckSeries(std::string_view name, MetricType type,
                       const std::pair<std::string, std::string>* labels, std::size_t count,
                       const LabelLimits& limits);

}  // namespace metricsd::statsd
