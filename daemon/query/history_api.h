// The history store's HTTP API, in the shapes Prometheus and VictoriaMetrics give it so their
// tools work unchanged: series, labels and label values (series_api.h), export (export_api.h)
// and import (import_api.h). The daemon wires these routes; `store` returns null while
// history is disabled or failed to open, and every route then answers 503 with Prometheus's
// error JSON (errorType "unavailable").
//
// Thread-safety: the routes' handlers are thread-safe; `store` is called from the server's
// worker threads concurrently.
#pragma once

#include "daemon/core/route.h"
#include "daemon/query/store_getter.h"

namespace metricsd::query {

Routes HistoryApiRoutes(StoreGetter store);

}  // namespace metricsd::query
