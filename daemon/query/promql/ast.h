// PromQL's abstract syntax tree, mirroring Prometheus 2.42's promql/parser/ast.go so the parser,
// the printer (format_query) and the evaluator speak one shape. Built by the parser, immutable
// afterwards; the engine may wrap step-invariant parts before evaluating.
//
// Thread-safety: immutable after parsing; may be read from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/query/promql/value.h"
#include "daemon/storage/label_matcher.h"

namespace metricsd::query::promql {

// The types of expressions (Prometheus's ValueType). kNone only for a failed parse.
enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };
// The API's spelling: "scalar", "vector", "matrix", "string" (and "none").
std::string_view ValueTypeName(ValueType type);
// The parser's messages' spelling (Prometheus's DocumentedType): "scalar", "instant vector",
// "range vector", "string".
std::string_view DocumentedTypeName(ValueType type);

// Byte offsets into the query text, [start, end).
struct PositionRange {
  int start = 0;
  int end = 0;
};

enum class BinaryOp {
  kAdd, kSub, kMul, kDiv, kMod, kPow, kAtan2,  // arithmetic
  kEql, kNeq, kGtr, kLss, kGte, kLte,           // comparison
  kAnd, kOr, kUnless,                           // set operators
};
bool IsComparison(BinaryOp op);
bool IsSetOperator(BinaryOp op);
std::string_view BinaryOpName(BinaryOp op);  // "+", "==", "and", "atan2", ...

enum class AggregateOp {
  kSum, kAvg, kCount, kMin, kMax, kGroup, kStddev, kStdvar,
  kTopk, kBottomk, kCountValues, kQuantile,
};
std::string_view AggregateOpName(AggregateOp op);  // "sum", "count_values", ...

// The @ modifier: none, a fixed time, or the query's start() / end().
struct AtModifier {
  enum class Kind { kNone, kTimestamp, kStart, kEnd };
  Kind kind = Kind::kNone;
  Timestamp t = 0;  // kTimestamp: ms
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct NumberLiteral {
  double value = 0;
};

struct StringLiteral {
  std::string value;
};

struct VectorSelector {
  std::string name;           // may be empty ({job="x"})
  storage::Matchers matchers;  // all of them, including __name__="name" when a name is given
  std::int64_t offset_ms = 0;  // may be negative
  AtModifier at;
};

struct MatrixSelector {
  ExprPtr selector;  // a VectorSelector
  std::int64_t range_ms = 0;
};

struct SubqueryExpr {
  ExprPtr expr;
  std::int64_t range_ms = 0;
  std::int64_t step_ms = 0;  // 0: the default (engine's evaluation interval)
  std::int64_t offset_ms = 0;
  AtModifier at;
};

struct ParenExpr {
  ExprPtr expr;
};

struct UnaryExpr {
  bool negate = false;  // '-' (true) or '+'
  ExprPtr expr;
};

struct VectorMatching {
  enum class Card { kOneToOne, kManyToOne, kOneToMany, kManyToMany };
  Card card = Card::kOneToOne;
  std::vector<std::string> labels;   // on(...) / ignoring(...) labels, as written
  bool on = false;                   // on (true) or ignoring (false)
  std::vector<std::string> include;  // group_left / group_right labels
};

struct BinaryExpr {
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  // Set when both sides are instant vectors (set operators: kManyToMany).
  std::optional<VectorMatching> matching;
  bool return_bool = false;  // comparison with `bool`
};

struct FunctionSignature;  // function_table.h

struct Call {
  const FunctionSignature* func = nullptr;
  std::vector<ExprPtr> args;
};

struct AggregateExpr {
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // topk/bottomk/quantile: scalar; count_values: string; else null
  std::vector<std::string> grouping;
  bool without = false;
};

// Wraps a subtree whose value is the same at every step of a range query (Prometheus's
// StepInvariantExpr): the engine evaluates it once. Made by the engine, never by the parser.
struct StepInvariantExpr {
  ExprPtr expr;
};

struct Expr {
  std::variant<NumberLiteral, StringLiteral, VectorSelector, MatrixSelector, SubqueryExpr,
               ParenExpr, UnaryExpr, BinaryExpr, Call, AggregateExpr, StepInvariantExpr>
      node;
  PositionRange pos;

  ValueType Type() const;
  template <typename T>
  const T* As() const {
    return std::get_if<T>(&node);
  }
  template <typename T>
  T* As() {
    return std::get_if<T>(&node);
  }
};

}  // namespace metricsd::query::promql
