// STUB (to be written by its owner): the options of one analytics method.
#pragma once

#include "daemon/core/config_schema.h"

namespace metricsd::analytics {

// Thread-safety: a value; immutable once loaded.
struct RegressionOptions {
  bool operator==(const RegressionOptions&) const = default;
};

const config::Section<RegressionOptions>& RegressionSection();

}  // namespace metricsd::analytics
