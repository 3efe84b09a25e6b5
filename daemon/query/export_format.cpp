#include "daemon/query/export_format.h"

#include <charconv>
#include <cmath>

#include "daemon/query/api_json.h"
#include "daemon/storage/series_key.h"

namespace metricsd::query {

void AppendExportValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  // Fixed notation with no precision is the shortest round-trip form without an exponent,
  // which is Go's 'f' with precision -1. The largest double needs 309 digits.
  char buffer[400];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed);
  out.append(buffer, ec == std::errc() ? static_cast<std::size_t>(end - buffer) : 0);
}

void AppendExportLine(std::string& out, std::string_view key,
                      const std::vector<storage::Sample>& samples) {
  if (samples.empty()) return;
  out += R"({"metric":{)";
  bool first = true;
  storage::ForEachKeyLabel(key, [&](std::string_view name, std::string_view value) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, name);
    out += ':';
    AppendJsonString(out, value);
  });
  out += R"(},"values":[)";
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (i != 0) out += ',';
    AppendExportValue(out, samples[i].v);
  }
  out += R"(],"timestamps":[)";
  char buffer[24];
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (i != 0) out += ',';
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, samples[i].t);
    out.append(buffer, static_cast<std::size_t>(end - buffer));
  }
  out += "]}\n";
}

}  // namespace metricsd::query
