// FindFunctionImpl: one table, by name, of every file's rows.
#include <algorithm>
#include <array>
#include <vector>

#include "daemon/query/promql/functions_internal.h"

namespace metricsd::query::promql {

namespace {

using functions_internal::NamedFunctionImpl;

const std::vector<NamedFunctionImpl>& Table() {
  static const std::vector<NamedFunctionImpl> table = [] {
    std::vector<NamedFunctionImpl> rows;
    for (const auto part : {functions_internal::RateFunctionImpls(),
                            functions_internal::TrendFunctionImpls(),
                            functions_internal::OverTimeFunctionImpls(),
                            functions_internal::MathFunctionImpls(),
                            functions_internal::TimeFunctionImpls(),
                            functions_internal::HistogramFunctionImpls(),
                            functions_internal::LabelFunctionImpls()}) {
      rows.insert(rows.end(), part.begin(), part.end());
    }
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    return rows;
  }();
  return table;
}

constexpr std::array<std::string_view, 8> kEvaluatorHandles = {
    "absent", "absent_over_time", "scalar", "sort", "sort_desc", "time", "timestamp", "vector",
};

}  // namespace

std::optional<FunctionImpl> FindFunctionImpl(std::string_view name) {
  const auto& table = Table();
  const auto it = std::lower_bound(table.begin(), table.end(), name,
                                   [](const auto& row, std::string_view n) { return row.name < n; });
  if (it == table.end() || it->name != name) return std::nullopt;
  return it->impl;
}

bool EvaluatorHandles(std::string_view name) {
  return std::find(kEvaluatorHandles.begin(), kEvaluatorHandles.end(), name) !=
         kEvaluatorHandles.end();
}

}  // namespace metricsd::query::promql
