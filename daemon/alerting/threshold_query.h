// The threshold form compiled to the PromQL it means, per the family's type (rule.h):
//
//   value      counter, gauge, untyped            histogram                       summary
//   last       x{m}                               (error)                         (error)
//   rate       rate(x{m}[w])                      rate(x_count{m}[w])             same
//   increase   increase(x{m}[w])                  increase(x_count{m}[w])         same
//   avg        avg_over_time(x{m}[w])             rate(x_sum{m}[w]) / rate(x_count{m}[w])
//   min, max   min_over_time(x{m}[w]), ...        (error)                         (error)
//   quantile   (error)                            histogram_quantile(q, rate(x_bucket{m}[w]))
//                                                                           x{m,quantile="q"}
// then `aggregate` (op by (labels) (...); a sum of histogram quantiles sums the buckets first:
// histogram_quantile(q, sum by (le, labels) (rate(x_bucket{m}[w])))), then ` / ` the same of
// `divide_by`, then the comparison with the threshold. `absent` compiles to absent(x{m})
// (absent(x_count{m}) for a histogram or summary). Without a window, a histogram quantile reads
// the cumulative buckets (histogram_quantile(q, x_bucket{m})).
//
// Thread-safety: pure functions.
#pragma once

#include <stdexcept>
#include <string>

#include "daemon/alerting/rule.h"

namespace metricsd::alerting {

// A value that does not apply to the family's type: the rule's error.
class RuleTypeError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The type a threshold rule is compiled for before its family has been seen: the stated
// `type`, else a histogram for quantiles and a gauge for anything else.
MetricType AssumedType(const Rule& rule);

// The PromQL of the threshold rule `rule` for families of these types. Throws RuleTypeError.
std::string ThresholdQuery(const Rule& rule, MetricType metric_type, MetricType divisor_type);

}  // namespace metricsd::alerting
