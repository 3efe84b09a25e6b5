// The `analytics.leaks` options: steady growth of a process group's resident memory between
// its restarts (leak.h). The defaults read process-exporter's families, which metricsd exposes.
//
// Thread-safety: a value; immutable once loaded.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"

namespace metricsd::analytics {

struct LeakOptions {
  // Resident memory in bytes; summed by group_by.
  std::string memory = "namedprocess_namegroup_memory_bytes{memtype=\"resident\"}";
  // The start time (unix seconds) of the group's oldest process: a change is a restart; the
  // minimum by group_by is taken. Empty: restarts only by the memory drop.
  std::string start_time = "namedprocess_namegroup_oldest_start_time_seconds";
  std::vector<std::string> group_by = {"groupname"};
  // The window searched for segments, ending at the evaluation time.
  Duration range = std::chrono::hours(24 * 7);
  Duration step = std::chrono::minutes(5);
  // The shortest segment (between restarts) that is tested.
  Duration min_duration = std::chrono::hours(6);
  // The least growth reported, percent of the segment's median per day.
  double min_growth = 5;
  // A fall of memory by more than this percent from one step to the next is a restart too.
  double reset_drop = 30;
  // Mann-Kendall over medians of buckets this long (the autocorrelation guard).
  Duration test_bucket = std::chrono::minutes(15);
  // The one-sided Mann-Kendall level of the growth.
  double alpha = 0.01;

  bool operator==(const LeakOptions&) const = default;
};

const config::Section<LeakOptions>& LeakSection();

}  // namespace metricsd::analytics
