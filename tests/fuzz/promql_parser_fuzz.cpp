// Arbitrary bytes as a PromQL query (any HTTP client or rule file sends them). Beyond "no
// crash": an error's position lies inside the query, and a query that parses prints (String())
// to text that parses again and prints identically; its pretty form (format_query) parses to
// the same expression too. One exception is Prometheus's own: a unary operator over `+Inf ^ x`
// prints as `-+Inf ^ x`, which parses as -(+(Inf ^ x)) and prints as `-++Inf ^ x` (2.42's
// format_query does the same), so text with "+Inf" is only required to parse again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/query/promql/parser.h"
#include "daemon/query/promql/printer.h"

namespace {

using namespace metricsd::query::promql;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  ParseError error;
  ExprPtr expr = ParseExpr(query, &error);
  if (!expr) {
    Check(0 <= error.pos.start && error.pos.start <= error.pos.end &&
          error.pos.end <= static_cast<int>(size));
    Check(!error.ToString(query).empty());
    return 0;
  }
  const std::string printed = ExprToString(*expr);
  const bool fixed_point = printed.find("+Inf") == std::string::npos;
  ExprPtr again = ParseExpr(printed, &error);
  Check(again != nullptr);
  Check(!fixed_point || ExprToString(*again) == printed);
  const std::string pretty = PrettyExpr(*expr);
  ExprPtr from_pretty = ParseExpr(pretty, &error);
  Check(from_pretty != nullptr);
  Check(!fixed_point || ExprToString(*from_pretty) == printed);
  return 0;
}
