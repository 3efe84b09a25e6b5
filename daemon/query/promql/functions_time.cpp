// day_of_month, day_of_week, day_of_year, days_in_month, hour, minute, month, year: calendar
// fields (UTC) of each value read as Unix seconds, or of the step's time without an argument.
// The calendar is Go's time package's (Go 1.19, which built Prometheus 2.42) ported with its
// unsigned wrap-around, so even values beyond ±292 billion years answer as Prometheus does.
#include <cmath>
#include <cstdint>
#include <variant>

#include "daemon/query/promql/functions_internal.h"

namespace metricsd::query::promql::functions_internal {

namespace {

constexpr std::uint64_t kSecondsPerMinute = 60;
constexpr std::uint64_t kSecondsPerHour = 60 * kSecondsPerMinute;
constexpr std::uint64_t kSecondsPerDay = 24 * kSecondsPerHour;
constexpr std::uint64_t kSecondsPerWeek = 7 * kSecondsPerDay;
constexpr std::uint64_t kDaysPer400Years = 365 * 400 + 97;
constexpr std::uint64_t kDaysPer100Years = 365 * 100 + 24;
constexpr std::uint64_t kDaysPer4Years = 365 * 4 + 1;
constexpr std::int64_t kAbsoluteZeroYear = -292277022399;
// Go's (unixToInternal + internalToAbsolute): Unix seconds to seconds since the absolute zero.
constexpr std::uint64_t kUnixToAbsolute = 62135596800ULL + 9223371966579724800ULL;
constexpr int kDaysBefore[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

// Go's int64(float64) on amd64 (CVTTSD2SQ): NaN and out-of-range values become INT64_MIN.
std::int64_t GoFloatToInt64(double v) {
  if (std::isnan(v) || v >= 9223372036854775808.0 || v < -9223372036854775808.0) {
    return INT64_MIN;
  }
  return static_cast<std::int64_t>(v);
}

bool IsLeap(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

struct Date {
  std::int64_t year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  int yday = 0;   // 0-based
};

// Go's absDate: the date of seconds since the absolute zero year.
Date AbsDate(std::uint64_t abs) {
  std::uint64_t d = abs / kSecondsPerDay;
  std::uint64_t n = d / kDaysPer400Years;
  std::uint64_t y = 400 * n;
  d -= kDaysPer400Years * n;

  n = d / kDaysPer100Years;
  n -= n >> 2;
  y += 100 * n;
  d -= kDaysPer100Years * n;

  n = d / kDaysPer4Years;
  y += 4 * n;
  d -= kDaysPer4Years * n;

  n = d / 365;
  n -= n >> 2;
  y += n;
  d -= 365 * n;

  Date date;
  date.year = static_cast<std::int64_t>(y) + kAbsoluteZeroYear;
  date.yday = static_cast<int>(d);

  int day = date.yday;
  if (IsLeap(date.year)) {
    if (day > 31 + 29 - 1) {
      --day;  // after the leap day: pretend it was not there
    } else if (day == 31 + 29 - 1) {
      date.month = 2;
      date.day = 29;
      return date;
    }
  }
  int month = day / 31;  // may be one too low
  const int end = kDaysBefore[month + 1];
  int begin = 0;
  if (day >= end) {
    ++month;
    begin = end;
  } else {
    begin = kDaysBefore[month];
  }
  date.month = month + 1;
  date.day = day - begin + 1;
  return date;
}

// Go's daysSinceEpoch: days from the absolute zero to January 1st of `year`.
std::uint64_t DaysSinceAbsoluteZero(std::int64_t year) {
  std::uint64_t y = static_cast<std::uint64_t>(year - kAbsoluteZeroYear);
  std::uint64_t n = y / 400;
  y -= 400 * n;
  std::uint64_t d = kDaysPer400Years * n;
  n = y / 100;
  y -= 100 * n;
  d += kDaysPer100Years * n;
  n = y / 4;
  y -= 4 * n;
  d += kDaysPer4Years * n;
  d += 365 * y;
  return d;
}

std::uint64_t AbsFromUnix(std::int64_t unix_seconds) {
  return static_cast<std::uint64_t>(unix_seconds) + kUnixToAbsolute;
}

double DayOfMonth(std::uint64_t abs) { return AbsDate(abs).day; }
double DayOfWeek(std::uint64_t abs) {
  // The absolute zero was a Monday.
  return static_cast<double>((abs + kSecondsPerDay) % kSecondsPerWeek / kSecondsPerDay);
}
double DayOfYear(std::uint64_t abs) { return AbsDate(abs).yday + 1; }
// 2.42: 32 - time.Date(year, month, 32).Day(), i.e. the day the 32nd normalises to.
double DaysInMonth(std::uint64_t abs) {
  const Date date = AbsDate(abs);
  std::uint64_t d = DaysSinceAbsoluteZero(date.year);
  d += static_cast<std::uint64_t>(kDaysBefore[date.month - 1]);
  if (IsLeap(date.year) && date.month >= 3) ++d;
  d += 32 - 1;
  return 32 - AbsDate(d * kSecondsPerDay).day;
}
double Hour(std::uint64_t abs) {
  return static_cast<double>(abs % kSecondsPerDay / kSecondsPerHour);
}
double Minute(std::uint64_t abs) {
  return static_cast<double>(abs % kSecondsPerHour / kSecondsPerMinute);
}
double Month(std::uint64_t abs) { return AbsDate(abs).month; }
double Year(std::uint64_t abs) { return static_cast<double>(AbsDate(abs).year); }

template <double (*field)(std::uint64_t)>
Vector DateFunction(const InstantCall& call) {
  if (call.args.empty()) {
    // Go's enh.Ts/1000 truncates towards zero, as C++ does.
    return Vector{Sample{{}, call.t, field(AbsFromUnix(call.t / 1000))}};
  }
  const Vector& in = *std::get<const Vector*>(call.args[0]);
  Vector out;
  out.reserve(in.size());
  for (const Sample& sample : in) {
    out.push_back(Sample{DropMetricName(sample.labels), call.t,
                         field(AbsFromUnix(GoFloatToInt64(sample.v)))});
  }
  return out;
}

constexpr NamedFunctionImpl kTimeRows[] = {
    {"day_of_month", {.instant = DateFunction<DayOfMonth>}},
    {"day_of_week", {.instant = DateFunction<DayOfWeek>}},
    {"day_of_year", {.instant = DateFunction<DayOfYear>}},
    {"days_in_month", {.instant = DateFunction<DaysInMonth>}},
    {"hour", {.instant = DateFunction<Hour>}},
    {"minute", {.instant = DateFunction<Minute>}},
    {"month", {.instant = DateFunction<Month>}},
    {"year", {.instant = DateFunction<Year>}},
};

}  // namespace

std::span<const NamedFunctionImpl> TimeFunctionImpls() { return kTimeRows; }

}  // namespace metricsd::query::promql::functions_internal
