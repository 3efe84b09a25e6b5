#include "collectors/statsd/label_rules.h"

namespace metricsd::statsd {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xc0) == 0x80; }

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t size = text.size(), i = 0;
  while (i < size) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The second byte's range is what rules out overlongs (E0, F0), surrogates (ED) and code
    // points above U+10FFFF (F4); C0, C1 and F5..FF never start a sequence.
    unsigned char low = 0x80, high = 0xbf;
    std::size_t length;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c == 0xe0) low = 0xa0;
      if (c == 0xed) high = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c == 0xf0) low = 0x90;
      if (c == 0xf4) high = 0x8f;
    } else {
      return false;
    }
    if (size - i < length || p[i + 1] < low || p[i + 1] > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (!IsContinuation(p[i + k])) return false;
    }
    i += length;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!IsNameChar(c) && c != ':') return false;
  }
  return true;
}

bool IsReservedMetricName(std::string_view name) {
  // The prefixes of every other Source's families (the daemon, host collectors, process
  // groups, probes); a prefix, not a list of names, so a family added later is covered too.
  static constexpr std::string_view kPrefixes[] = {
      "metricsd_", "process_", "node_", "namedprocess_", "probe_", "ao_dryrun_", "ao_unit_"};
  for (std::string_view prefix : kPrefixes) {
    if (name.starts_with(prefix)) return true;
  }
  return name == "ALERTS" || name == "ALERTS_FOR_STATE";
}

std::string_view LabelErrorReason(LabelError error) {
  switch (error) {
    case LabelError::kNone: return "none";
    case LabelError::kInvalidMetricName: return "invalid_metric_name";
    case LabelError::kInvalidLabelName: return "invalid_label_name";
    case LabelError::kReservedLabelName: return "reserved_label_name";
    case LabelError::kInvalidLabelValue: return "invalid_utf8_label_value";
    case LabelError::kLabelValueTooLong: return "label_value_too_long";
    case LabelError::kNameTooLong: return "metric_name_too_long";
    case LabelError::kReservedMetricName: return "reserved_metric_name";
  }
  return "unknown";
}

LabelError CheckSeries(std::string_view name, MetricType type,
                       const std::pair<std::string, std::string>* labels, std::size_t count,
                       const LabelLimits& limits) {
  if (!IsValidMetricName(name)) return LabelError::kInvalidMetricName;
  if (name.size() > limits.max_name_length) return LabelError::kNameTooLong;
  if (IsReservedMetricName(name)) return LabelError::kReservedMetricName;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& [label, value] = labels[i];
    if (!IsValidLabelName(label)) return LabelError::kInvalidLabelName;
    // client_golang's rules: "__" is Prometheus's own (a `__name__` tag would give the
    // sample a second name), and `le` / `quantile` are what histograms and summaries add.
    if (label.starts_with("__") || (type == MetricType::kHistogram && label == "le") ||
        (type == MetricType::kSummary && label == "quantile")) {
      return LabelError::kReservedLabelName;
    }
    if (value.size() > limits.max_label_value_length) return LabelError::kLabelValueTooLong;
    if (!IsValidUtf8(value)) return LabelError::kInvalidLabelValue;
  }
  return LabelError::kNone;
}

}  // namespace metricsd::statsd
