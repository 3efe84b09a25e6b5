// Reading a Prometheus-compatible query API's answer (Prometheus 2.x web/api/v1, as Thanos,
// Mimir and VictoriaMetrics also write it) back into the engine's own types, the inverse of
// daemon/query/query_json.h:
//
//   {"status":"success",
//    "data":{"resultType":"matrix","result":[{"metric":{..},"values":[[t,"v"]]}]},
//    "warnings":["..."]}
//   {"status":"error","errorType":"bad_data","error":"1:5: parse error: ..."}
//
// The answer is read as a stream (SAX), never held as a JSON tree: memory is the result's own,
// whatever the body's size; keys may come in any order, unknown ones are skipped.
// Values are strings ("1.5", "NaN", "+Inf", "-Inf"); times are seconds (a JSON number with up
// to 3 decimals) and become milliseconds. Label sets come back sorted by name, as
// promql::Labels requires. Native histograms ("histogram"/"histograms") are skipped with a
// warning: the analytics read float samples only.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/query/promql/engine.h"

namespace metricsd::analytics {

namespace promql = query::promql;

// The answer of one request: `http_status` and `body` as received. A JSON error answer keeps
// its errorType and message whatever the status; a body that is not the API's JSON becomes
// kUnavailable (5xx, 429, non-JSON) or kInternal (JSON of another shape), with the status and
// the first bytes of the body in the message.
promql::QueryResult ParseQueryResponse(unsigned http_status, std::string_view body);

// Prometheus's errorType names back to ErrorType ("not_found" and unknown names: kInternal).
promql::ErrorType ErrorTypeFromName(std::string_view name);

// A sample value as Go's strconv.ParseFloat reads the API's strings ("NaN", "+Inf", "-Inf",
// "1e-07"); false when it is not a number.
bool ParseSampleValue(std::string_view text, double& value);

// Seconds (the API's timestamps) to milliseconds, rounded to the nearest millisecond.
promql::Timestamp SecondsToMillis(double seconds);

// The steps of a range query [start, end] by `step` cut into requests of at most `max_steps`
// steps each, in order; every step of the whole range is in exactly one piece, and each piece
// starts on a step of the whole (start + k * step), so the concatenation equals one query.
struct RangePiece {
  promql::Timestamp start = 0, end = 0;
};
std::vector<RangePiece> SplitRange(promql::Timestamp start, promql::Timestamp end,
                                   std::int64_t step_ms, std::int64_t max_steps);

// Appends `piece` (the next piece's Matrix) to `whole`: series with the same labels get their
// points appended, new ones are added; `whole` ends sorted by labels, as Prometheus sorts a
// range query's result.
void AppendMatrix(promql::Matrix& whole, promql::Matrix piece);

}  // namespace metricsd::analytics
