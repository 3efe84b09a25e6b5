// The AST back to text: Prometheus 2.42's Expr.String() (one line, canonical) and
// Expr.Pretty() (what /api/v1/format_query answers).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>

#include "daemon/query/promql/ast.h"

namespace metricsd::query::promql {

std::string ExprToString(const Expr& expr);
std::string PrettyExpr(const Expr& expr);
// Pretty() with another line width than Prometheus's 100 (its own tests use 10).
std::string PrettyExpr(const Expr& expr, size_t max_line_width);

}  // namespace metricsd::query::promql
