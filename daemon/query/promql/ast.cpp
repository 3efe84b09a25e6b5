#include "daemon/query/promql/ast.h"

#include "daemon/query/promql/function_table.h"

namespace metricsd::query::promql {

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "vector";
    case ValueType::kMatrix: return "matrix";
    case ValueType::kString: return "string";
    case ValueType::kNone: break;
  }
  return "none";
}

std::string_view DocumentedTypeName(ValueType type) {
  switch (type) {
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
    default: return ValueTypeName(type);
  }
}

bool IsComparison(BinaryOp op) { return op >= BinaryOp::kEql && op <= BinaryOp::kLte; }
bool IsSetOperator(BinaryOp op) { return op >= BinaryOp::kAnd; }

std::string_view BinaryOpName(BinaryOp op) {
  static constexpr std::string_view kNames[] = {"+",  "-",  "*", "/",   "%",  "^",
                                                "atan2", "==", "!=", ">", "<", ">=",
                                                "<=", "and", "or", "unless"};
  return kNames[static_cast<int>(op)];
}

std::string_view AggregateOpName(AggregateOp op) {
  static constexpr std::string_view kNames[] = {"sum",    "avg",    "count", "min",
                                                "max",    "group",  "stddev", "stdvar",
                                                "topk",   "bottomk", "count_values",
                                                "quantile"};
  return kNames[static_cast<int>(op)];
}

ValueType Expr::Type() const {
  struct Visitor {
    ValueType operator()(const NumberLiteral&) const { return ValueType::kScalar; }
    ValueType operator()(const StringLiteral&) const { return ValueType::kString; }
    ValueType operator()(const VectorSelector&) const { return ValueType::kVector; }
    ValueType operator()(const MatrixSelector&) const { return ValueType::kMatrix; }
    ValueType operator()(const SubqueryExpr&) const { return ValueType::kMatrix; }
    ValueType operator()(const ParenExpr& e) const { return e.expr->Type(); }
    ValueType operator()(const UnaryExpr& e) const { return e.expr->Type(); }
    ValueType operator()(const BinaryExpr& e) const {
      return e.lhs->Type() == ValueType::kScalar && e.rhs->Type() == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    }
    ValueType operator()(const Call& e) const {
      return e.func != nullptr ? e.func->return_type : ValueType::kNone;
    }
    ValueType operator()(const AggregateExpr&) const { return ValueType::kVector; }
    ValueType operator()(const StepInvariantExpr& e) const { return e.expr->Type(); }
  };
  return std::visit(Visitor{}, node);
}

}  // namespace metricsd::query::promql
