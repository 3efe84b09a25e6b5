// gzip for HTTP responses (zlib), and the Accept-Encoding check that decides on it.
//
// Thread-safety: free functions, no shared state; any thread may call them.
#pragma once

#include <string>
#include <string_view>

namespace metricsd {

// True if an Accept-Encoding value accepts gzip: a "gzip" (or "*") coding whose q is not 0.
bool AcceptsGzip(std::string_view accept_encoding);

// gzip-compresses `data` (RFC 1952). Level 1: scrapes are frequent and the text compresses
// ~10x even at the fastest level; higher levels cost CPU for a few percent.
std::string GzipCompress(std::string_view data);

}  // namespace metricsd
