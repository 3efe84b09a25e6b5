// The `history` section: what the embedded store keeps, how often, for how long.
#pragma once

#include <cstdint>
#include <string>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::storage {

struct RetentionConfig {
  Duration raw = std::chrono::hours(24 * 15);
  Duration minute = std::chrono::hours(24 * 90);
  Duration hour = std::chrono::hours(24 * 365 * 2);
  std::int64_t size = std::int64_t{2} << 30;
};

// Thread-safety: a value; immutable once loaded.
struct HistoryConfig {
  bool enabled = true;
  std::string path;  // empty: --storage.path, whose default is data/ in the working directory
  Duration interval = std::chrono::seconds(10);
  Duration flush_interval = std::chrono::seconds(10);
  RetentionConfig retention;
  std::int64_t max_series = 1'000'000;
};

const config::Section<HistoryConfig>& HistorySection();

}  // namespace metricsd::storage
