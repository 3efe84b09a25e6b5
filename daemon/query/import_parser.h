// Parses VictoriaMetrics' JSON-lines import format (lib/protoparser/vmimport), one series per
// line:
//   {"metric":{"__name__":"up","job":"node"},"values":[1,0.5,NaN],"timestamps":[1700000000000,...]}
// Values are JSON numbers or, as VictoriaMetrics' parser (fastjson) reads them, the bare words
// NaN, Inf, +Inf and -Inf; timestamps are integer milliseconds.
//
// Stricter than VictoriaMetrics, which skips a bad line and stores the rest: a request is
// stored all or nothing, so the first bad line rejects it, named by its number ("line 3:
// ..."). Every line needs a metric with a valid __name__, valid label names and UTF-8 values,
// and non-empty values and timestamps arrays of one length.
//
// NaN: VictoriaMetrics drops a NaN on ingestion except Prometheus's staleness marker, so the
// only NaN its export writes is a staleness marker; we read NaN back as one, and an export of
// ours restores exactly (an ordinary NaN sample, rare, comes back as a staleness marker).
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/storage/store.h"

namespace metricsd::query {

struct ImportParseResult {
  // One entry per distinct series (lines naming the same series are merged), samples
  // ascending by time; of samples at one timestamp within the request the last one wins.
  std::vector<storage::SeriesSamples> series;
  std::size_t samples = 0;
  std::string error;  // "line 3: `timestamps` and `values` differ in length (2 and 3)"
};

ImportParseResult ParseImport(std::string_view body);

}  // namespace metricsd::query
