// The analytics routes: findings, baselines, impact of an annotation, on-demand reports, and
// the annotations API. Every route that computes runs on the server's worker pool (heavy).
//
// Thread-safety: the handlers are thread-safe (the service is).
#pragma once

#include "daemon/core/route.h"

namespace metricsd::analytics {

class AnalyticsService;

// `service` may be null (routes only described: print_docs); it must outlive the router.
Routes AnalyticsRoutes(AnalyticsService* service);

}  // namespace metricsd::analytics
