// An error that ends a query, with Prometheus's error type (the API's errorType and status).
// Thrown inside the parser's checks and the evaluator (the way Prometheus panics and recovers
// in its evaluator) and caught at the Engine's boundary: it never leaves the engine.
//
// Thread-safety: a plain value.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace metricsd::query::promql {

enum class ErrorType { kNone, kBadData, kExecution, kTimeout, kCanceled, kInternal, kUnavailable };
// The API's errorType: "bad_data", "execution", "timeout", "canceled", "internal", "unavailable".
std::string_view ErrorTypeName(ErrorType type);

class QueryError : public std::runtime_error {
 public:
  QueryError(ErrorType type, const std::string& message)
      : std::runtime_error(message), type_(type) {}
  ErrorType type() const { return type_; }

 private:
  ErrorType type_;
};

}  // namespace metricsd::query::promql
