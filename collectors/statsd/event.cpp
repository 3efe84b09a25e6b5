#include "collectors/statsd/event.h"

#include <charconv>
#include <limits>

#include "daemon/core/metric_names.h"  // IsValidUtf8

namespace metricsd::statsd {
namespace {

// A length of the header: 1 to 9 decimal digits (no sign, no spaces; a line is far shorter).
bool ParseLength(std::string_view text, std::size_t& value) {
  if (text.empty() || text.size() > 9) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// "\\n" (a backslash and an n, as clients escape newlines) becomes a newline.
std::string Unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool ParseTimestamp(std::string_view text, std::int64_t& value) {
  if (!text.empty() && text.front() == '+') return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool OneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  for (std::string_view candidate : allowed) {
    if (value == candidate) return true;
  }
  return false;
}

// One optional field; false when it is malformed. Unknown fields are skipped.
bool ParseField(std::string_view field, StatsdEvent& out) {
  if (field.empty()) return true;  // "||" or a trailing '|': nothing
  if (field.front() == '#') {
    std::string_view tags = field.substr(1);
    bool any = false;
    while (true) {
      std::size_t comma = tags.find(',');
      std::string_view tag = tags.substr(0, comma);
      if (!tag.empty()) {
        out.tags.emplace_back(tag);
        any = true;
      }
      if (comma == std::string_view::npos) break;
      tags.remove_prefix(comma + 1);
    }
    return any;
  }
  if (field.size() < 2 || field[1] != ':') return true;  // not a field of ours
  std::string_view value = field.substr(2);
  switch (field[0]) {
    case 'd': {
      std::int64_t seconds = 0;
      if (!ParseTimestamp(value, seconds)) return false;
      out.timestamp = seconds;
      return true;
    }
    case 'p':
      if (!OneOf(value, {"normal", "low"})) return false;
      out.priority = std::string(value);
      return true;
    case 't':
      if (!OneOf(value, {"error", "warning", "info", "success"})) return false;
      out.alert_type = std::string(value);
      return true;
    case 'h':
      out.hostname = std::string(value);
      return true;
    case 'k':
      out.aggregation_key = std::string(value);
      return true;
    case 's':
      out.source_type = std::string(value);
      return true;
    default:
      return true;  // c:, e:, card: and whatever comes next
  }
}

}  // namespace

bool ParseEvent(std::string_view line, StatsdEvent& out, EventError& error) {
  out = StatsdEvent{};
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  //  _e{5,4}:title|text|t:error
  //  ^header ^title^text^fields
  std::size_t close = line.find("}:");
  std::size_t comma = line.find(',');
  if (!IsEventLine(line) || close == std::string_view::npos || comma == std::string_view::npos ||
      comma > close) {
    error = EventError::kMalformedHeader;
    return false;
  }
  std::size_t title_length = 0, text_length = 0;
  if (!ParseLength(line.substr(3, comma - 3), title_length) ||
      !ParseLength(line.substr(comma + 1, close - comma - 1), text_length)) {
    error = EventError::kMalformedHeader;
    return false;
  }
  if (title_length == 0 || text_length == 0) {
    error = EventError::kEmptyTitleOrText;
    return false;
  }
  std::string_view rest = line.substr(close + 2);
  // Both lengths are at most 9 digits, so the sum cannot overflow.
  if (title_length + 1 + text_length > rest.size() || rest[title_length] != '|' ||
      (rest.size() > title_length + 1 + text_length &&
       rest[title_length + 1 + text_length] != '|')) {
    error = EventError::kLengthMismatch;
    return false;
  }
  std::string_view title = rest.substr(0, title_length);
  std::string_view text = rest.substr(title_length + 1, text_length);
  if (!IsValidUtf8(title) || !IsValidUtf8(text)) {
    error = EventError::kInvalidUtf8;
    return false;
  }
  out.title = Unescape(title);
  out.text = Unescape(text);
  rest.remove_prefix(std::min(rest.size(), title_length + 1 + text_length + 1));
  while (!rest.empty()) {
    std::size_t bar = rest.find('|');
    if (!ParseField(rest.substr(0, bar), out)) {
      error = EventError::kMalformedField;
      return false;
    }
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  if (!IsValidUtf8(line)) {  // hostname, keys or tags with broken UTF-8
    error = EventError::kInvalidUtf8;
    return false;
  }
  return true;
}

std::vector<std::string> EventAnnotationTags(const StatsdEvent& event) {
  std::vector<std::string> tags = event.tags;
  tags.push_back("alert_type:" + event.alert_type);
  tags.push_back("priority:" + event.priority);
  if (!event.hostname.empty()) tags.push_back("host:" + event.hostname);
  if (!event.source_type.empty()) tags.push_back("source_type:" + event.source_type);
  if (!event.aggregation_key.empty()) tags.push_back("aggregation_key:" + event.aggregation_key);
  return tags;
}

std::string EventAnnotationText(const StatsdEvent& event) {
  return event.title + "\n" + event.text;
}

std::int64_t EventTimeMs(const StatsdEvent& event, std::int64_t now_ms) {
  constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 1000;
  if (!event.timestamp || *event.timestamp > kLimit || *event.timestamp < -kLimit) return now_ms;
  return *event.timestamp * 1000;
}

}  // namespace metricsd::statsd
