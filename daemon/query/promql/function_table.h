// Every function of Prometheus 2.42's float PromQL with its signature (promql/parser/
// functions.go): the parser type-checks calls against it, the evaluator finds the
// implementation (functions.h) by name.
//
// Thread-safety: immutable static data.
#pragma once

#include <string_view>
#include <vector>

#include "daemon/query/promql/ast.h"

namespace metricsd::query::promql {

struct FunctionSignature {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types; N > 0: up to N trailing arguments (of the last listed type) may be
  // left out; -1: the last type repeats without limit (label_join).
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
};

// The function called `name`, or nullptr.
const FunctionSignature* FindFunction(std::string_view name);
// All of them, sorted by name (completion, docs, the random query generator).
const std::vector<FunctionSignature>& AllFunctions();

}  // namespace metricsd::query::promql
