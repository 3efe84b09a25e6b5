#include "daemon/alerting/rule.h"

#include "daemon/alerting/template.h"
#include "daemon/alerting/threshold_query.h"

namespace metricsd::alerting {

bool LabelMatcher::Matches(std::string_view label_value) const {
  return regex ? RE2::FullMatch(label_value, *regex) : label_value == value;
}

std::string Rule::Expression() const {
  if (!IsThreshold()) return expr;
  MetricType type = AssumedType(*this);
  try {
    return ThresholdQuery(*this, type, type);
  } catch (const RuleTypeError&) {
    // Not reached: a stated type the value does not apply to fails at load.
    MetricType implied = value == ValueKind::kQuantile ? MetricType::kHistogram : MetricType::kGauge;
    return ThresholdQuery(*this, implied, implied);
  }
}

std::string Rule::SelectionKey() const {
  std::string key = std::string(kind == RuleKind::kRecording ? "record\n" : "alert\n") + expr + "\n";
  if (!IsThreshold()) return key;
  key += metric + "\n" + divide_by + "\n" + std::string(ValueKindName(value)) + "\n" +
         FormatGoFloat(quantile) + "\n" + FormatDuration(window) + "\n" +
         (type ? std::string(MetricTypeName(*type)) : "") + "\n";
  for (const LabelMatcher& m : matchers) key += m.name + (m.regex ? "=~" : "=") + m.value + "\n";
  if (aggregate) {
    key += std::string(AggregateOpName(aggregate->op));
    for (const std::string& label : aggregate->by) key += "," + label;
  }
  return key + (absent ? "\nabsent" : "");
}

}  // namespace metricsd::alerting
