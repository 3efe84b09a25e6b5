#include "daemon/query/query_json.h"

#include <charconv>
#include <cmath>
#include <system_error>
#include <variant>

#include "daemon/query/api_json.h"

namespace metricsd::query {
namespace {

// Go's strconv.AppendFloat(v, fmt, -1, 64) for finite v: the shortest digits that read back as
// v. std::to_chars in scientific form gives exactly those digits, with Go's exponent spelling
// ('e', a sign, at least two digits); Go's 'f' form places the same digits and pads with zeros
// (1.2345678901234568e+20 is "123456789012345680000"), where to_chars' fixed form would print
// the binary value's exact digits, so 'f' is laid out here from the scientific digits.
void AppendShortest(std::string& out, double v, std::chars_format format) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::scientific);
  if (ec != std::errc()) return;  // cannot happen with this buffer
  std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  if (format == std::chars_format::scientific) {
    out += text;
    return;
  }
  if (text.front() == '-') {
    out += '-';
    text.remove_prefix(1);
  }
  std::size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::string_view exponent_text = text.substr(e + 1);
  if (exponent_text.front() == '+') exponent_text.remove_prefix(1);
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  if (digits == "0") {
    out += '0';
    return;
  }
  // The value is 0.d1d2d3... * 10^(exponent + 1).
  int point = exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    out += digits;
    out.append(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    out.append(digits, 0, static_cast<std::size_t>(point));
    out += '.';
    out.append(digits, static_cast<std::size_t>(point));
  }
}

bool AppendNonFinite(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    return false;
  }
  return true;
}

// float64(t)/1000 through encoding/json (Scalar and String results): a float64 in 'f' form, as
// timestamps' magnitudes (1e-3 up to 9.2e15) never reach the 'e' cut-offs.
void AppendJsonSeconds(std::string& out, promql::Timestamp t) {
  AppendShortest(out, static_cast<double>(t) / 1000, std::chars_format::fixed);
}

void AppendPoint(std::string& out, promql::Timestamp t, double v) {
  out += '[';
  AppendJsonTimestamp(out, t);
  out += ',';
  AppendJsonSampleValue(out, v);
  out += ']';
}

void AppendVector(std::string& out, const promql::Vector& vector) {
  out += '[';
  for (std::size_t i = 0; i < vector.size(); ++i) {
    if (i != 0) out += ',';
    out += R"({"metric":)";
    AppendJsonLabels(out, vector[i].labels);
    out += R"(,"value":)";
    AppendPoint(out, vector[i].t, vector[i].v);
    out += '}';
  }
  out += ']';
}

void AppendMatrix(std::string& out, const promql::Matrix& matrix) {
  out += '[';
  for (std::size_t i = 0; i < matrix.size(); ++i) {
    if (i != 0) out += ',';
    out += R"({"metric":)";
    AppendJsonLabels(out, matrix[i].labels);
    // marshalSeriesJSON writes "values" only when there is a point.
    if (!matrix[i].points.empty()) {
      out += R"(,"values":[)";
      for (std::size_t j = 0; j < matrix[i].points.size(); ++j) {
        if (j != 0) out += ',';
        AppendPoint(out, matrix[i].points[j].t, matrix[i].points[j].v);
      }
      out += ']';
    }
    out += '}';
  }
  out += ']';
}

}  // namespace

void AppendJsonTimestamp(std::string& out, promql::Timestamp t) {
  // Integer arithmetic, as MarshalTimestamp, so no float rounding can show.
  auto magnitude = static_cast<std::uint64_t>(t);
  if (t < 0) {
    out += '-';
    magnitude = ~magnitude + 1;
  }
  out += std::to_string(magnitude / 1000);
  std::uint64_t fraction = magnitude % 1000;
  if (fraction != 0) {
    out += '.';
    if (fraction < 100) out += '0';
    if (fraction < 10) out += '0';
    out += std::to_string(fraction);
  }
}

void AppendJsonSampleValue(std::string& out, double v) {
  out += '"';
  if (!AppendNonFinite(out, v)) {
    double magnitude = std::fabs(v);
    bool exponent = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21);
    AppendShortest(out, v, exponent ? std::chars_format::scientific : std::chars_format::fixed);
  }
  out += '"';
}

std::string FormatGoFloat(double v) {
  std::string out;
  if (!AppendNonFinite(out, v)) AppendShortest(out, v, std::chars_format::fixed);
  return out;
}

void AppendJsonLabels(std::string& out, const promql::Labels& labels) {
  out += '{';
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i != 0) out += ',';
    AppendJsonString(out, labels[i].name);
    out += ':';
    AppendJsonString(out, labels[i].value);
  }
  out += '}';
}

std::string QueryDataJson(const promql::Value& value) {
  std::string out = R"({"resultType":")";
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, promql::Scalar>) {
          out += R"(scalar","result":[)";
          AppendJsonSeconds(out, v.t);
          out += ',';
          AppendJsonString(out, FormatGoFloat(v.v));
          out += ']';
        } else if constexpr (std::is_same_v<T, promql::String>) {
          out += R"(string","result":[)";
          AppendJsonSeconds(out, v.t);
          out += ',';
          AppendJsonString(out, v.v);
          out += ']';
        } else if constexpr (std::is_same_v<T, promql::Vector>) {
          out += R"(vector","result":)";
          AppendVector(out, v);
        } else {
          out += R"(matrix","result":)";
          AppendMatrix(out, v);
        }
      },
      value);
  out += '}';
  return out;
}

}  // namespace metricsd::query
