// Arbitrary bytes as a PromQL query (any HTTP client or rule file sends them). Beyond "no
// crash": an error's position lies inside the query, and a query that parses prints (String())
// to text that parses again and prints identically; its pretty form (format_query) parses to
// the same expression too.
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
  ExprPtr again = ParseExpr(printed, &error);
  Check(again != nullptr);
  Check(ExprToString(*again) == printed);
  const std::string pretty = PrettyExpr(*expr);
  ExprPtr from_pretty = ParseExpr(pretty, &error);
  Check(from_pretty != nullptr);
  Check(ExprToString(*from_pretty) == printed);
  return 0;
}
