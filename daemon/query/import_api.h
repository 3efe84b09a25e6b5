// VictoriaMetrics' import: POST /api/v1/import takes JSON lines (import_parser.h), plain or
// with Content-Encoding: gzip, and stores them all or nothing: the whole body is decoded,
// parsed and validated before Store::Import sees any of it. 204 on success, as
// VictoriaMetrics answers; 400 naming the first bad line; 413 for a body (or its decompressed
// form) over the caps; 415 for another Content-Encoding.
//
// Thread-safety: thread-safe (the store is).
#pragma once

#include <cstdint>

#include "daemon/core/beast.h"
#include "daemon/query/store_getter.h"

namespace metricsd::query {

// The request body as sent (Route::max_body_bytes of the import route): a week of 10k series
// at 10 s is ~1.5 GB of JSON, so large restores are split into several requests.
inline constexpr std::uint64_t kMaxImportBodyBytes = std::uint64_t{64} << 20;
// The body once decompressed: gzip shrinks these lines ~10x, and anything far beyond that is
// a bomb.
inline constexpr std::uint64_t kMaxImportDecodedBytes = std::uint64_t{256} << 20;

HttpResponse HandleImport(const HttpRequest& request, const StoreGetter& store);

}  // namespace metricsd::query
