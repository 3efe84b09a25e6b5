// The PromQL conformance suite: every case in tests/unit/daemon/query/promql/cases/*.test run
// on our engine. The expected answers are Prometheus 2.42's: cases/to_promtool.py checks each
// one against the real promtool (ctest promql_cases_promtool).
//
// Case format (cases/README.md has the full description; it is Prometheus's promql/test.go
// format with range queries and expected errors added):
//
//   load 10s                                    series; the k-th value at k*10s from 0
//     http_requests{job="api"} 0+10x30 _ stale 5 1+1x3
//   eval instant at 5m sum by (job) (rate(http_requests[1m]))
//     {job="api"} 1                             one sample per line; a lone number: a scalar
//   eval_ordered instant at 5m sort(http_requests)       the order counts
//   eval range from 0 to 5m step 30s http_requests offset 1m
//     http_requests{job="api"} _ _ 0 30 ...     one value per step, `_` where there is none
//   eval_fail instant at 0 rate(foo)
//     error: 1:6: parse error: ...               optional: the exact message (error_prefix:
//                                                 its beginning)
//   clear                                       drops every series (a new segment)
//   # known difference: <why>                   before an eval: counted and printed, not failed
//
// Values in Prometheus's series notation (a+bxN: N+1 values; axN; _ and _xN: no sample;
// stale: a staleness marker). Values compare within 1e-9 relative, NaN equal to NaN; label
// sets exactly. A failing case prints file:line, the query, what was expected and what came.
// Every instant case also runs as a range query from t-1m to t+1m, checked at t (as
// Prometheus's own harness does), and the engine has promtool's options (max_samples 10,000).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "daemon/query/promql/engine.h"
#include "daemon/query/promql/memory_queryable.h"
#include "daemon/query/promql/value.h"
#include "daemon/storage/sample.h"

namespace metricsd::query::promql {
namespace {

namespace fs = std::filesystem;

constexpr double kTolerance = 1e-9;

// The case file could not be read: a mistake in the file, not in the engine.
struct CaseFileError {
  std::string message;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Prometheus's model.ParseDuration ("0", "90s", "1h30m", "100ms") in ms; our harness's own,
// so the cases do not depend on the parser under test.
std::optional<std::int64_t> ParseCaseDuration(std::string_view text) {
  if (text == "0") return 0;
  struct Unit {
    std::string_view name;
    std::int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"y", 31'536'000'000}, {"w", 604'800'000},
                                    {"d", 86'400'000},     {"h", 3'600'000},
                                    {"m", 60'000},         {"s", 1'000},
                                    {"ms", 1}};
  std::int64_t total = 0;
  std::size_t next_unit = 0;
  bool any = false;
  while (!text.empty()) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    std::size_t unit_len = StartsWith(text, "ms") ? 2 : 1;
    if (text.empty()) return std::nullopt;
    std::string_view unit = text.substr(0, unit_len);
    std::size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].name != unit) ++u;
    if (u == std::size(kUnits)) return std::nullopt;
    total += n * kUnits[u].ms;
    next_unit = u + 1;
    text.remove_prefix(unit_len);
    any = true;
  }
  if (!any) return std::nullopt;
  return total;
}

std::optional<double> ParseNumber(std::string_view text) {
  std::string s(text);
  if (s.empty()) return std::nullopt;
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view body = lower;
  bool negative = false;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (body == "inf") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (body == "nan") return std::numeric_limits<double>::quiet_NaN();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

// One value of a series in the notation: a number, a staleness marker, or no sample.
struct SequenceValue {
  bool omitted = false;
  double v = 0;
};

// Prometheus's series notation (parser.ParseSeriesDesc's values), items separated by spaces.
std::vector<SequenceValue> ExpandValues(std::string_view text) {
  std::vector<SequenceValue> out;
  std::istringstream items{std::string(text)};
  std::string item;
  while (items >> item) {
    std::string_view rest = item;
    if (rest == "_") {
      out.push_back({true, 0});
      continue;
    }
    if (StartsWith(rest, "_x")) {
      std::optional<double> n = ParseNumber(rest.substr(2));
      if (!n || *n < 0) throw CaseFileError{"bad series value " + item};
      out.insert(out.end(), static_cast<std::size_t>(*n), SequenceValue{true, 0});
      continue;
    }
    if (rest == "stale") {
      out.push_back({false, storage::StaleMarker()});
      continue;
    }
    // a, a+bxN, a-bxN, axN: the base may have a sign; the increment starts at the next sign.
    std::size_t x = rest.rfind('x');
    if (x == std::string_view::npos) {
      std::optional<double> v = ParseNumber(rest);
      if (!v) throw CaseFileError{"bad series value " + item};
      out.push_back({false, *v});
      continue;
    }
    std::optional<double> times = ParseNumber(rest.substr(x + 1));
    std::string_view head = rest.substr(0, x);
    std::size_t sign = head.find_first_of("+-", 1);
    while (sign != std::string_view::npos && (head[sign - 1] == 'e' || head[sign - 1] == 'E')) {
      sign = head.find_first_of("+-", sign + 1);
    }
    std::optional<double> base =
        ParseNumber(sign == std::string_view::npos ? head : head.substr(0, sign));
    std::optional<double> increment =
        sign == std::string_view::npos ? std::optional<double>(0) : ParseNumber(head.substr(sign));
    if (!times || !base || !increment || *times < 0) throw CaseFileError{"bad series value " + item};
    double v = *base;
    for (std::int64_t i = 0; i <= static_cast<std::int64_t>(*times); ++i) {
      out.push_back({false, v});  // summed as Prometheus does, not base + i * increment
      v += *increment;
    }
  }
  return out;
}

// `metric{a="b", c="d"}` (each part optional) at the start of `line`; the rest is left in it.
Labels ParseSeriesLabels(std::string_view& line) {
  Labels labels;
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ' && line[i] != '\t') ++i;
  if (i > 0) labels.push_back({std::string(kMetricName), std::string(line.substr(0, i))});
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
      if (i >= line.size()) throw CaseFileError{"unterminated labels"};
      if (line[i] == '}') {
        ++i;
        break;
      }
      std::size_t name_start = i;
      while (i < line.size() && line[i] != '=' && line[i] != ' ') ++i;
      std::string name(line.substr(name_start, i - name_start));
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size() || line[i] != '=') throw CaseFileError{"expected = after " + name};
      ++i;
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size() || line[i] != '"') throw CaseFileError{"expected \" for " + name};
      ++i;
      std::string value;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          value += line[i] == 'n' ? '\n' : line[i] == 't' ? '\t' : line[i];
        } else {
          value += line[i];
        }
        ++i;
      }
      if (i >= line.size()) throw CaseFileError{"unterminated value of " + name};
      ++i;
      // A label with an empty value is no label (Prometheus's storage keeps none such).
      if (!value.empty()) labels.push_back({std::move(name), std::move(value)});
    }
  }
  line = Trim(line.substr(i));
  std::sort(labels.begin(), labels.end(),
            [](const Label& a, const Label& b) { return a.name < b.name; });
  return labels;
}

struct ExpectedSeries {
  Labels labels;
  std::vector<SequenceValue> values;  // one per evaluation time
};

struct Case {
  int line = 0;
  bool range = false;
  bool fail = false;
  bool ordered = false;
  bool known_difference = false;
  std::string query;
  std::int64_t start = 0, end = 0, step = 0;
  std::optional<double> scalar;
  std::optional<std::string> string;
  std::vector<ExpectedSeries> series;
  std::optional<std::string> error;
  bool error_is_prefix = false;  // Prometheus's message starts with `error`
};

struct Segment {
  std::vector<std::pair<Labels, std::vector<Point>>> series;
  std::vector<Case> cases;
};

std::int64_t DurationOrThrow(std::string_view text, int line) {
  std::optional<std::int64_t> d = ParseCaseDuration(text);
  if (!d) throw CaseFileError{"line " + std::to_string(line) + ": bad duration " + std::string(text)};
  return *d;
}

// Splits off the first whitespace-separated word of `s`.
std::string_view NextWord(std::string_view& s) {
  s = Trim(s);
  std::size_t end = s.find_first_of(" \t");
  std::string_view word = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view() : Trim(s.substr(end));
  return word;
}

std::vector<Segment> ParseCaseFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw CaseFileError{"cannot read " + path.string()};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::vector<Segment> segments(1);
  bool known_difference = false;
  auto block_line = [&](std::size_t i) {
    std::string_view l = Trim(lines[i]);
    return !l.empty() && l.front() != '#';
  };
  for (std::size_t i = 0; i < lines.size();) {
    std::string_view line = Trim(lines[i]);
    const int line_no = static_cast<int>(i) + 1;
    if (line.empty() || line.front() == '#') {
      if (StartsWith(line, "#")) {
        std::string_view comment = Trim(line.substr(1));
        if (StartsWith(comment, "known difference:")) known_difference = true;
      }
      ++i;
      continue;
    }
    std::string_view rest = line;
    std::string_view command = NextWord(rest);
    if (command == "clear") {
      segments.emplace_back();
      ++i;
      continue;
    }
    if (command == "load") {
      if (!segments.back().cases.empty()) {
        throw CaseFileError{"line " + std::to_string(line_no) + ": a load after an eval"};
      }
      std::int64_t interval = DurationOrThrow(rest, line_no);
      for (++i; i < lines.size() && block_line(i); ++i) {
        std::string_view def = Trim(lines[i]);
        Labels labels = ParseSeriesLabels(def);
        std::vector<Point> points;
        std::vector<SequenceValue> values = ExpandValues(def);
        for (std::size_t k = 0; k < values.size(); ++k) {
          if (!values[k].omitted) {
            points.push_back({static_cast<Timestamp>(k) * interval, values[k].v});
          }
        }
        for (const auto& loaded : segments.back().series) {
          // promtool would keep only the last; MemoryQueryable would merge them.
          if (loaded.first == labels) {
            throw CaseFileError{"line " + std::to_string(i + 1) + ": a series loaded twice"};
          }
        }
        segments.back().series.emplace_back(std::move(labels), std::move(points));
      }
      continue;
    }
    Case c;
    c.line = line_no;
    c.known_difference = std::exchange(known_difference, false);
    if (command == "eval_fail") {
      c.fail = true;
    } else if (command == "eval_ordered") {
      c.ordered = true;
    } else if (command != "eval") {
      throw CaseFileError{"line " + std::to_string(line_no) + ": unknown command"};
    }
    std::string_view kind = NextWord(rest);
    if (kind == "instant") {
      if (NextWord(rest) != "at") throw CaseFileError{"line " + std::to_string(line_no)};
      c.start = c.end = DurationOrThrow(NextWord(rest), line_no);
      c.step = 1;
    } else if (kind == "range") {
      c.range = true;
      if (NextWord(rest) != "from") throw CaseFileError{"line " + std::to_string(line_no)};
      c.start = DurationOrThrow(NextWord(rest), line_no);
      if (NextWord(rest) != "to") throw CaseFileError{"line " + std::to_string(line_no)};
      c.end = DurationOrThrow(NextWord(rest), line_no);
      if (NextWord(rest) != "step") throw CaseFileError{"line " + std::to_string(line_no)};
      c.step = DurationOrThrow(NextWord(rest), line_no);
      if (c.step <= 0 || c.end < c.start) throw CaseFileError{"line " + std::to_string(line_no)};
    } else {
      throw CaseFileError{"line " + std::to_string(line_no) + ": instant or range?"};
    }
    c.query = std::string(rest);
    const std::size_t steps = static_cast<std::size_t>((c.end - c.start) / c.step + 1);
    for (++i; i < lines.size() && block_line(i); ++i) {
      std::string_view body = Trim(lines[i]);
      if (c.fail) {
        if (StartsWith(body, "error:")) {
          c.error = std::string(Trim(body.substr(6)));
        } else if (StartsWith(body, "error_prefix:")) {
          c.error = std::string(Trim(body.substr(13)));
          c.error_is_prefix = true;
        } else {
          throw CaseFileError{"eval_fail takes an error: or error_prefix: line"};
        }
      } else if (StartsWith(body, "string ")) {
        std::string_view quoted = Trim(body.substr(7));
        c.string = std::string(quoted.substr(1, quoted.size() - 2));
      } else if (std::optional<double> v = ParseNumber(body)) {
        c.scalar = *v;
      } else {
        ExpectedSeries s;
        s.labels = ParseSeriesLabels(body);
        s.values = ExpandValues(body);
        if (s.values.size() != steps) {
          throw CaseFileError{"line " + std::to_string(i + 1) + ": " +
                              std::to_string(s.values.size()) + " values for " +
                              std::to_string(steps) + " steps"};
        }
        c.series.push_back(std::move(s));
      }
    }
    segments.back().cases.push_back(std::move(c));
  }
  return segments;
}

// Prometheus's almostEqual (promql/test.go) with our epsilon, NaN equal to NaN.
bool AlmostEqual(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  const double diff = std::fabs(a - b);
  constexpr double kMinNormal = std::numeric_limits<double>::min();
  if (a == 0 || b == 0 || std::isinf(a) || std::isinf(b) || diff < kMinNormal) {
    return diff < kTolerance * kMinNormal;
  }
  return diff / (std::fabs(a) + std::fabs(b)) < kTolerance;
}

std::string FormatValue(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

std::string FormatExpected(const Case& c) {
  if (c.scalar) return "scalar " + FormatValue(*c.scalar);
  if (c.string) return "string \"" + *c.string + "\"";
  std::string out;
  for (const ExpectedSeries& s : c.series) {
    out += "\n    " + LabelsToString(s.labels);
    for (const SequenceValue& v : s.values) out += v.omitted ? " _" : " " + FormatValue(v.v);
  }
  return out.empty() ? "(empty)" : out;
}

std::string FormatGot(const QueryResult& result) {
  if (!result.ok()) return "error: " + result.error;
  struct Formatter {
    std::string operator()(const Scalar& s) const { return "scalar " + FormatValue(s.v); }
    std::string operator()(const String& s) const { return "string \"" + s.v + "\""; }
    std::string operator()(const Vector& vector) const {
      std::string out;
      for (const Sample& s : vector) {
        out += "\n    " + LabelsToString(s.labels) + " " + FormatValue(s.v);
      }
      return out.empty() ? "(empty)" : out;
    }
    std::string operator()(const Matrix& matrix) const {
      std::string out;
      for (const Series& s : matrix) {
        out += "\n    " + LabelsToString(s.labels);
        for (const Point& p : s.points) out += " " + FormatValue(p.v) + "@" + std::to_string(p.t);
      }
      return out.empty() ? "(empty)" : out;
    }
  };
  return std::visit(Formatter{}, result.value);
}

// Why `result` is not what `c` expects, or an empty string.
std::string Mismatch(const Case& c, const QueryResult& result) {
  if (c.fail) {
    if (result.ok()) return "no error";
    if (c.error && (c.error_is_prefix ? !StartsWith(result.error, *c.error)
                                      : *c.error != result.error)) {
      return "a different error";
    }
    return {};
  }
  if (!result.ok()) return "an error";
  if (c.scalar) {
    if (c.range) {
      const auto* matrix = std::get_if<Matrix>(&result.value);
      if (matrix == nullptr || matrix->size() != 1) return "not one series";
      for (const Point& p : matrix->front().points) {
        if (!AlmostEqual(p.v, *c.scalar)) return "a different value";
      }
      return {};
    }
    const auto* scalar = std::get_if<Scalar>(&result.value);
    if (scalar == nullptr) return "not a scalar";
    return AlmostEqual(scalar->v, *c.scalar) ? std::string() : "a different value";
  }
  if (c.string) {
    const auto* string = std::get_if<String>(&result.value);
    if (string == nullptr) return "not a string";
    return string->v == *c.string ? std::string() : "a different string";
  }
  if (!c.range) {
    const auto* vector = std::get_if<Vector>(&result.value);
    if (vector == nullptr) return "not a vector";
    if (vector->size() != c.series.size()) return "a different number of samples";
    for (std::size_t i = 0; i < vector->size(); ++i) {
      const Sample& got = (*vector)[i];
      auto it = std::find_if(c.series.begin(), c.series.end(),
                             [&](const ExpectedSeries& e) { return e.labels == got.labels; });
      if (it == c.series.end()) return "an unexpected series " + LabelsToString(got.labels);
      if (c.ordered && it != c.series.begin() + static_cast<std::ptrdiff_t>(i)) {
        return "a different order";
      }
      if (!AlmostEqual(it->values[0].v, got.v)) return "a different value";
    }
    return {};
  }
  const auto* matrix = std::get_if<Matrix>(&result.value);
  if (matrix == nullptr) return "not a matrix";
  std::size_t expected_series = 0;
  for (const ExpectedSeries& e : c.series) {
    bool any = std::any_of(e.values.begin(), e.values.end(),
                           [](const SequenceValue& v) { return !v.omitted; });
    if (!any) continue;
    ++expected_series;
    auto it = std::find_if(matrix->begin(), matrix->end(),
                           [&](const Series& s) { return s.labels == e.labels; });
    if (it == matrix->end()) return "no series " + LabelsToString(e.labels);
    std::size_t next = 0;
    for (std::size_t k = 0; k < e.values.size(); ++k) {
      const Timestamp t = c.start + static_cast<Timestamp>(k) * c.step;
      const bool has = next < it->points.size() && it->points[next].t == t;
      if (has != !e.values[k].omitted) return "a point missing or extra at " + std::to_string(t);
      if (has && !AlmostEqual(it->points[next++].v, e.values[k].v)) {
        return "a different value at " + std::to_string(t);
      }
    }
    if (next != it->points.size()) return "extra points in " + LabelsToString(e.labels);
  }
  if (matrix->size() != expected_series) return "unexpected series";
  return {};
}

// Prometheus's own harness (promql/test.go) also runs every instant case as a range query from
// t-1m to t+1m and checks the middle step, so the range path answers the instant cases too.
// Not for an ordered result (a range query has no order), nor with start()/end() (which a range
// query resolves to its own ends).
bool HasRangeMode(const Case& c) {
  return !c.range && !c.fail && !c.ordered && !c.string &&
         c.query.find("start()") == std::string::npos && c.query.find("end()") == std::string::npos;
}

// The range query's step at `t` as an instant result: a Scalar for a scalar case.
QueryResult MiddleStep(QueryResult range, Timestamp t, bool scalar) {
  if (!range.ok()) return range;
  const auto* matrix = std::get_if<Matrix>(&range.value);
  if (matrix == nullptr) return range;
  Vector vector;
  for (const Series& series : *matrix) {
    for (const Point& point : series.points) {
      if (point.t == t) vector.push_back(Sample{series.labels, point.t, point.v});
    }
  }
  QueryResult middle = std::move(range);
  if (scalar && vector.size() == 1) {
    middle.value = Scalar{t, vector.front().v};
  } else {
    middle.value = std::move(vector);
  }
  return middle;
}

// The options of the engine promtool's rule tests run (promql.NewLazyLoader), so a case that
// exceeds a limit fails the same way in both.
EngineOptions PromtoolEngineOptions() {
  EngineOptions options;
  options.max_samples = 10'000;
  options.timeout = std::chrono::seconds(100);
  options.default_subquery_step_ms = 60'000;  // promtool's evaluation_interval, as written
  options.lookback_delta_ms = 5 * 60'000;
  return options;
}

struct FileOutcome {
  int cases = 0;
  int passed = 0;
  std::vector<std::string> failures;
  std::vector<std::string> known_differences;
  std::vector<std::string> known_now_passing;
};

FileOutcome RunFile(const fs::path& path) {
  FileOutcome outcome;
  for (const Segment& segment : ParseCaseFile(path)) {
    MemoryQueryable queryable;
    for (const auto& [labels, points] : segment.series) queryable.Add(labels, points);
    Engine engine(PromtoolEngineOptions());
    for (const Case& c : segment.cases) {
      ++outcome.cases;
      QueryResult result = c.range ? engine.Range(queryable, c.query, c.start, c.end, c.step)
                                   : engine.Instant(queryable, c.query, c.start);
      std::string why = Mismatch(c, result);
      std::string where = path.filename().string() + ":" + std::to_string(c.line);
      if (why.empty() && HasRangeMode(c)) {
        result = MiddleStep(engine.Range(queryable, c.query, c.start - 60'000, c.start + 60'000,
                                         60'000),
                            c.start, c.scalar.has_value());
        why = Mismatch(c, result);
        if (!why.empty()) where += " (as a range query from t-1m to t+1m, at t)";
      }
      if (why.empty()) {
        ++outcome.passed;
        if (c.known_difference) outcome.known_now_passing.push_back(where);
        continue;
      }
      std::string report = where + ": " + c.query + "\n  got " + why + "\n  expected: " +
                           (c.fail ? "error" + (c.error ? ": " + *c.error : std::string())
                                   : FormatExpected(c)) +
                           "\n  got:      " + FormatGot(result);
      (c.known_difference ? outcome.known_differences : outcome.failures)
          .push_back(std::move(report));
    }
  }
  return outcome;
}

fs::path CasesDir() { return fs::path(METRICSD_SOURCE_DIR) / "tests/unit/daemon/query/promql/cases"; }

std::vector<std::string> CaseFiles() {
  std::vector<std::string> files;
  if (const char* one = std::getenv("METRICSD_PROMQL_CASES"); one != nullptr && *one != '\0') {
    files.emplace_back(one);
    return files;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(CasesDir())) {
    if (entry.path().extension() == ".test") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class ConformanceTest : public testing::TestWithParam<std::string> {};

TEST_P(ConformanceTest, AgreesWithPrometheus) {
  FileOutcome outcome;
  try {
    outcome = RunFile(GetParam());
  } catch (const CaseFileError& e) {
    FAIL() << GetParam() << ": invalid case file: " << e.message;
  }
  ASSERT_GT(outcome.cases, 0) << GetParam() << " holds no case";
  for (const std::string& failure : outcome.failures) ADD_FAILURE() << failure;
  for (const std::string& known : outcome.known_differences) {
    std::cout << "[ KNOWN DIFFERENCE ] " << known << "\n";
  }
  for (const std::string& now : outcome.known_now_passing) {
    std::cout << "[ NOW PASSES ] " << now << ": remove its `# known difference:` marker\n";
  }
  std::cout << "[ CASES ] " << fs::path(GetParam()).filename().string() << ": " << outcome.cases
            << " cases, " << outcome.passed << " pass, " << outcome.failures.size()
            << " fail, " << outcome.known_differences.size() << " known differences\n";
}

std::string CaseName(const testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, ConformanceTest, testing::ValuesIn(CaseFiles()), CaseName);

}  // namespace
}  // namespace metricsd::query::promql
