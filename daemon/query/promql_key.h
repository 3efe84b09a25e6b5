// Config keys that hold PromQL: checked at load, so a bad expression is an error naming the
// file, line and column of the key and the position inside the expression.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "daemon/core/config_node.h"

namespace metricsd::query {

// Fails through node.Fail with Prometheus's parse error ("1:5: parse error: ...") when `expr`
// is not valid PromQL; an empty `expr` passes (callers decide whether the key is required).
void CheckPromQL(const ConfigNode& node, const std::string& expr);

}  // namespace metricsd::query
