// An error that ends a query, with Prometheus's error type (the API's errorType and status).
// Thrown inside the parser's checks and the evaluator (the way Prometheus panics and recovers
// in its evaluator) and caught at the Engine's boundary: it never leaves the engine.
//
// Thread-safety: a plain value.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "daemon/core/enum_table.h"

namespace metricsd::query::promql {

enum class ErrorType { kNone, kBadData, kExecution, kTimeout, kCanceled, kInternal, kUnavailable };
// The API's errorType spellings, both ways (the remote engine reads them back).
inline constexpr EnumTable<ErrorType, 6> kErrorTypeNames{{{{ErrorType::kBadData, "bad_data"},
                                                          {ErrorType::kExecution, "execution"},
                                                          {ErrorType::kTimeout, "timeout"},
                                                          {ErrorType::kCanceled, "canceled"},
                                                          {ErrorType::kInternal, "internal"},
                                                          {ErrorType::kUnavailable, "unavailable"}}}};

class QueryError : public std::runtime_error {
 public:
  QueryError(ErrorType type, const std::string& message)
      : std::runtime_error(message), type_(type) {}
  ErrorType type() const { return type_; }

 private:
  ErrorType type_;
};

}  // namespace metricsd::query::promql
