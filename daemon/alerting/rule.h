// A rule as a rule file declares it. Built once at load, immutable.
// Thread-safety: plain values, read-only after load (the parsed expression is shared).
//
// Two forms, one engine: every rule is a PromQL expression that QueryService::InstantExpr
// evaluates over history at the group's evaluation time.
// - Prometheus's form (`expr`): an alerting rule (`alert`) or a recording rule (`record`), the
//   expression parsed at load (a parse error is a config error with its file:line:column).
// - The threshold form (`metric`, alerting only): which family and series, what value of them,
//   compared how. It compiles to the PromQL it means (threshold_query.h). The shape depends on
//   the family's type (a histogram's rate reads x_count, a summary's quantile x{quantile="q"}),
//   so the type comes from `type:` when the rule states it, otherwise from the live Sources'
//   metadata (the family as /metrics announces it), and the rule recompiles when that changes.
//   Until the family has been seen, the type its `value` implies is assumed (quantile: a
//   histogram; anything else: a counter or gauge, which compile the same). A value that does not
//   apply to the type (the quantile of a gauge) is the rule's error, as before.
//
// Recording rules' results are exposed as a Source (RuleManager::RecordingSource), which the
// history sampler records, so their samples take the sampler's pass time, not the evaluation
// time: a deliberate difference from Prometheus, which writes them at the evaluation time.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <re2/re2.h>

#include "daemon/alerting/template.h"
#include "daemon/core/duration.h"
#include "daemon/core/enum_table.h"
#include "daemon/core/source.h"
#include "daemon/query/promql/ast.h"

namespace metricsd::alerting {

enum class ValueKind { kLast, kRate, kIncrease, kAvg, kMin, kMax, kQuantile };
enum class CompareOp { kGt, kGe, kLt, kLe, kEq, kNe };
enum class AggregateOp { kSum, kAvg, kMin, kMax, kCount };

struct LabelMatcher {
  std::string name;
  std::string value;                   // exact value, or the regex as written
  std::shared_ptr<const RE2> regex;    // set for match_re (anchored at both ends)

  bool Matches(std::string_view label_value) const;
};

struct Aggregation {
  AggregateOp op = AggregateOp::kSum;
  std::vector<std::string> by;  // sorted; empty: everything into one series
};

enum class RuleKind { kAlerting, kRecording };

struct Rule {
  RuleKind kind = RuleKind::kAlerting;
  std::string alert;   // alerting rules: the alert name
  std::string record;  // recording rules: the metric name their results get
  // Prometheus's form: the expression as written, and parsed (shared by reloads' copies).
  std::string expr;
  std::shared_ptr<const query::promql::Expr> parsed;

  // The threshold form (set when `metric` is not empty).
  std::string metric;
  std::vector<LabelMatcher> matchers;
  ValueKind value = ValueKind::kLast;
  double quantile = 0;   // value: quantile
  Duration window{0};    // zero: not windowed
  std::string divide_by;
  std::optional<Aggregation> aggregate;
  bool absent = false;
  CompareOp op = CompareOp::kGt;
  double threshold = 0;
  std::optional<MetricType> type;  // `type:` as written; unset: learned from the live Sources

  Duration hold{0};             // `for`
  Duration keep_firing_for{0};
  LabelMap labels;  // as written
  // Label values that are templates (Prometheus renders rule labels too), by label name.
  std::map<std::string, AlertTemplate, std::less<>> label_templates;
  std::vector<std::pair<std::string, AlertTemplate>> annotations;

  bool IsThreshold() const { return !metric.empty(); }
  // The alert or record name.
  const std::string& Name() const { return kind == RuleKind::kRecording ? record : alert; }
  // The PromQL the rule evaluates, before any type is learned: the expression as written, or
  // the threshold form compiled with its stated type or the type its value implies:
  // histogram_quantile(0.95, rate(x_bucket{action="Transfer"}[5m])) > 0.5
  std::string Expression() const;
  // Identifies what the rule computes: its state (active alerts) survives a reload only while
  // this stays the same.
  std::string SelectionKey() const;
};

struct RuleGroup {
  std::string file;
  std::string name;
  Duration interval{0};
  std::size_t limit = 0;  // Prometheus's group limit: alerts (or series) per rule; 0: none
  std::vector<Rule> rules;

  // Prometheus's rule_group label: "file;name".
  std::string Key() const { return file + ";" + name; }
};

// The rule files' spellings (and the PromQL a rule compiles to names them back).
inline constexpr EnumTable<ValueKind, 7> kValueKindNames{{{
    {ValueKind::kLast, "last"},
    {ValueKind::kRate, "rate"},
    {ValueKind::kIncrease, "increase"},
    {ValueKind::kAvg, "avg"},
    {ValueKind::kMin, "min"},
    {ValueKind::kMax, "max"},
    {ValueKind::kQuantile, "quantile"},
}}};
inline constexpr EnumTable<CompareOp, 6> kCompareOpNames{{{
    {CompareOp::kGt, ">"},
    {CompareOp::kGe, ">="},
    {CompareOp::kLt, "<"},
    {CompareOp::kLe, "<="},
    {CompareOp::kEq, "=="},
    {CompareOp::kNe, "!="},
}}};
inline constexpr EnumTable<AggregateOp, 5> kAggregateOpNames{{{
    {AggregateOp::kSum, "sum"},
    {AggregateOp::kAvg, "avg"},
    {AggregateOp::kMin, "min"},
    {AggregateOp::kMax, "max"},
    {AggregateOp::kCount, "count"},
}}};
inline std::string_view ValueKindName(ValueKind kind) { return kValueKindNames.Name(kind); }
inline std::string_view CompareOpName(CompareOp op) { return kCompareOpNames.Name(op); }
inline std::string_view AggregateOpName(AggregateOp op) { return kAggregateOpNames.Name(op); }

}  // namespace metricsd::alerting
