#include "daemon/analytics/leak_options.h"

#include "daemon/query/promql_key.h"

namespace metricsd::analytics {
namespace {

bool IsLabelName(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

const config::Section<LeakOptions>& LeakSection() {
  static const auto* section = [] {
    auto* leaks = new config::Section<LeakOptions>(
        "Memory leaks: steady growth of a process group's resident memory between its "
        "restarts, confirmed by the Mann-Kendall test in the latter half of the segment, is a "
        "\"leak\" finding (a possible leak) with its growth rate.");
    leaks
        ->String("memory", &LeakOptions::memory,
                 "PromQL: resident memory in bytes (summed by group_by)")
        .String("start_time", &LeakOptions::start_time,
                "PromQL: start time of the group's oldest process, unix seconds (a change is a "
                "restart; min by group_by); empty: restarts only by reset_drop")
        .Strings("group_by", &LeakOptions::group_by, "labels that name a process group")
        .Dur("range", &LeakOptions::range, "the window searched for segments, ending now",
             config::DurationBounds{std::chrono::hours(1), std::chrono::hours(24 * 90)})
        .Dur("step", &LeakOptions::step, "the range query's step",
             config::DurationBounds{std::chrono::seconds(1), std::chrono::hours(1)})
        .Dur("min_duration", &LeakOptions::min_duration,
             "the shortest segment between restarts that is tested",
             config::DurationBounds{std::chrono::minutes(10), std::chrono::hours(24 * 90)})
        .Double("min_growth", &LeakOptions::min_growth, 0, 1e6,
                "least growth reported, percent of the segment's median per day")
        .Double("reset_drop", &LeakOptions::reset_drop, 1, 100,
                "a fall of memory by more than this percent between steps is a restart")
        .Dur("test_bucket", &LeakOptions::test_bucket,
             "Mann-Kendall over medians of buckets this long (autocorrelation guard); 0: every "
             "step",
             config::DurationBounds{std::chrono::seconds(0), std::chrono::hours(24)})
        .Double("alpha", &LeakOptions::alpha, 1e-9, 0.5,
                "one-sided Mann-Kendall significance level of the growth")
        .Check("memory is required and valid PromQL, start_time valid PromQL, group_by label "
               "names; min_duration holds at least 6 steps and 6 test buckets",
               [](const ConfigNode& node, LeakOptions& o) {
                 if (o.memory.empty()) node["memory"].Fail("must not be empty");
                 query::CheckPromQL(node["memory"], o.memory);
                 query::CheckPromQL(node["start_time"], o.start_time);
                 // group_by is spliced into `sum by (...)`: only label names may go there.
                 auto items = node["group_by"].Items();
                 for (std::size_t i = 0; i < o.group_by.size(); ++i) {
                   if (!IsLabelName(o.group_by[i])) {
                     (i < items.size() ? items[i] : node["group_by"])
                         .Fail("\"" + o.group_by[i] + "\" is not a label name");
                   }
                 }
                 if (o.min_duration < 6 * o.step) {
                   node["step"].Fail("must be at most a sixth of min_duration");
                 }
                 if (o.min_duration < 6 * o.test_bucket) {
                   node["test_bucket"].Fail("must be at most a sixth of min_duration");
                 }
               });
    return leaks;
  }();
  return *section;
}

}  // namespace metricsd::analytics
