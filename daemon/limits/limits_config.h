// The `limits` section: metricsd's own CPU and memory budget, and how load shedding reacts
// when it is over it (daemon/limits/load_shedder.h, shed_policy.h).
//
// Thread-safety: plain values; immutable once loaded.
#pragma once

#include <cstdint>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::limits {

struct LimitsConfig {
  double cpu = 0;               // cores (1.5 = one and a half); 0: no CPU budget
  std::int64_t memory = 0;      // resident bytes; 0: no memory budget
  Duration interval = std::chrono::milliseconds(500);  // how often usage is measured
  Duration over_for = std::chrono::seconds(3);          // averaged over this before a step up
  double recover_below = 0.8;   // fraction of the budget usage must stay under to step down
  Duration recover_for = std::chrono::milliseconds(1500);  // ... for this long before the first step down

  // Whether any budget is set (otherwise nothing is measured and nothing is ever shed).
  bool enabled() const { return cpu > 0 || memory > 0; }
};

const config::Section<LimitsConfig>& LimitsSection();

}  // namespace metricsd::limits
