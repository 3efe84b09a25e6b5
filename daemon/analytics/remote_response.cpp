#include "daemon/analytics/remote_response.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>

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

// The answer read as a stream of SAX events (nlohmann's json_sax), never as a DOM: a DOM of
// a 256 MiB answer takes gigabytes, the points read here 16 bytes each. The handler keeps a
// stack of what each open array or object is, by where it sits:
//
//   {"status":..,"errorType":..,"error":..,"warnings":[..],"data":{"resultType":..,"result":R}}
//   R: [ITEM,..] (matrix, vector) or [t,"v"] (scalar, string)
//   ITEM: {"metric":{"name":"value",..},"values":[[t,"v"],..]} or {..,"value":[t,"v"]}
//
// so "result" may come before "resultType" (any key order is read). Anything else (unknown
// keys, native histograms) is skipped.
class AnswerReader final : public nlohmann::json_sax<Json> {
 public:
  struct Item {
    promql::Labels labels;
    std::vector<promql::Point> points;  // "values", or the one "value"
    bool single = false;                // had "value"
    bool histograms = false;
  };

  // Filled while reading.
  std::string status, error_type, error, result_type;
  bool has_status = false, has_error_type = false, has_error = false, has_data = false,
       has_result = false, has_result_type = false;
  std::vector<std::string> warnings;
  std::vector<Item> items;
  std::vector<std::string> result_scalars;  // the primitives of R for a scalar or string,
  std::vector<double> result_times;         // times at the positions they were numbers
  std::string shape_error;                  // set: not the API's shape

  bool null() override { return Primitive(Kind::kNull, 0, nullptr); }
  bool boolean(bool) override { return Primitive(Kind::kOther, 0, nullptr); }
  bool number_integer(number_integer_t v) override {
    return Primitive(Kind::kNumber, static_cast<double>(v), nullptr);
  }
  bool number_unsigned(number_unsigned_t v) override {
    return Primitive(Kind::kNumber, static_cast<double>(v), nullptr);
  }
  bool number_float(number_float_t v, const string_t&) override {
    return Primitive(Kind::kNumber, v, nullptr);
  }
  bool string(string_t& v) override { return Primitive(Kind::kString, 0, &v); }
  bool binary(binary_t&) override { return Primitive(Kind::kOther, 0, nullptr); }

  bool key(string_t& name) override {
    stack_.back().key = name;
    return true;
  }

  bool start_object(std::size_t) override {
    Frame::Role role = Frame::kSkip;
    if (stack_.empty()) {
      role = Frame::kRoot;
    } else if (Top(Frame::kRoot) && stack_.back().key == "data") {
      role = Frame::kData;
      has_data = true;
    } else if (Top(Frame::kResult)) {
      role = Frame::kItem;
      items.emplace_back();
    } else if (Top(Frame::kItem) && stack_.back().key == "metric") {
      role = Frame::kMetric;
    } else if (Top(Frame::kItem) && stack_.back().key.starts_with("histogram")) {
      items.back().histograms = true;
    }
    Push(role);
    return true;
  }

  bool end_object() override {
    stack_.pop_back();
    return true;
  }

  bool start_array(std::size_t) override {
    Frame::Role role = Frame::kSkip;
    if (stack_.empty()) return Fail("not an object");
    const std::string& key = stack_.back().key;
    if (Top(Frame::kRoot) && key == "warnings") {
      role = Frame::kWarnings;
    } else if (Top(Frame::kData) && key == "result") {
      role = Frame::kResult;
      has_result = true;
    } else if (Top(Frame::kItem) && key == "values") {
      role = Frame::kValues;
    } else if (Top(Frame::kItem) && key == "value") {
      role = Frame::kPair;
      items.back().single = true;
    } else if (Top(Frame::kValues)) {
      role = Frame::kPair;
    } else if (Top(Frame::kItem) && key.starts_with("histogram")) {
      items.back().histograms = true;
    } else if (Top(Frame::kResult)) {
      return Fail("a result element is an array");
    }
    Push(role);
    return true;
  }

  bool end_array() override {
    if (Top(Frame::kPair)) {
      Frame& pair = stack_.back();
      if (pair.index != 2 || !pair.has_time || !pair.has_value)
        return Fail("a sample is not [time, \"value\"]");
      items.back().points.push_back(pair.point);
    }
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    syntax_error_at = position;
    return false;
  }

  std::size_t syntax_error_at = 0;  // non-zero: not JSON (1-based byte position)

 private:
  enum class Kind { kNull, kNumber, kString, kOther };
  struct Frame {
    enum Role { kRoot, kData, kWarnings, kResult, kItem, kMetric, kValues, kPair, kSkip } role;
    std::string key;  // objects: the key being read
    int index = 0;    // arrays: the next element's position
    bool has_time = false, has_value = false;
    promql::Point point;
  };

  void Push(Frame::Role role) {
    if (!stack_.empty()) ++stack_.back().index;
    stack_.push_back(Frame{role, {}, 0, false, false, {}});
  }
  bool Top(Frame::Role role) const { return !stack_.empty() && stack_.back().role == role; }
  bool Fail(std::string what) {
    if (shape_error.empty()) shape_error = std::move(what);
    return false;
  }

  bool Primitive(Kind kind, double number, std::string* text) {
    if (stack_.empty()) return Fail("not an object");
    Frame& top = stack_.back();
    int index = top.index++;
    switch (top.role) {
      case Frame::kRoot:
        if (kind != Kind::kString) return true;
        if (top.key == "status") {
          status = std::move(*text);
          has_status = true;
        } else if (top.key == "errorType") {
          error_type = std::move(*text);
          has_error_type = true;
        } else if (top.key == "error") {
          error = std::move(*text);
          has_error = true;
        }
        return true;
      case Frame::kData:
        if (top.key == "resultType") {
          if (kind != Kind::kString) return Fail("\"resultType\" is not a string");
          result_type = std::move(*text);
          has_result_type = true;
        }
        return true;
      case Frame::kWarnings:
        if (kind == Kind::kString) warnings.push_back(std::move(*text));
        return true;
      case Frame::kMetric:
        if (kind != Kind::kString) return Fail("label " + top.key + " is not a string");
        items.back().labels.push_back({top.key, std::move(*text)});
        return true;
      case Frame::kPair:
        if (index == 0) {
          if (kind != Kind::kNumber) return Fail("a timestamp is not a number");
          if (!std::isfinite(number) || std::fabs(number) > 9.2e15)
            return Fail("timestamp out of range");
          top.point.t = SecondsToMillis(number);
          top.has_time = true;
        } else if (index == 1) {
          if (kind != Kind::kString) return Fail("a sample value is not a string");
          if (!ParseSampleValue(*text, top.point.v)) {
            return Fail("sample value \"" + Excerpt(*text) + "\" is not a number");
          }
          top.has_value = true;
        }
        return true;
      case Frame::kResult:
        // A scalar's or string's [t, "v"].
        if (index == 0) {
          if (kind != Kind::kNumber || !std::isfinite(number) || std::fabs(number) > 9.2e15) {
            return Fail("a result's time is not a number");
          }
          result_times.push_back(number);
        } else if (index == 1) {
          if (kind != Kind::kString) return Fail("a result's value is not a string");
          result_scalars.push_back(std::move(*text));
        } else {
          return Fail("a scalar or string result is not [time, \"value\"]");
        }
        return true;
      default:
        return true;  // inside a skipped or an item object: nothing of ours
    }
  }

  std::vector<Frame> stack_;
};

promql::Labels Sorted(promql::Labels labels) {
  // Objects may list keys in any order; promql::Labels are sorted by name.
  std::sort(labels.begin(), labels.end(),
            [](const promql::Label& a, const promql::Label& b) { return a.name < b.name; });
  return labels;
}

// The Value of a success answer, from what the reader collected; empty `error` on success.
promql::Value ValueFrom(AnswerReader& reader, std::vector<std::string>& warnings,
                        std::string& error) {
  auto bad = [&error](std::string what) {
    error = std::move(what);
    return promql::Value{};
  };
  if (!reader.has_data) return bad("no \"data\"");
  if (!reader.has_result_type) return bad("no \"resultType\"");
  if (!reader.has_result) return bad("no \"result\"");
  const std::string& type = reader.result_type;
  bool histograms = false;
  promql::Value value;
  if (type == "matrix" || type == "vector") {
    if (!reader.result_times.empty() || !reader.result_scalars.empty()) {
      return bad("a " + type + " result is not a list of series");
    }
    if (type == "matrix") {
      promql::Matrix matrix;
      matrix.reserve(reader.items.size());
      for (auto& item : reader.items) {
        if (item.single) return bad("a matrix series has \"value\"");
        histograms = histograms || item.histograms;
        // Every method reads points in time order; Prometheus sends them so, a server that
        // does not is answered as an error rather than trusted.
        if (!std::is_sorted(item.points.begin(), item.points.end(),
                            [](const promql::Point& a, const promql::Point& b) { return a.t < b.t; })) {
          return bad("a matrix series' points are not in time order");
        }
        matrix.push_back({Sorted(std::move(item.labels)), std::move(item.points)});
      }
      value = std::move(matrix);
    } else {
      promql::Vector vector;
      vector.reserve(reader.items.size());
      for (auto& item : reader.items) {
        if (!item.single) {
          if (item.histograms) {
            histograms = true;
            continue;
          }
          return bad("a vector sample has no \"value\"");
        }
        vector.push_back(
            {Sorted(std::move(item.labels)), item.points.at(0).t, item.points.at(0).v});
      }
      value = std::move(vector);
    }
  } else if (type == "scalar" || type == "string") {
    if (!reader.items.empty() || reader.result_times.size() != 1 ||
        reader.result_scalars.size() != 1) {
      return bad("a " + type + " result is not [time, \"value\"]");
    }
    promql::Timestamp t = SecondsToMillis(reader.result_times[0]);
    if (type == "string") {
      value = promql::String{t, std::move(reader.result_scalars[0])};
    } else {
      double v = 0;
      if (!ParseSampleValue(reader.result_scalars[0], v)) {
        return bad("sample value \"" + Excerpt(reader.result_scalars[0]) + "\" is not a number");
      }
      value = promql::Scalar{t, v};
    }
  } else {
    return bad("unknown resultType \"" + Excerpt(type) + "\"");
  }
  if (histograms) warnings.push_back("native histogram samples skipped (float samples only)");
  return value;
}

}  // namespace

promql::ErrorType ErrorTypeFromName(std::string_view name) {
  return promql::kErrorTypeNames.Parse(name).value_or(ErrorType::kInternal);
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
  bool ok_status = http_status >= 200 && http_status < 300;
  AnswerReader reader;
  bool parsed = Json::sax_parse(body, &reader, Json::input_format_t::json, /*strict=*/true);
  if (reader.syntax_error_at != 0 || !reader.has_status) {
    // Not the API's JSON (an HTML error page, a proxy's text, nothing): from a server in
    // trouble or refusing us, unavailable; a 2xx of something else, internal.
    bool server_side = http_status >= 500 || http_status == 429 || http_status == 408;
    std::string what = ok_status ? "an answer that is not the query API's JSON" : status_text;
    return Failure(server_side || !ok_status ? ErrorType::kUnavailable : ErrorType::kInternal,
                   what + (ok_status ? " (" + status_text + ")" : "") +
                       (body.empty() ? std::string(", empty body") : ": " + Excerpt(body)));
  }
  promql::QueryResult result;
  result.warnings = std::move(reader.warnings);
  if (reader.status == "error") {
    result.error_type =
        reader.has_error_type ? ErrorTypeFromName(reader.error_type) : ErrorType::kInternal;
    result.error = reader.has_error ? std::move(reader.error) : status_text + " without a message";
    return result;
  }
  std::string error = reader.shape_error;
  if (error.empty() && !parsed) error = "truncated";
  if (error.empty() && reader.status != "success")
    error = "\"status\" is neither success nor error";
  if (error.empty() && !ok_status) error = "success with " + status_text;
  if (error.empty()) result.value = ValueFrom(reader, result.warnings, error);
  if (!error.empty()) {
    return Failure(ErrorType::kInternal,
                   "malformed query API answer (" + status_text + "): " + error);
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
    for (std::size_t i = 0; i < whole.size(); ++i)
      index.emplace(promql::LabelsKey(whole[i].labels), i);
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
  std::sort(whole.begin(), whole.end(),
            [](const promql::Series& a, const promql::Series& b) { return a.labels < b.labels; });
}

}  // namespace metricsd::analytics
