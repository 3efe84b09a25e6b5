#include "daemon/core/duration.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

namespace metricsd {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t millis;
};

// Largest first: a duration must list its terms in this order.
constexpr std::array<Unit, 7> kUnits{{
    {"y", 365LL * 24 * 3600 * 1000},
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
}};

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text) {
  if (text == "0") return Duration::zero();
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // units must appear in kUnits order, each once
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    std::int64_t number = 0;
    auto [after, ec] = std::from_chars(p, end, number);
    if (ec != std::errc() || after == p || number < 0) return std::nullopt;
    p = after;
    std::size_t unit_len = 0;
    while (p + unit_len < end && p[unit_len] >= 'a' && p[unit_len] <= 'z') ++unit_len;
    std::string_view suffix(p, unit_len);
    std::size_t i = next_unit;
    while (i < kUnits.size() && kUnits[i].suffix != suffix) ++i;
    if (i == kUnits.size()) return std::nullopt;
    if (number > (std::numeric_limits<std::int64_t>::max() - total) / kUnits[i].millis) {
      return std::nullopt;  // overflow
    }
    total += number * kUnits[i].millis;
    next_unit = i + 1;
    p += unit_len;
  }
  return Duration(total);
}

std::string FormatDuration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  for (const Unit& unit : kUnits) {
    if (ms >= unit.millis) {
      out += std::to_string(ms / unit.millis);
      out += unit.suffix;
      ms %= unit.millis;
    }
  }
  return out;
}

}  // namespace metricsd
