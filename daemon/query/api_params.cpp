#include "daemon/query/api_params.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "daemon/core/duration.h"
#include "daemon/query/promql/parser.h"

namespace metricsd::query {
namespace {

// Prometheus's texts for minTime and maxTime: Go's time package cannot parse years beyond
// 9999, so parseTime compares against them literally.
constexpr std::string_view kMinTimeText = "-292273086-05-16T16:47:06Z";
constexpr std::string_view kMaxTimeText = "292277025-08-18T07:12:54.999999999Z";

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
// days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool IsLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Reads exactly `n` digits at `*pos`.
bool Digits(std::string_view text, std::size_t* pos, std::size_t n, int* out) {
  if (*pos + n > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *pos += n;
  *out = value;
  return true;
}

bool Expect(std::string_view text, std::size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

// Go's time.RFC3339Nano layout as time.Parse reads it: 2006-01-02T15:04:05.999999999Z07:00,
// the fraction optional (any number of digits), the zone "Z" or ±hh:mm.
std::optional<storage::Timestamp> ParseRfc3339(std::string_view text) {
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!Digits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !Digits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !Digits(text, &pos, 2, &day) || !Expect(text, &pos, 'T') ||
      !Digits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !Digits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !Digits(text, &pos, 2, &second)) {
    return std::nullopt;
  }
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  int month_days = kDaysInMonth[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
  if (day > month_days) return std::nullopt;
  std::int64_t millis = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t i = digits; i < 3; ++i) millis *= 10;
  }
  std::int64_t offset_seconds = 0;
  if (Expect(text, &pos, 'Z')) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int zone_hour, zone_minute;
    if (!Digits(text, &pos, 2, &zone_hour) || !Expect(text, &pos, ':') ||
        !Digits(text, &pos, 2, &zone_minute) || zone_hour > 23 || zone_minute > 59) {
      return std::nullopt;
    }
    offset_seconds = sign * (zone_hour * 3600 + zone_minute * 60);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  std::int64_t seconds = DaysFromCivil(year, static_cast<unsigned>(month),
                                       static_cast<unsigned>(day)) * 86400 +
                         hour * 3600 + minute * 60 + second - offset_seconds;
  return seconds * 1000 + millis;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Prometheus's parseMatchersParam refuses a selector whose matchers all match "" so.
constexpr std::string_view kEmptyMatcherError =
    "match[] must contain at least one non-empty matcher";

}  // namespace

std::optional<storage::Timestamp> ParseApiTime(std::string_view text) {
  // strconv.ParseFloat first: "1700000000", "1.7e9", "-1.5".
  double seconds = 0;
  std::string_view number = text;
  if (number.starts_with('+')) number.remove_prefix(1);  // ParseFloat takes a sign
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), seconds,
                                   std::chars_format::general);
  if (!number.empty() && ec == std::errc() && end == number.data() + number.size() &&
      number.front() != '+') {
    // Go's time.Unix(s, ns) with ns rounded to the millisecond, as parseTime does; times
    // outside int64 milliseconds are refused rather than wrapped.
    if (!std::isfinite(seconds) || std::fabs(seconds) >= 9.2e15) return std::nullopt;
    double whole = 0;
    double fraction = std::modf(seconds, &whole);
    return static_cast<storage::Timestamp>(whole) * 1000 +
           static_cast<storage::Timestamp>(std::llround(fraction * 1000));
  }
  if (std::optional<storage::Timestamp> t = ParseRfc3339(text)) return t;
  if (text == kMinTimeText) return kMinApiTime;
  if (text == kMaxTimeText) return kMaxApiTime;
  return std::nullopt;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool FormValues::AddEncoded(std::string_view encoded, std::string* error) {
  bool ok = true;
  auto fail = [&](std::string message) {
    if (ok) *error = std::move(message);
    ok = false;
  };
  while (!encoded.empty()) {
    std::size_t amp = encoded.find('&');
    std::string_view pair = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view{} : encoded.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos) {
      fail("invalid semicolon separator in query");
      continue;
    }
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    std::optional<std::string> name = PercentDecode(raw_name);
    std::optional<std::string> value = PercentDecode(raw_value);
    if (!name || !value) {
      fail("invalid URL escape in \"" + std::string(name ? raw_value : raw_name) + "\"");
      continue;
    }
    values_.emplace_back(std::move(*name), std::move(*value));
  }
  return ok;
}

std::vector<std::string> FormValues::All(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : values_) {
    if (key == name) out.push_back(value);
  }
  return out;
}

std::optional<std::string> FormValues::First(std::string_view name) const {
  for (const auto& [key, value] : values_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

bool ParseRequestForm(const HttpRequest& request, FormValues* form, std::string* error) {
  bool ok = true;
  // Go's ParseForm: the body's pairs first, then the query string's (r.FormValue's order).
  if (request.method() == http::verb::post || request.method() == http::verb::put ||
      request.method() == http::verb::patch) {
    std::string_view type = request[http::field::content_type];
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    if (beast::iequals(type, "application/x-www-form-urlencoded")) {
      ok = form->AddEncoded(request.body(), error);
    }
  }
  std::string_view target = request.target();
  std::size_t question = target.find('?');
  if (question != std::string_view::npos) {
    std::string query_error;
    if (!form->AddEncoded(target.substr(question + 1), &query_error) && ok) {
      *error = std::move(query_error);
      ok = false;
    }
  }
  return ok;
}

bool ParseTimeRange(const FormValues& form, TimeRange* range, std::string* error) {
  for (auto [name, target] : {std::pair{"start", &range->start}, std::pair{"end", &range->end}}) {
    std::optional<std::string> text = form.First(name);
    if (!text || text->empty()) continue;  // Prometheus: an empty value is the default
    std::optional<storage::Timestamp> t = ParseApiTime(*text);
    if (!t) {
      *error = InvalidParameter(name, std::string("Invalid time value for '") + name +
                                          "': cannot parse \"" + *text + "\" to a valid timestamp");
      return false;
    }
    *target = *t;
  }
  return true;
}

std::optional<std::int64_t> ParseApiDuration(std::string_view text, std::string* error) {
  // strconv.ParseFloat first (from_chars also takes "inf" and "nan", as Go does); a value
  // out of float64's range is a ParseFloat error, so it falls through to the duration syntax.
  std::string_view number = text;
  if (number.starts_with('+')) number.remove_prefix(1);
  double seconds = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), seconds,
                                   std::chars_format::general);
  if (!number.empty() && number.front() != '+' && ec == std::errc() &&
      end == number.data() + number.size()) {
    double ns = seconds * 1e9;
    // Go compares against float64(MaxInt64) and float64(MinInt64): 2^63 and -2^63.
    if (ns > 9223372036854775807.0 || ns < -9223372036854775808.0) {
      *error = "cannot parse \"" + std::string(text) + "\" to a valid duration. It overflows int64";
      return std::nullopt;
    }
    // time.Duration(NaN) is MinInt64 on amd64; 2^63 itself converts to MinInt64 there too.
    if (std::isnan(ns) || ns >= 9223372036854775807.0) {
      return std::numeric_limits<std::int64_t>::min();
    }
    return static_cast<std::int64_t>(ns);
  }
  if (std::optional<Duration> d = ParseDuration(text)) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(*d).count();
  }
  *error = "cannot parse \"" + std::string(text) + "\" to a valid duration";
  return std::nullopt;
}

std::string InvalidParameter(std::string_view name, std::string_view message) {
  return "invalid parameter \"" + std::string(name) + "\": " + std::string(message);
}

bool ParseSelectors(const FormValues& form, std::vector<storage::Matchers>* selectors,
                    std::string* error) {
  for (const std::string& text : form.All("match[]")) {
    promql::ParseError parse_error;
    std::optional<storage::Matchers> matchers = promql::ParseMetricSelector(text, &parse_error);
    if (!matchers) {
      // The API's own refusal of a selector matching everything carries no position.
      *error = parse_error.message == kEmptyMatcherError ? parse_error.message
                                                          : parse_error.ToString(text);
      return false;
    }
    selectors->push_back(std::move(*matchers));
  }
  return true;
}

}  // namespace metricsd::query
