#include "collectors/statsd/label_rules.h"

namespace metricsd::statsd {

bool IsReservedMetricName(std::string_view name) {
  // The prefixes of every other Source's families (the daemon, host collectors, process
  // groups, probes); a prefix, not a list of names, so a family added later is covered too.
  static constexpr std::string_view kPrefixes[] = {
      "metricsd_", "process_", "node_", "namedprocess_", "probe_", "ao_dryrun_", "ao_unit_"};
  for (std::string_view prefix : kPrefixes) {
    if (name.starts_with(prefix)) return true;
  }
  return name == "ALERTS" || name == "ALERTS_FOR_STATE";
}

LabelError CheckSeries(std::string_view name, MetricType type,
                       const std::pair<std::string, std::string>* labels, std::size_t count,
                       const LabelLimits& limits) {
  if (!IsValidMetricName(name)) return LabelError::kInvalidMetricName;
  if (name.size() > limits.max_name_length) return LabelError::kNameTooLong;
  if (IsReservedMetricName(name)) return LabelError::kReservedMetricName;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& [label, value] = labels[i];
    if (!IsValidLabelName(label)) return LabelError::kInvalidLabelName;
    // client_golang's rules: "__" is Prometheus's own (a `__name__` tag would give the
    // sample a second name), and `le` / `quantile` are what histograms and summaries add.
    if (IsReservedLabelName(label) || (type == MetricType::kHistogram && label == "le") ||
        (type == MetricType::kSummary && label == "quantile")) {
      return LabelError::kReservedLabelName;
    }
    if (value.size() > limits.max_label_value_length) return LabelError::kLabelValueTooLong;
    if (!IsValidUtf8(value)) return LabelError::kInvalidLabelValue;
  }
  return LabelError::kNone;
}

}  // namespace metricsd::statsd
