// An alerting rule as a rule file declares it: which family and series, what value of them,
// compared how, held for how long, and what the alert says. Built once at load, immutable.
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

struct Rule {
  std::string alert;
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
  Duration hold{0};             // `for`
  Duration keep_firing_for{0};
  LabelMap labels;  // as written
  // Label values that are templates (Prometheus renders rule labels too), by label name.
  std::map<std::string, AlertTemplate, std::less<>> label_templates;
  std::vector<std::pair<std::string, AlertTemplate>> annotations;

  bool Compare(double value) const;
  // The PromQL expression that means the same, for /api/v1/rules and the docs:
  // histogram_quantile(0.95, rate(x_bucket{action="Transfer"}[5m])) > 0.5
  std::string Expression() const;
  // Identifies what the rule selects and computes: state (windows, active alerts) survives a
  // reload only while this stays the same.
  std::string SelectionKey() const;
};

struct RuleGroup {
  std::string file;
  std::string name;
  Duration interval{0};
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
