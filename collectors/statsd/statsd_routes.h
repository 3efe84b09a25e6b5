// The StatsD service's HTTP routes: POST /api/v1/statsd (StatsD lines from browsers, CORS
// checked against statsd.http.allowed_origins) and its OPTIONS preflight.
//
// Thread-safety: the handlers may run concurrently on any thread; they read the config through
// `config` each time, so a reload applies to the next request.
#pragma once

#include <functional>
#include <memory>

#include "collectors/statsd/statsd_config.h"
#include "collectors/statsd/statsd_service.h"
#include "daemon/core/route.h"

namespace metricsd::statsd {

// The running statsd section (after a reload, the new one).
using StatsdConfigFn = std::function<std::shared_ptr<const StatsdConfig>()>;

// `service` is the running service, or null when statsd is disabled (POST answers 503); it must
// outlive every request the routes serve.
Routes StatsdRoutes(StatsdConfigFn config, StatsdService* service);

}  // namespace metricsd::statsd
