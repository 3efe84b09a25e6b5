#include "daemon/query/promql_key.h"

#include "daemon/query/promql/parser.h"

namespace metricsd::query {

void CheckPromQL(const ConfigNode& node, const std::string& expr) {
  if (expr.empty()) return;
  promql::ParseError error;
  if (promql::ParseExpr(expr, &error) == nullptr) node.Fail(error.ToString(expr));
}

}  // namespace metricsd::query
