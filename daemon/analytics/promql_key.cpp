#include "daemon/analytics/promql_key.h"

#include "daemon/query/promql/parser.h"

namespace metricsd::analytics {

void CheckPromQL(const ConfigNode& node, const std::string& expr) {
  if (expr.empty()) return;
  query::promql::ParseError error;
  if (query::promql::ParseExpr(expr, &error) == nullptr) node.Fail(error.ToString(expr));
}

}  // namespace metricsd::analytics
