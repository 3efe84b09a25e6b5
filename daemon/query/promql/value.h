// The values a PromQL expression evaluates to, as Prometheus 2.42 defines them (promql/value.go):
// a scalar, a string, an instant vector (one sample per series at one time) and a range vector
// (a matrix: points per series). Label sets are sorted by name, as Prometheus keeps them.
//
// Thread-safety: plain values; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/storage/sample.h"

namespace metricsd::query::promql {

// Milliseconds since the Unix epoch, as everywhere in the store.
using Timestamp = storage::Timestamp;

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};
// Sorted by name; names unique. "__name__" is the metric name.
using Labels = std::vector<Label>;

inline constexpr std::string_view kMetricName = "__name__";

// The value of `name`, or nullptr when absent.
const std::string* GetLabel(const Labels& labels, std::string_view name);
// Sets (or, with an empty value, removes) `name`, keeping the order.
void SetLabel(Labels& labels, std::string_view name, std::string_view value);
// The set without __name__ (Prometheus's DropMetricName).
Labels DropMetricName(Labels labels);
// Prometheus's Labels.String(): {a="1", b="2"} (a metric name is printed as a key like the rest).
std::string LabelsToString(const Labels& labels);
// The series key the store uses (storage/series_key.h), and back.
std::string LabelsKey(const Labels& labels);
Labels LabelsFromKey(std::string_view key);
// A hash of the label set restricted to (or, with `without`, excluding) `names`, for grouping
// and vector matching. `names` sorted. Equal sets hash equal; callers confirm with equality.
std::uint64_t HashFor(const Labels& labels, const std::vector<std::string>& names, bool without);

struct Point {
  Timestamp t = 0;
  double v = 0;
};

// A series with its points: a range vector's element, or a range query's result series.
struct Series {
  Labels labels;
  std::vector<Point> points;  // ascending by t
};

// One element of an instant vector.
struct Sample {
  Labels labels;
  Timestamp t = 0;
  double v = 0;
};

using Vector = std::vector<Sample>;
using Matrix = std::vector<Series>;

struct Scalar {
  Timestamp t = 0;
  double v = 0;
};

struct String {
  Timestamp t = 0;
  std::string v;
};

using Value = std::variant<Scalar, String, Vector, Matrix>;

}  // namespace metricsd::query::promql
