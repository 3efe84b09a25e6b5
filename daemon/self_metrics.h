// The daemon's own metrics: build info, config reload status, HTTP requests and the server's
// connections, streamed through the Source contract like every other input.
//
// Kept in plain counters and our Histogram rather than a prometheus-cpp Registry: a scrape
// then streams them without building the MetricFamily model (measured: ~40 us of a cold
// scrape went to Registry::Collect).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/histogram.h"
#include "daemon/core/mutex.h"
#include "daemon/core/source.h"
#include "daemon/http/server.h"

namespace metricsd {

// Thread-safety: thread-safe; requests are observed from every HTTP thread.
class SelfMetrics {
 public:
  SelfMetrics();

  // Router observer: one request answered.
  void ObserveHttpRequest(std::string_view handler, unsigned status, double seconds);
  // Outcome of a config load (start-up counts as the first one).
  void RecordReload(bool success);

  // Appends the Sources serving all of the above; `server` (may be null) adds its connection
  // counts. The Sources share this object's state, which must outlive them.
  void AppendSources(std::shared_ptr<const HttpServerStats> server,
                     std::vector<std::shared_ptr<const Source>>& sources);

 private:
  class SelfSource;

  struct Http {
    std::map<std::string, std::map<unsigned, double>, std::less<>> requests;  // handler, code
    std::map<std::string, Histogram, std::less<>> durations;                   // by handler
  };

  Mutex http_mutex_;
  Http http_ ABSL_GUARDED_BY(http_mutex_);
  std::atomic<bool> reload_successful_{false};
  std::atomic<double> reload_success_timestamp_{0};
};

}  // namespace metricsd
