// The daemon's own metrics: build info, config reload status, HTTP requests and the server's
// connections. Counted with prometheus-cpp's Registry (a few dozen series) and served through
// the Source contract like every other input.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "daemon/core/source.h"
#include "daemon/http/server.h"

namespace metricsd {

// Thread-safe.
class SelfMetrics {
 public:
  SelfMetrics();

  // Router observer: one request answered.
  void ObserveHttpRequest(std::string_view handler, unsigned status, double seconds);
  // Outcome of a config load (start-up counts as the first one).
  void RecordReload(bool success);

  // Appends the Sources serving all of the above; `server` (may be null) adds its connection
  // counts.
  void AppendSources(std::shared_ptr<const HttpServerStats> server,
                     std::vector<std::shared_ptr<const Source>>& sources) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& http_requests_;
  prometheus::Family<prometheus::Histogram>& http_duration_;
  prometheus::Gauge& reload_successful_;
  prometheus::Gauge& reload_success_timestamp_;
};

}  // namespace metricsd
