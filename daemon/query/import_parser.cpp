#include "daemon/query/import_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "daemon/core/beast.h"
#include "daemon/core/metric_names.h"
#include "daemon/storage/series_key.h"

namespace metricsd::query {
namespace {

// A reader of the one JSON shape a line has; every method returns false with `error` set.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  const std::string& error() const { return error_; }

  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' || text_[pos_] == '\n')) {
      ++pos_;
    }
  }

  bool AtEnd() {
    SkipSpace();
    return pos_ == text_.size();
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool Expect(char c, std::string_view where) {
    if (Consume(c)) return true;
    return Fail("expected '" + std::string(1, c) + "' " + std::string(where) + " at column " +
                std::to_string(pos_ + 1));
  }

  char Peek() {
    SkipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  // A JSON string, unescaped to UTF-8.
  bool String(std::string* out) {
    out->clear();
    if (!Expect('"', "(a string)")) return false;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in a string");
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          std::uint32_t code = 0;
          if (!Hex4(&code)) return false;
          if (code >= 0xd800 && code < 0xdc00) {
            std::uint32_t low = 0;
            if (pos_ + 1 < text_.size() && text_[pos_] == '\\' && text_[pos_ + 1] == 'u') {
              pos_ += 2;
              if (!Hex4(&low)) return false;
            }
            if (low < 0xdc00 || low > 0xdfff) return Fail("invalid surrogate pair in a string");
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          } else if (code >= 0xdc00 && code < 0xe000) {
            return Fail("invalid surrogate pair in a string");
          }
          AppendUtf8(out, code);
          break;
        }
        default:
          return Fail("invalid escape '\\" + std::string(1, e) + "' in a string");
      }
    }
    return Fail("unterminated string");
  }

  // A number as VictoriaMetrics reads a value: JSON's grammar, or NaN/Inf words.
  bool Value(double* out) {
    SkipSpace();
    std::size_t start = pos_;
    while (pos_ < text_.size() && std::string_view("+-.eE0123456789aAnNiIfFtTyY").find(text_[pos_]) !=
                                      std::string_view::npos) {
      ++pos_;
    }
    std::string_view token = text_.substr(start, pos_ - start);
    std::string_view unsigned_token = token;
    bool negative = false;
    if (!unsigned_token.empty() && (unsigned_token[0] == '+' || unsigned_token[0] == '-')) {
      negative = unsigned_token[0] == '-';
      unsigned_token.remove_prefix(1);
    }
    if (beast::iequals(unsigned_token, "nan")) {
      *out = storage::StaleMarker();
      return true;
    }
    if (beast::iequals(unsigned_token, "inf") || beast::iequals(unsigned_token, "infinity")) {
      *out = negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
      return true;
    }
    if (!IsJsonNumber(token)) {
      return Fail(token.empty() ? "expected a number at column " + std::to_string(start + 1)
                                : "invalid number \"" + std::string(token) + "\"");
    }
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *out);
    if (ec == std::errc::result_out_of_range) {
      // Like Go's ParseFloat (fastjson): too large is ±Inf, too small is ±0.
      std::size_t exponent = token.find_first_of("eE");
      bool huge = exponent == std::string_view::npos || exponent + 1 >= token.size() ||
                  token[exponent + 1] != '-';
      double magnitude = huge ? std::numeric_limits<double>::infinity() : 0.0;
      *out = token.starts_with('-') ? -magnitude : magnitude;
      return true;
    }
    if (ec != std::errc() || end != token.data() + token.size()) {
      return Fail("invalid number \"" + std::string(token) + "\"");
    }
    return true;
  }

  bool Integer(std::int64_t* out) {
    SkipSpace();
    std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    std::string_view token = text_.substr(start, pos_ - start);
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *out);
    bool more_number = pos_ < text_.size() && std::string_view(".eE").find(text_[pos_]) != std::string_view::npos;
    if (token.empty() || ec != std::errc() || end != token.data() + token.size() || more_number) {
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ']') ++pos_;
      return Fail("invalid timestamp \"" + std::string(text_.substr(start, pos_ - start)) +
                  "\" (want integer milliseconds)");
    }
    return true;
  }

  // Skips any JSON value (a key we do not know).
  bool SkipValue(int depth = 0) {
    if (depth > 64) return Fail("nested too deeply");
    char c = Peek();
    if (c == '"') {
      std::string ignored;
      return String(&ignored);
    }
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++pos_;
      if (Consume(close)) return true;
      do {
        if (c == '{') {
          std::string ignored;
          if (!String(&ignored) || !Expect(':', "after a key")) return false;
        }
        if (!SkipValue(depth + 1)) return false;
      } while (Consume(','));
      return Expect(close, "to close a container");
    }
    std::size_t start = pos_;
    while (pos_ < text_.size() && std::string_view(",]} \t\r\n").find(text_[pos_]) == std::string_view::npos) {
      ++pos_;
    }
    std::string_view word = text_.substr(start, pos_ - start);
    if (word == "true" || word == "false" || word == "null" || IsJsonNumber(word)) return true;
    return Fail("invalid JSON value \"" + std::string(word) + "\"");
  }

 private:
  static bool IsJsonNumber(std::string_view s) {
    std::size_t i = 0;
    auto digits = [&] {
      std::size_t from = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      return i > from;
    };
    if (i < s.size() && s[i] == '-') ++i;
    if (i < s.size() && s[i] == '0') {
      ++i;
    } else if (!digits()) {
      return false;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (!digits()) return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      if (!digits()) return false;
    }
    return i == s.size();
  }

  bool Hex4(std::uint32_t* out) {
    if (pos_ + 4 > text_.size()) return Fail("truncated \\u escape");
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, value, 16);
    if (ec != std::errc() || end != text_.data() + pos_ + 4) return Fail("invalid \\u escape");
    pos_ += 4;
    *out = value;
    return true;
  }

  static void AppendUtf8(std::string* out, std::uint32_t code) {
    if (code < 0x80) {
      *out += static_cast<char>(code);
    } else if (code < 0x800) {
      *out += static_cast<char>(0xc0 | (code >> 6));
      *out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      *out += static_cast<char>(0xe0 | (code >> 12));
      *out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      *out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      *out += static_cast<char>(0xf0 | (code >> 18));
      *out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      *out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      *out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
};

struct ParsedLine {
  std::string key;
  std::vector<double> values;
  std::vector<std::int64_t> timestamps;
};

bool ParseMetric(LineReader& reader, storage::SeriesKeyBuilder& builder, std::string* key) {
  if (!reader.Expect('{', "to open `metric`")) return false;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string name;
  bool has_name = false;
  if (!reader.Consume('}')) {
    do {
      std::string label, value;
      if (!reader.String(&label) || !reader.Expect(':', "after a label name")) return false;
      if (reader.Peek() != '"') return reader.Fail("the value of label \"" + label + "\" is not a string");
      if (!reader.String(&value)) return false;
      if (!storage::IsValidUtf8(value)) {
        return reader.Fail("the value of label \"" + label + "\" is not valid UTF-8");
      }
      if (label == "__name__") {
        if (has_name) return reader.Fail("label \"__name__\" repeats");
        if (!IsValidMetricName(value)) return reader.Fail("invalid metric name \"" + value + "\"");
        has_name = true;
        name = std::move(value);
        continue;
      }
      if (!IsValidLabelName(label)) return reader.Fail("invalid label name \"" + label + "\"");
      for (const auto& existing : labels) {
        if (existing.first == label) return reader.Fail("label \"" + label + "\" repeats");
      }
      labels.emplace_back(std::move(label), std::move(value));
    } while (reader.Consume(','));
    if (!reader.Expect('}', "to close `metric`")) return false;
  }
  if (!has_name) return reader.Fail("`metric` has no \"__name__\"");
  builder.Reset(name);
  for (const auto& [label, value] : labels) builder.Add(label, value);
  std::optional<std::string_view> built = builder.Finish();
  if (!built) return reader.Fail("the labels make no valid series");
  *key = std::string(*built);
  return true;
}

bool ParseLine(std::string_view text, storage::SeriesKeyBuilder& builder, ParsedLine* line,
               std::string* error) {
  LineReader reader(text);
  bool has_metric = false, has_values = false, has_timestamps = false;
  auto fail = [&] {
    *error = reader.error();
    return false;
  };
  if (!reader.Expect('{', "to open the line")) return fail();
  if (!reader.Consume('}')) {
    do {
      std::string field;
      if (!reader.String(&field) || !reader.Expect(':', "after a key")) return fail();
      if (field == "metric") {
        if (has_metric) return reader.Fail("`metric` repeats"), fail();
        has_metric = true;
        if (!ParseMetric(reader, builder, &line->key)) return fail();
      } else if (field == "values" || field == "timestamps") {
        bool is_values = field == "values";
        if ((is_values ? has_values : has_timestamps)) return reader.Fail("`" + field + "` repeats"), fail();
        (is_values ? has_values : has_timestamps) = true;
        if (!reader.Expect('[', ("to open `" + field + "`").c_str())) return fail();
        if (!reader.Consume(']')) {
          do {
            if (is_values) {
              double v = 0;
              if (!reader.Value(&v)) return fail();
              line->values.push_back(v);
            } else {
              std::int64_t t = 0;
              if (!reader.Integer(&t)) return fail();
              line->timestamps.push_back(t);
            }
          } while (reader.Consume(','));
          if (!reader.Expect(']', ("to close `" + field + "`").c_str())) return fail();
        }
      } else if (!reader.SkipValue()) {
        return fail();
      }
    } while (reader.Consume(','));
    if (!reader.Expect('}', "to close the line")) return fail();
  }
  if (!reader.AtEnd()) return reader.Fail("trailing data after the object"), fail();
  if (!has_metric) return reader.Fail("missing `metric` object"), fail();
  if (line->values.empty()) return reader.Fail("missing `values` array"), fail();
  if (line->timestamps.empty()) return reader.Fail("missing `timestamps` array"), fail();
  if (line->values.size() != line->timestamps.size()) {
    return reader.Fail("`timestamps` array size must match `values` array size; got " +
                       std::to_string(line->timestamps.size()) + "; want " +
                       std::to_string(line->values.size())),
           fail();
  }
  return true;
}

}  // namespace

ImportParseResult ParseImport(std::string_view body) {
  ImportParseResult result;
  std::map<std::string, std::vector<storage::Sample>> by_key;
  storage::SeriesKeyBuilder builder;
  std::size_t line_number = 0;
  while (!body.empty()) {
    ++line_number;
    std::size_t newline = body.find('\n');
    std::string_view text = body.substr(0, newline);
    body = newline == std::string_view::npos ? std::string_view{} : body.substr(newline + 1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
    ParsedLine line;
    std::string error;
    if (!ParseLine(text, builder, &line, &error)) {
      result.series.clear();
      result.samples = 0;
      result.error = "line " + std::to_string(line_number) + ": " + error;
      return result;
    }
    std::vector<storage::Sample>& samples = by_key[line.key];
    for (std::size_t i = 0; i < line.values.size(); ++i) {
      samples.push_back({line.timestamps[i], line.values[i]});
    }
  }
  result.series.reserve(by_key.size());
  for (auto& [key, samples] : by_key) {
    std::stable_sort(samples.begin(), samples.end(),
                     [](const storage::Sample& a, const storage::Sample& b) { return a.t < b.t; });
    // Of equal timestamps keep the last one written: reverse, unique keeps the first.
    std::reverse(samples.begin(), samples.end());
    samples.erase(std::unique(samples.begin(), samples.end(),
                              [](const storage::Sample& a, const storage::Sample& b) {
                                return a.t == b.t;
                              }),
                  samples.end());
    std::reverse(samples.begin(), samples.end());
    result.samples += samples.size();
    result.series.push_back({key, std::move(samples)});
  }
  return result;
}

}  // namespace metricsd::query
