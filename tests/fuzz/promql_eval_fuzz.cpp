// Random PromQL over random series: the input's first line is the query, the bytes after it
// build a few series (names a, b, c; a job label; sometimes an le label, so histogram_quantile
// has buckets) with values that include NaN, infinities, staleness markers and counters going
// backwards, and pick the instant time and the range. Engine::Instant and Engine::Range with
// small limits must never crash, hang or leak; errors are fine. Beyond that, what every answer
// must look like: a range query answers a matrix whose points lie on its steps, ascending.
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/query/promql/engine.h"
#include "daemon/query/promql/memory_queryable.h"
#include "daemon/storage/sample.h"

namespace {

namespace promql = metricsd::query::promql;

void Check(bool condition) {
  if (!condition) std::abort();
}

class Bytes {
 public:
  explicit Bytes(std::string_view data) : data_(data) {}
  std::uint8_t Byte() { return pos_ < data_.size() ? static_cast<std::uint8_t>(data_[pos_++]) : 0; }
  double Double() {
    double value = 0;
    if (pos_ + sizeof value <= data_.size()) std::memcpy(&value, data_.data() + pos_, sizeof value);
    pos_ += sizeof value;
    return value;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

double Value(Bytes& bytes, double previous) {
  switch (bytes.Byte() % 12) {
    case 0: return previous + 1;  // a counter going up
    case 1: return previous + bytes.Byte();
    case 2: return 0;             // a counter reset
    case 3: return bytes.Byte() / 4.0 - 10;
    case 4: return std::numeric_limits<double>::quiet_NaN();
    case 5: return std::numeric_limits<double>::infinity();
    case 6: return -std::numeric_limits<double>::infinity();
    case 7: return metricsd::storage::StaleMarker();
    case 8: return 1e308;
    case 9: return bytes.Double();  // anything, NaN payloads included
    default: return previous;
  }
}

// Up to 4 series of up to 40 samples, 1 to 256 * 5 s apart, from time 0.
promql::MemoryQueryable Series(Bytes& bytes) {
  static constexpr const char* kNames[] = {"a", "b", "c"};
  static constexpr const char* kJobs[] = {"x", "y", "z"};
  static constexpr const char* kLes[] = {"0.1", "1", "10", "+Inf"};
  promql::MemoryQueryable data;
  const int series = bytes.Byte() % 5;
  for (int i = 0; i < series; ++i) {
    promql::Labels labels{{"__name__", kNames[bytes.Byte() % 3]}, {"job", kJobs[bytes.Byte() % 3]}};
    if (std::uint8_t le = bytes.Byte() % 6; le < 4) labels.push_back({"le", kLes[le]});
    std::vector<promql::Point> points;
    const int samples = bytes.Byte() % 41;
    promql::Timestamp t = 0;
    double v = 0;
    for (int k = 0; k < samples; ++k) {
      v = Value(bytes, std::isnan(v) ? 0 : v);
      points.push_back({t, v});
      t += 5000 * (1 + bytes.Byte());
    }
    data.Add(std::move(labels), std::move(points));
  }
  return data;
}

void CheckRange(const promql::QueryResult& result, promql::Timestamp start, promql::Timestamp end,
                std::int64_t step) {
  if (!result.ok()) return;
  const auto* matrix = std::get_if<promql::Matrix>(&result.value);
  Check(matrix != nullptr);
  for (const promql::Series& series : *matrix) {
    promql::Timestamp previous = std::numeric_limits<promql::Timestamp>::min();
    for (const promql::Point& point : series.points) {
      Check(point.t >= start && point.t <= end && (point.t - start) % step == 0);
      Check(point.t > previous);
      previous = point.t;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view query = input.substr(0, newline);
  Bytes bytes(newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1));
  if (query.size() > 512) return 0;

  promql::MemoryQueryable series = Series(bytes);
  promql::EngineOptions options;
  options.max_samples = 20'000;
  options.timeout = std::chrono::milliseconds(1'000);
  options.default_subquery_step_ms = 10'000;
  promql::Engine engine(options);

  // Times within the data (which spans up to ~14 h) and a little around it.
  const promql::Timestamp at = static_cast<promql::Timestamp>(bytes.Byte()) * 60'000;
  engine.Instant(series, query, at);  // any value (a range vector too) or an error

  const promql::Timestamp start = static_cast<promql::Timestamp>(bytes.Byte()) * 30'000;
  const std::int64_t step = (1 + bytes.Byte() % 120) * 1'000;
  const promql::Timestamp end = start + step * (bytes.Byte() % 100);
  CheckRange(engine.Range(series, query, start, end, step), start, end, step);
  return 0;
}
