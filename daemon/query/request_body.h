// A request body as its handler wants it: decoded from its Content-Encoding (identity or
// gzip, as VictoriaMetrics' import takes), never larger than a cap once decoded, so a small
// compressed "bomb" cannot make us allocate gigabytes.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/core/beast.h"

namespace metricsd::query {

enum class BodyDecodeError { kNone, kUnsupportedEncoding, kTooLarge, kCorrupt };

struct DecodedBody {
  std::string text;  // empty when the body was identity-encoded: read the request's body
  bool decoded = false;
  BodyDecodeError error = BodyDecodeError::kNone;
  std::string message;
};

// Inflates a gzip (or zlib) stream, members concatenated as gzip(1) allows, refusing output
// beyond `max_bytes`.
DecodedBody Gunzip(std::string_view compressed, std::uint64_t max_bytes);

// The body of `request` decoded by its Content-Encoding ("gzip", "x-gzip", "identity" or none).
DecodedBody DecodeRequestBody(const HttpRequest& request, std::uint64_t max_bytes);

}  // namespace metricsd::query
