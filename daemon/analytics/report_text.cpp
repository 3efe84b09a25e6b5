#include "daemon/analytics/report_text.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace metricsd::analytics {

nlohmann::json NumberOrNull(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json LabelsJson(const query::promql::Labels& labels) {
  nlohmann::json out = nlohmann::json::object();
  for (const query::promql::Label& label : labels) out[label.name] = label.value;
  return out;
}

std::string FormatNumber(double value, int digits, std::string_view missing) {
  if (!std::isfinite(value)) return std::string(missing);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
  return buffer;
}

std::string FormatSignedPercent(double percent) {
  if (!std::isfinite(percent)) return "n/a";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%+.1f %%", percent);
  return buffer;
}

std::string FormatTimeUtc(query::promql::Timestamp ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", &tm);
  return buffer;
}

std::string FormatSpan(std::int64_t ms) {
  char buffer[32];
  const double hours = static_cast<double>(ms) / 3600e3;
  if (hours < 48) {
    std::snprintf(buffer, sizeof buffer, "%.1f h", hours);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f d", hours / 24);
  }
  return buffer;
}

std::string LabelPairs(const query::promql::Labels& labels) {
  if (labels.empty()) return "(all)";
  std::string out;
  for (const query::promql::Label& label : labels) {
    out += (out.empty() ? "" : ", ") + label.name + "=" + label.value;
  }
  return out;
}

std::string JoinList(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace metricsd::analytics
