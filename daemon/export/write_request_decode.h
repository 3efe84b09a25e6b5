// The inverse of WriteRequestEncoder, through protobuf's generated WriteRequest: for the tests
// and the fuzz target, which check the encoder against protobuf's own parser. The daemon only
// encodes, so it does not link this (nor libprotobuf, whose load-time registration alone
// costs ~2 MiB of resident memory).
//
// Thread-safety: thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/export/write_request.h"

namespace metricsd::remote {

// The inverse (tests, the fuzz target): false with `error` set for a body that is not snappy,
// not a WriteRequest, or over `max_bytes` uncompressed. Labels and samples come back in wire
// order; values keep their bits (a StaleNaN stays one).
bool DecodeWriteRequest(std::string_view body, std::vector<OutgoingSeries>& out, std::string* error,
                        std::size_t max_bytes = 32 << 20);

}  // namespace metricsd::remote
