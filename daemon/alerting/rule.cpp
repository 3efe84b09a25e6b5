#include "daemon/alerting/rule.h"

#include "daemon/alerting/template.h"

namespace metricsd::alerting {
namespace {

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

bool LabelMatcher::Matches(std::string_view label_value) const {
  return regex ? RE2::FullMatch(label_value, *regex) : label_value == value;
}

bool Rule::Compare(double v) const {
  switch (op) {
    case CompareOp::kGt: return v > threshold;
    case CompareOp::kGe: return v >= threshold;
    case CompareOp::kLt: return v < threshold;
    case CompareOp::kLe: return v <= threshold;
    case CompareOp::kEq: return v == threshold;
    case CompareOp::kNe: return v != threshold;
  }
  return false;
}

std::string Rule::Expression() const {
  auto selector = [&](const std::string& family, std::string_view suffix) {
    std::string out = family + std::string(suffix);
    if (!matchers.empty()) {
      out += "{";
      for (std::size_t i = 0; i < matchers.size(); ++i) {
        const LabelMatcher& m = matchers[i];
        out += (i ? "," : "") + m.name + (m.regex ? "=~" : "=") + Quote(m.value);
      }
      out += "}";
    }
    return out;
  };
  std::string range = "[" + FormatDuration(window) + "]";
  auto valued = [&](const std::string& family) {
    switch (value) {
      case ValueKind::kLast: return selector(family, "");
      case ValueKind::kRate: return "rate(" + selector(family, "") + range + ")";
      case ValueKind::kIncrease: return "increase(" + selector(family, "") + range + ")";
      case ValueKind::kAvg: return "avg_over_time(" + selector(family, "") + range + ")";
      case ValueKind::kMin: return "min_over_time(" + selector(family, "") + range + ")";
      case ValueKind::kMax: return "max_over_time(" + selector(family, "") + range + ")";
      case ValueKind::kQuantile: {
        std::string q = FormatGoFloat(quantile);
        std::string buckets = window.count() > 0 ? "rate(" + selector(family, "_bucket") + range + ")"
                                                 : selector(family, "_bucket");
        return "histogram_quantile(" + q + ", " + buckets + ")";
      }
    }
    return selector(family, "");
  };
  auto aggregated = [&](const std::string& family) {
    std::string inner = valued(family);
    if (!aggregate) return inner;
    std::string by;
    for (const std::string& label : aggregate->by) by += (by.empty() ? "" : ",") + label;
    return std::string(AggregateOpName(aggregate->op)) + " by (" + by + ") (" + inner + ")";
  };
  if (absent) return "absent(" + selector(metric, "") + ")";
  std::string expr = aggregated(metric);
  if (!divide_by.empty()) expr += " / " + aggregated(divide_by);
  return expr + " " + std::string(CompareOpName(op)) + " " + FormatGoFloat(threshold);
}

std::string Rule::SelectionKey() const {
  std::string key = metric + "\n" + divide_by + "\n" + std::string(ValueKindName(value)) + "\n" +
                    FormatGoFloat(quantile) + "\n" + FormatDuration(window) + "\n";
  for (const LabelMatcher& m : matchers) key += m.name + (m.regex ? "=~" : "=") + m.value + "\n";
  if (aggregate) {
    key += std::string(AggregateOpName(aggregate->op));
    for (const std::string& label : aggregate->by) key += "," + label;
  }
  return key + (absent ? "\nabsent" : "");
}

}  // namespace metricsd::alerting
