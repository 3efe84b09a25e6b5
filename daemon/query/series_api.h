// Prometheus's metadata endpoints over the history store (web/api/v1/api.go, 2.42):
//   GET|POST /api/v1/series?match[]=...&start=&end=     the label sets of matching series
//   GET|POST /api/v1/labels?match[]=...&start=&end=     label names
//   GET      /api/v1/label/<name>/values?match[]=...    values of one label (__name__ too)
// Parameters come from the query string and from a form-encoded POST body.
//
// Thread-safety: the handlers are thread-safe (the store is).
#pragma once

#include "daemon/core/beast.h"
#include "daemon/query/store_getter.h"

namespace metricsd::query {

inline constexpr std::string_view kLabelValuesPrefix = "/api/v1/label/";

HttpResponse HandleSeries(const HttpRequest& request, const StoreGetter& store);
HttpResponse HandleLabels(const HttpRequest& request, const StoreGetter& store);
HttpResponse HandleLabelValues(const HttpRequest& request, const StoreGetter& store);

}  // namespace metricsd::query
