// STUB (to be written by its owner): the options of one analytics method.
#pragma once

#include "daemon/core/config_schema.h"

namespace metricsd::analytics {

// Thread-safety: a value; immutable once loaded.
struct LeakOptions {
  bool operator==(const LeakOptions&) const = default;
};

const config::Section<LeakOptions>& LeakSection();

}  // namespace metricsd::analytics
