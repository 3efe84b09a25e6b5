// The parameters of the history API as Prometheus reads them: form values from the query
// string and from an application/x-www-form-urlencoded POST body (Go's Request.ParseForm), and
// times as Prometheus's parseTime takes them (unix seconds as a float, or RFC 3339).
//
//   ParseApiTime("1700000000.123") == 1700000000123      ParseApiTime("2023-11-14T22:13:20Z")
//
// Thread-safety: the functions are pure; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/beast.h"
#include "daemon/storage/label_matcher.h"
#include "daemon/storage/sample.h"

namespace metricsd::query {

// Prometheus's minTime and maxTime (web/api/v1/api.go), in milliseconds: the defaults of
// start and end, and the texts its clients send for them.
inline constexpr storage::Timestamp kMinApiTime = -9223309901257974000LL;
inline constexpr storage::Timestamp kMaxApiTime = 9223309901257974999LL;

// Milliseconds since the epoch, or nullopt when `text` is neither a finite float of seconds
// nor RFC 3339 (fractions below a millisecond are truncated, as timestamp.FromTime does).
std::optional<storage::Timestamp> ParseApiTime(std::string_view text);

// Percent-decoding as Go's url.QueryUnescape: "+" is a space; nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view text);

// Form values in order, a name may repeat ("match[]").
// Thread-safety: a value; const methods may be called concurrently, AddEncoded may not.
class FormValues {
 public:
  // Adds the pairs of `encoded` ("a=1&b=2"); false with `error` (the first) on a bad escape
  // or a ';' (Go 1.17+ refuses semicolons as separators). As Go's url.ParseQuery, the good
  // pairs are added even then: r.FormValue ignores the error and reads them.
  bool AddEncoded(std::string_view encoded, std::string* error);

  std::vector<std::string> All(std::string_view name) const;
  // The first value of `name` ("" when absent); nullopt when absent.
  std::optional<std::string> First(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

// A form body's values (POST, PUT or PATCH with Content-Type
// application/x-www-form-urlencoded), then the query string's, in Go's r.Form order (so
// First() prefers the body, as r.FormValue does); false with `error` as ParseForm would fail,
// `form` then holding every pair that did parse.
bool ParseRequestForm(const HttpRequest& request, FormValues* form, std::string* error);

struct TimeRange {
  storage::Timestamp start = kMinApiTime;
  storage::Timestamp end = kMaxApiTime;
};

// "start" and "end" (defaults min and max time); false with Prometheus's message
// ("invalid parameter \"start\": Invalid time value for 'start': cannot parse \"x\" to a
// valid timestamp").
bool ParseTimeRange(const FormValues& form, TimeRange* range, std::string* error);

// Prometheus's parseDuration: float seconds ("15", "0.5") or a PromQL duration ("1m30s"), in
// nanoseconds as Go's time.Duration; nullopt with `error` ("cannot parse \"x\" to a valid
// duration", "... It overflows int64").
std::optional<std::int64_t> ParseApiDuration(std::string_view text, std::string* error);

// Prometheus's invalidParamError: "invalid parameter \"step\": <message>".
std::string InvalidParameter(std::string_view name, std::string_view message);

// Every match[] parsed as a series selector by the PromQL parser (ParseMetricSelector); false
// with Prometheus's message: the parse error with its position ("1:4: parse error: unexpected
// end of input inside braces"), or "match[] must contain at least one non-empty matcher".
bool ParseSelectors(const FormValues& form, std::vector<storage::Matchers>* selectors,
                    std::string* error);

}  // namespace metricsd::query
