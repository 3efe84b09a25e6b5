#include "daemon/storage/history_config.h"

namespace metricsd::storage {
namespace {

const config::Section<RetentionConfig>& RetentionSection() {
  static const auto* section = [] {
    auto* retention = new config::Section<RetentionConfig>(
        "How long each tier is kept, and the bound on all of them together; enforced "
        "continuously, the oldest data going first.");
    constexpr config::DurationBounds kAtLeastAnHour{std::chrono::hours(1)};
    retention
        ->Dur("raw", &RetentionConfig::raw, "raw samples (every history.interval)", kAtLeastAnHour)
        .Dur("minute", &RetentionConfig::minute, "1-minute aggregates (min, max, sum, count, last)",
             kAtLeastAnHour)
        .Dur("hour", &RetentionConfig::hour, "1-hour aggregates", kAtLeastAnHour)
        .Size("size", &RetentionConfig::size, 0, std::int64_t{1} << 50,
              "bytes of the database over all tiers; 0: no bound");
    return retention;
  }();
  return *section;
}

}  // namespace

const config::Section<HistoryConfig>& HistorySection() {
  static const auto* section = [] {
    auto* history = new config::Section<HistoryConfig>(
        "The embedded history store: every series /metrics serves, sampled every interval, kept "
        "in SQLite under path with 1-minute and 1-hour tiers.");
    history
        ->Bool("enabled", &HistoryConfig::enabled, "keep history (the query API answers 503 without)")
        .Path("path", &HistoryConfig::path,
              "directory of metricsd.db, relative to this file; empty: --storage.path (default "
              "data/ in the working directory)")
        .Dur("interval", &HistoryConfig::interval, "how often every series is sampled",
             config::DurationBounds{std::chrono::seconds(1), std::chrono::hours(1)})
        .Dur("flush_interval", &HistoryConfig::flush_interval,
             "how often samples are written to disk: what kill -9 may lose",
             config::DurationBounds{std::chrono::seconds(1), std::chrono::hours(1)})
        .Block("retention", &HistoryConfig::retention, RetentionSection(), RetentionSection().doc())
        .Int("max_series", &HistoryConfig::max_series, 1, std::int64_t{1} << 31,
             "series kept; new series past it are dropped and counted");
    return history;
  }();
  return *section;
}

}  // namespace metricsd::storage
