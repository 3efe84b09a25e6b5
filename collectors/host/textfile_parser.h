// A strict parser of the Prometheus text exposition format as node_exporter 1.5's textfile
// collector reads *.prom files: prometheus/common v0.37.0's expfmt.TextParser, error for error
// (a file either parses whole or is rejected with the line and reason).
//
// Thread-safety: ParseTextFormat is a pure function; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/source.h"

namespace metricsd::host {

using TextLabels = std::vector<std::pair<std::string, std::string>>;

// One series of a family: its labels in file order (without quantile/le), and the value of a
// counter, gauge or untyped, or a summary's quantiles or a histogram's buckets with sum and
// count. has_timestamp: the line carried a client-side timestamp.
struct TextMetric {
  TextLabels labels;
  double value = 0;
  std::vector<std::pair<double, double>> quantiles;       // summary: (quantile, value)
  std::vector<std::pair<double, std::uint64_t>> buckets;  // histogram: (upper bound, count)
  double sum = 0;
  std::uint64_t count = 0;
  bool has_timestamp = false;
};

struct TextFamily {
  std::string name;
  std::optional<std::string> help;  // nullopt: no HELP line, or an empty one
  MetricType type = MetricType::kUntyped;
  std::vector<TextMetric> metrics;
};

struct TextParseResult {
  std::vector<TextFamily> families;  // in order of first appearance; none without samples
  std::string error;                 // "line N: reason" when the text is rejected
  bool ok() const { return error.empty(); }
};

TextParseResult ParseTextFormat(std::string_view text);

}  // namespace metricsd::host
