// Prometheus's names and the text format's escaping, written once: the exposition writer, the
// StatsD path (mapping files, tags, the series checks) and the alert rules all ask here.
//
//   IsValidMetricName("http_requests_total")  IsValidLabelName("code")
//   EscapeMetricName("api.latency-ms") == "api_latency_ms"   (statsd_exporter's escaping)
//   AppendEscapedLabelValue(out, "a\"b") appends a\"b         (text format 0.0.4)
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace metricsd {

// Prometheus's metric name charset, [a-zA-Z_:][a-zA-Z0-9_:]* (client_golang's model.IsValidMetricName).
bool IsValidMetricName(std::string_view name);
// Prometheus's label name charset, [a-zA-Z_][a-zA-Z0-9_]*. Names starting with "__" pass: they
// are valid, only reserved (IsReservedLabelName).
bool IsValidLabelName(std::string_view name);
// "__" prefixed label names belong to Prometheus itself (__name__, __address__, ...).
inline bool IsReservedLabelName(std::string_view name) { return name.starts_with("__"); }

// Well-formed UTF-8 as Go's utf8.ValidString sees it (no overlongs, surrogates or code points
// above U+10FFFF): what Prometheus requires of label values and HELP text.
bool IsValidUtf8(std::string_view text);

// statsd_exporter's EscapeMetricName: '_' for every character (not byte) outside
// [a-zA-Z0-9_], one '_' for a run of '-' ("a--b" -> "a_b"), and a leading '_' when the name
// starts with a digit. Only the StatsD path uses it: host names follow client_golang's rules. The result is a valid metric and label name
// (unless empty).
std::string EscapeMetricName(std::string_view name);
// The same into `out` (cleared first; its capacity is reused, so the hot path allocates once).
void EscapeMetricNameInto(std::string& out, std::string_view name);

// The text format's escaping: a backslash before '\\' and '"', and "\n" for a newline, in label
// values; HELP text escapes '\\' and newlines but not '"'.
inline void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  // Fast path: most values need no escaping at all, so copy runs between escapes.
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '\\' && c != '\n' && !(escape_quote && c == '"')) continue;
    out.append(text.substr(start, i - start));
    out.push_back('\\');
    out.push_back(c == '\n' ? 'n' : c);
    start = i + 1;
  }
  out.append(text.substr(start));
}
inline void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  AppendEscaped(out, value, /*escape_quote=*/true);
}
inline void AppendEscapedHelp(std::string& out, std::string_view help) {
  AppendEscaped(out, help, /*escape_quote=*/false);
}

}  // namespace metricsd
