#include "daemon/alerting/threshold_query.h"

#include <algorithm>

#include "daemon/alerting/template.h"
#include "daemon/core/text_writer.h"

namespace metricsd::alerting {
namespace {

// A PromQL string literal (Go's escapes).
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool IsObservations(MetricType type) {
  return type == MetricType::kHistogram || type == MetricType::kSummary;
}

class Compiler {
 public:
  explicit Compiler(const Rule& rule) : rule_(rule), range_("[" + FormatDuration(rule.window) + "]") {}

  // One side (the metric or the divisor) up to and including the aggregation.
  std::string Side(const std::string& family, MetricType type) const {
    Check(family, type);
    if (rule_.value == ValueKind::kQuantile && type == MetricType::kHistogram) {
      std::string buckets = Windowed(Selector(family, "_bucket", ""));
      std::string q = FormatGoFloat(rule_.quantile);
      if (rule_.aggregate && rule_.aggregate->op == AggregateOp::kSum) {
        std::vector<std::string> by = rule_.aggregate->by;
        if (std::find(by.begin(), by.end(), "le") == by.end()) by.insert(by.begin(), "le");
        return "histogram_quantile(" + q + ", sum by (" + Join(by) + ") (" + buckets + "))";
      }
      return Aggregated("histogram_quantile(" + q + ", " + buckets + ")");
    }
    return Aggregated(Valued(family, type));
  }

  std::string Absent(MetricType type) const {
    return "absent(" + Selector(rule_.metric, IsObservations(type) ? "_count" : "", "") + ")";
  }

 private:
  void Check(const std::string& family, MetricType type) const {
    bool observations = IsObservations(type);
    bool ok = true;
    switch (rule_.value) {
      case ValueKind::kLast:
      case ValueKind::kMin:
      case ValueKind::kMax: ok = !observations; break;
      case ValueKind::kQuantile: ok = observations; break;
      default: break;
    }
    if (!ok) {
      throw RuleTypeError("value: " + std::string(ValueKindName(rule_.value)) + " does not apply to " +
                          family + ", a " + std::string(MetricTypeName(type)) +
                          (observations ? " (use quantile, avg, rate or increase)"
                                        : " (quantile needs a histogram or summary)"));
    }
  }

  std::string Valued(const std::string& family, MetricType type) const {
    bool observations = IsObservations(type);
    switch (rule_.value) {
      case ValueKind::kLast: return Selector(family, "", "");
      case ValueKind::kRate:
        return "rate(" + Selector(family, observations ? "_count" : "", "") + range_ + ")";
      case ValueKind::kIncrease:
        return "increase(" + Selector(family, observations ? "_count" : "", "") + range_ + ")";
      case ValueKind::kAvg:
        if (observations) {
          // The mean observation within the window.
          return "rate(" + Selector(family, "_sum", "") + range_ + ") / rate(" +
                 Selector(family, "_count", "") + range_ + ")";
        }
        return "avg_over_time(" + Selector(family, "", "") + range_ + ")";
      case ValueKind::kMin: return "min_over_time(" + Selector(family, "", "") + range_ + ")";
      case ValueKind::kMax: return "max_over_time(" + Selector(family, "", "") + range_ + ")";
      case ValueKind::kQuantile: {
        // A summary: the quantile label as the sampler writes it (the text format's spelling).
        char buf[32];
        return Selector(family, "", FormatDouble(rule_.quantile, buf));
      }
    }
    return Selector(family, "", "");
  }

  std::string Windowed(const std::string& selector) const {
    return rule_.window.count() > 0 ? "rate(" + selector + range_ + ")" : selector;
  }

  std::string Aggregated(const std::string& inner) const {
    if (!rule_.aggregate) return inner;
    return std::string(AggregateOpName(rule_.aggregate->op)) + " by (" + Join(rule_.aggregate->by) +
           ") (" + inner + ")";
  }

  std::string Selector(const std::string& family, std::string_view suffix,
                       std::string_view quantile) const {
    std::string out = family + std::string(suffix);
    std::string inside;
    for (const LabelMatcher& m : rule_.matchers) {
      inside += (inside.empty() ? "" : ",") + m.name + (m.regex ? "=~" : "=") + Quote(m.value);
    }
    if (!quantile.empty()) inside += std::string(inside.empty() ? "" : ",") + "quantile=" + Quote(quantile);
    return inside.empty() ? out : out + "{" + inside + "}";
  }

  static std::string Join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
  }

  const Rule& rule_;
  std::string range_;
};

}  // namespace

MetricType AssumedType(const Rule& rule) {
  if (rule.type) return *rule.type;
  return rule.value == ValueKind::kQuantile ? MetricType::kHistogram : MetricType::kGauge;
}

std::string ThresholdQuery(const Rule& rule, MetricType metric_type, MetricType divisor_type) {
  Compiler compiler(rule);
  if (rule.absent) return compiler.Absent(metric_type);
  std::string expr = compiler.Side(rule.metric, metric_type);
  if (!rule.divide_by.empty()) {
    std::string divisor = compiler.Side(rule.divide_by, divisor_type);
    // An unaggregated observation mean is itself a division: keep each side whole.
    auto wrap = [](const std::string& side) {
      return side.find(" / ") != std::string::npos ? "(" + side + ")" : side;
    };
    expr = wrap(expr) + " / " + wrap(divisor);
  }
  return expr + " " + std::string(CompareOpName(rule.op)) + " " + FormatGoFloat(rule.threshold);
}

}  // namespace metricsd::alerting
