// PromQL's parser (Prometheus 2.42's promql/parser): text to a type-checked AST, with the same
// grammar, precedence, associativity and error messages, positions included
// ("1:14: parse error: unexpected <by> in aggregation").
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/query/promql/ast.h"
#include "daemon/storage/label_matcher.h"

namespace metricsd::query::promql {

struct ParseError {
  PositionRange pos;
  std::string message;  // without the position ("unexpected end of input")
  // Prometheus's ParseErr.Error(): "LINE:COL: parse error: MESSAGE" for `query`.
  std::string ToString(std::string_view query) const;
};

// The expression, type-checked (checkAST), or nullptr with `error` set.
ExprPtr ParseExpr(std::string_view query, ParseError* error);

// A series selector for match[] (`up`, `{job="x"}`, `up{job=~"a|b"}`): its matchers, including
// __name__; nullopt with `error` set (also for a selector that matches the empty label set).
std::optional<storage::Matchers> ParseMetricSelector(std::string_view text, ParseError* error);

// Prometheus's duration syntax (1h30m, 5m, 10s, 100ms, 2d, 1w, 1y) in ms; nullopt if invalid.
std::optional<std::int64_t> ParseDuration(std::string_view text);
// Prometheus's model.Duration.String(): "1h30m", "5m", "0s".
std::string FormatDuration(std::int64_t ms);

}  // namespace metricsd::query::promql
