#include "daemon/analytics/remote_response.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

namespace metricsd::analytics {
namespace {

using Json = nlohmann::json;
using promql::ErrorType;

// What the API answered, for an error message: printable ASCII only, at most 200 bytes.
std::string Excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  if (body.size() > 200) out += "...";
  return out;
}

promql::QueryResult Failure(ErrorType type, std::string message) {
  promql::QueryResult result;
  result.error_type = type;
  result.error = std::move(message);
  return result;
}

// A malformed answer: thrown while walking the JSON, caught in ParseQueryResponse.
struct ShapeError {
  std::string what;
};

const Json& Member(const Json& object, const char* name) {
  if (!object.is_object()) throw ShapeError{"expected an object"};
  auto it = object.find(name);
  if (it == object.end()) throw ShapeError{std::string("no \"") + name + "\""};
  return *it;
}

promql::Labels LabelsOf(const Json& metric) {
  if (!metric.is_object()) throw ShapeError{"\"metric\" is not an object"};
  promql::Labels labels;
  labels.reserve(metric.size());
  for (auto it = metric.begin(); it != metric.end(); ++it) {
    if (!it.value().is_string()) throw ShapeError{"label " + it.key() + " is not a string"};
    labels.push_back({it.key(), it.value().get<std::string>()});
  }
  // nlohmann's object is a std::map: already sorted by name, but sort anyway (cheap, and the
  // order promql::Labels needs must not hang on a container choice).
  std::sort(labels.begin(), labels.end(),
            [](const promql::Label& a, const promql::Label& b) { return a.name < b.name; });
  return labels;
}

promql::Timestamp TimeOf(const Json& t) {
  if (!t.is_number()) throw ShapeError{"a timestamp is not a number"};
  double seconds = t.get<double>();
  if (!std::isfinite(seconds) || std::fabs(seconds) > 9.2e15) throw ShapeError{"timestamp out of range"};
  return SecondsToMillis(seconds);
}

double ValueOf(const Json& v) {
  if (!v.is_string()) throw ShapeError{"a sample value is not a string"};
  double value = 0;
  if (!ParseSampleValue(v.get_ref<const std::string&>(), value)) {
    throw ShapeError{"sample value \"" + Excerpt(v.get_ref<const std::string&>()) + "\" is not a number"};
  }
  return value;
}

// [t, "v"]
promql::Point PointOf(const Json& pair) {
  if (!pair.is_array() || pair.size() != 2) throw ShapeError{"a sample is not [time, \"value\"]"};
  return {TimeOf(pair[0]), ValueOf(pair[1])};
}

promql::Value ValueFrom(const Json& data, std::vector<std::string>& warnings) {
  const Json& type_json = Member(data, "resultType");
  if (!type_json.is_string()) throw ShapeError{"\"resultType\" is not a string"};
  const std::string& type = type_json.get_ref<const std::string&>();
  const Json& result = Member(data, "result");
  bool histograms = false;
  promql::Value value;
  if (type == "matrix") {
    if (!result.is_array()) throw ShapeError{"a matrix result is not an array"};
    promql::Matrix matrix;
    matrix.reserve(result.size());
    for (const Json& item : result) {
      promql::Series series;
      series.labels = LabelsOf(Member(item, "metric"));
      if (auto values = item.find("values"); values != item.end()) {
        if (!values->is_array()) throw ShapeError{"\"values\" is not an array"};
        series.points.reserve(values->size());
        for (const Json& pair : *values) series.points.push_back(PointOf(pair));
      }
      if (item.contains("histograms")) histograms = true;
      matrix.push_back(std::move(series));
    }
    value = std::move(matrix);
  } else if (type == "vector") {
    if (!result.is_array()) throw ShapeError{"a vector result is not an array"};
    promql::Vector vector;
    vector.reserve(result.size());
    for (const Json& item : result) {
      if (!item.contains("value") && item.contains("histogram")) {
        histograms = true;
        continue;
      }
      promql::Point point = PointOf(Member(item, "value"));
      vector.push_back({LabelsOf(Member(item, "metric")), point.t, point.v});
    }
    value = std::move(vector);
  } else if (type == "scalar") {
    promql::Point point = PointOf(result);
    value = promql::Scalar{point.t, point.v};
  } else if (type == "string") {
    if (!result.is_array() || result.size() != 2 || !result[1].is_string()) {
      throw ShapeError{"a string result is not [time, \"text\"]"};
    }
    value = promql::String{TimeOf(result[0]), result[1].get<std::string>()};
  } else {
    throw ShapeError{"unknown resultType \"" + Excerpt(type) + "\""};
  }
  if (histograms) warnings.push_back("native histogram samples skipped (float samples only)");
  return value;
}

}  // namespace

promql::ErrorType ErrorTypeFromName(std::string_view name) {
  // Spelled here: promql::ErrorTypeName is declared in query_error.h but defined nowhere.
  static constexpr std::pair<std::string_view, ErrorType> kNames[] = {
      {"bad_data", ErrorType::kBadData},   {"execution", ErrorType::kExecution},
      {"timeout", ErrorType::kTimeout},    {"canceled", ErrorType::kCanceled},
      {"internal", ErrorType::kInternal},  {"unavailable", ErrorType::kUnavailable},
  };
  for (const auto& [spelled, type] : kNames) {
    if (spelled == name) return type;
  }
  return ErrorType::kInternal;
}

bool ParseSampleValue(std::string_view text, double& value) {
  if (text == "NaN") {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "+Inf" || text == "Inf") {
    value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // Go rounds out-of-range values to ±Inf (with an error Prometheus never writes); from_chars
  // reports result_out_of_range: refused, as no API writes such a string.
  return ec == std::errc() && end == text.data() + text.size();
}

promql::Timestamp SecondsToMillis(double seconds) {
  return static_cast<promql::Timestamp>(std::llround(seconds * 1000));
}

promql::QueryResult ParseQueryResponse(unsigned http_status, std::string_view body) {
  std::string status_text = "HTTP " + std::to_string(http_status);
  Json answer = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.is_object() || !answer.contains("status")) {
    bool server_side = http_status >= 500 || http_status == 429 || http_status == 408;
    bool ok_status = http_status >= 200 && http_status < 300;
    std::string what = ok_status ? "an answer that is not the query API's JSON" : status_text;
    return Failure(server_side || !ok_status ? ErrorType::kUnavailable : ErrorType::kInternal,
                   what + (ok_status ? " (" + status_text + ")" : "") +
                       (body.empty() ? std::string(", empty body") : ": " + Excerpt(body)));
  }
  promql::QueryResult result;
  try {
    if (auto warnings = answer.find("warnings"); warnings != answer.end() && warnings->is_array()) {
      for (const Json& warning : *warnings) {
        if (warning.is_string()) result.warnings.push_back(warning.get<std::string>());
      }
    }
    const Json& status = Member(answer, "status");
    if (status == "error") {
      auto type = answer.find("errorType");
      auto error = answer.find("error");
      result.error_type = type != answer.end() && type->is_string()
                              ? ErrorTypeFromName(type->get_ref<const std::string&>())
                              : ErrorType::kInternal;
      result.error = error != answer.end() && error->is_string() ? error->get<std::string>()
                                                                 : status_text + " without a message";
      return result;
    }
    if (status != "success") throw ShapeError{"\"status\" is neither success nor error"};
    if (http_status < 200 || http_status >= 300) throw ShapeError{"success with " + status_text};
    result.value = ValueFrom(Member(answer, "data"), result.warnings);
  } catch (const ShapeError& e) {
    return Failure(ErrorType::kInternal, "malformed query API answer (" + status_text + "): " + e.what);
  } catch (const Json::exception& e) {
    return Failure(ErrorType::kInternal, "malformed query API answer (" + status_text + "): " + e.what());
  }
  return result;
}

std::vector<RangePiece> SplitRange(promql::Timestamp start, promql::Timestamp end,
                                   std::int64_t step_ms, std::int64_t max_steps) {
  std::vector<RangePiece> pieces;
  if (step_ms <= 0 || end < start || max_steps <= 0) return pieces;
  // The last step not after `end`: every piece ends on a step of the whole range.
  std::int64_t steps = (end - start) / step_ms + 1;
  for (std::int64_t first = 0; first < steps; first += max_steps) {
    std::int64_t last = std::min(steps, first + max_steps) - 1;
    pieces.push_back({start + first * step_ms, start + last * step_ms});
  }
  return pieces;
}

void AppendMatrix(promql::Matrix& whole, promql::Matrix piece) {
  if (whole.empty()) {
    whole = std::move(piece);
  } else {
    std::unordered_map<std::string, std::size_t> index;
    index.reserve(whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) index.emplace(promql::LabelsKey(whole[i].labels), i);
    for (promql::Series& series : piece) {
      auto [it, added] = index.emplace(promql::LabelsKey(series.labels), whole.size());
      if (added) {
        whole.push_back(std::move(series));
      } else {
        auto& points = whole[it->second].points;
        points.insert(points.end(), series.points.begin(), series.points.end());
      }
    }
  }
  std::sort(whole.begin(), whole.end(), [](const promql::Series& a, const promql::Series& b) {
    return a.labels < b.labels;
  });
}

}  // namespace metricsd::analytics
