// VictoriaMetrics' JSON-lines export format (app/vmselect/prometheus/export.qtpl, 1.79), one
// series per line:
//   {"metric":{"__name__":"up","job":"node"},"values":[1,0.5],"timestamps":[1700000000000,1700000010000]}
// __name__ first, then labels by name; values as Go's strconv.FormatFloat(v, 'f', -1, 64)
// writes them (shortest digits that read back exactly, never an exponent: 1e21 is
// "1000000000000000000000"), and, exactly as 1.79 writes them, the non-JSON words NaN (a
// staleness marker, the only NaN it keeps), +Inf and -Inf, which its import reads back.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/storage/sample.h"

namespace metricsd::query {

void AppendExportValue(std::string& out, double v);

// Appends the line of series `key` (series_key.h) with `samples`, newline-terminated; nothing
// when `samples` is empty (VictoriaMetrics writes no line for a series without samples).
void AppendExportLine(std::string& out, std::string_view key,
                      const std::vector<storage::Sample>& samples);

}  // namespace metricsd::query
