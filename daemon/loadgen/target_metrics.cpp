#include "daemon/loadgen/target_metrics.h"

#include <cstdlib>
#include <utility>
#include <vector>

namespace metricsd::loadgen {
namespace {

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':';
}

// `name{labels} value [timestamp]` → name and value; false for anything else.
bool ParseSample(std::string_view line, std::string_view& name, double& value) {
  std::size_t i = 0;
  while (i < line.size() && NameChar(line[i])) ++i;
  if (i == 0) return false;
  name = line.substr(0, i);
  if (i < line.size() && line[i] == '{') {
    bool quoted = false;
    for (++i; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '\\') {
        ++i;  // an escaped character inside a label value
      } else if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && c == '}') {
        break;
      }
    }
    if (i >= line.size()) return false;
    ++i;
  }
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  std::size_t end = i;
  while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
  if (end == i) return false;
  const std::string text(line.substr(i, end - i));
  char* stop = nullptr;
  value = std::strtod(text.c_str(), &stop);
  return stop == text.c_str() + text.size();
}

}  // namespace

std::map<std::string, double, std::less<>> SumByName(std::string_view exposition,
                                                     std::size_t* samples) {
  std::map<std::string, double, std::less<>> sums;
  if (samples != nullptr) *samples = 0;
  while (!exposition.empty()) {
    std::size_t newline = exposition.find('\n');
    std::string_view line = exposition.substr(0, newline);
    exposition = newline == std::string_view::npos ? std::string_view() : exposition.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    std::string_view name;
    double value = 0;
    if (!ParseSample(line, name, value)) continue;
    if (samples != nullptr) ++*samples;
    auto it = sums.find(name);
    if (it == sums.end()) {
      sums.emplace(std::string(name), value);
    } else {
      it->second += value;
    }
  }
  return sums;
}

std::optional<double> TargetReading::Get(std::string_view name) const {
  auto it = sums.find(name);
  if (it == sums.end()) return std::nullopt;
  return it->second;
}

double TargetReading::GetOr(std::string_view name, double fallback) const {
  return Get(name).value_or(fallback);
}

TargetReading ReadingFromExposition(std::string_view text) {
  TargetReading reading;
  reading.sums = SumByName(text, &reading.exposed_series);
  constexpr std::string_view kExporterPrefix = "statsd_exporter_", kOurPrefix = "metricsd_statsd_";
  if (!reading.Get(kLinesReceived) && reading.Get("statsd_exporter_lines_total")) {
    std::vector<std::pair<std::string, double>> renamed;
    for (const auto& [name, value] : reading.sums) {
      if (name.starts_with(kExporterPrefix)) {
        renamed.emplace_back(std::string(kOurPrefix) + name.substr(kExporterPrefix.size()), value);
      }
    }
    reading.sums.insert(renamed.begin(), renamed.end());
  }
  if (!reading.Get(kLinesReceived)) {
    reading.error = "no " + std::string(kLinesReceived) +
                    " (nor statsd_exporter_lines_total) in the answer: not a StatsD server's "
                    "/metrics, or its StatsD is off";
    return reading;
  }
  reading.ok = true;
  return reading;
}

TargetReading ReadTargetMetrics(HttpConnection& connection, std::string_view path) {
  TargetReading reading;
  HttpResult result = connection.Request("GET", path, {});
  reading.at = Clock::now();
  if (result.status == 0) {
    reading.error = result.error;
    return reading;
  }
  if (result.status != 200) {
    reading.error = "HTTP " + std::to_string(result.status);
    return reading;
  }
  const Clock::time_point at = reading.at;
  reading = ReadingFromExposition(result.body);
  reading.at = at;
  return reading;
}

}  // namespace metricsd::loadgen
