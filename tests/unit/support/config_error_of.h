// Test helper: the message of the ConfigError a callable throws.
#pragma once

#include <string>

#include "daemon/core/config_node.h"

namespace metricsd {

// The what() of the ConfigError that `f` throws, or "" if it throws none.
template <typename F>
std::string ConfigErrorOf(F f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace metricsd
