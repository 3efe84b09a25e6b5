// Prometheus's /api/v1/metadata over the daemon's live Sources: each family's type, help and
// unit as /metrics announces it (Prometheus reads them from its scrape targets, metricsd is
// its own target), keyed by family name:
//   {"node_load1":[{"type":"gauge","help":"1m load average.","unit":""}]}
// `metric` keeps one family; `limit` (>= 0) caps the number of families.
//
// Thread-safety: pure functions over a SourceSet, which is thread-safe.
#pragma once

#include <string>

#include "daemon/core/beast.h"
#include "daemon/core/source_set.h"

namespace metricsd::query {

// The data object above, names sorted; `limit` < 0 is no limit.
std::string MetadataJson(const SourceSet& sources, const std::string* metric, long long limit);

// GET /api/v1/metadata: "limit must be a number" (bad_data) as Prometheus; `sources` may be null.
HttpResponse HandleMetadata(const HttpRequest& request, const SourceSetPtr& sources);

}  // namespace metricsd::query
