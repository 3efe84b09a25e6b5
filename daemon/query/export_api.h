// VictoriaMetrics' export: GET|POST /api/v1/export?match[]=...&start=&end= streams every
// matching series' raw samples in [start, end] (defaults: all time) as JSON lines
// (export_format.h), staleness markers included, so `curl .../api/v1/export > backup.jsonl`
// and a POST of that file to /api/v1/import restore history. The body is produced chunk by
// chunk (Route::stream): a few series at a time are read and written, so weeks of 100k series
// never sit in memory at once.
//
// Thread-safety: thread-safe; each response's producer is called by one thread at a time.
#pragma once

#include <cstddef>

#include "daemon/core/route.h"
#include "daemon/query/store_getter.h"

namespace metricsd::query {

// A chunk is cut once it holds this much (a series' line is never split).
inline constexpr std::size_t kExportChunkBytes = 256 * 1024;

StreamedResponse HandleExport(const HttpRequest& request, const StoreGetter& store);

}  // namespace metricsd::query
