#include "daemon/storage/label_matcher.h"

#include <re2/re2.h>

#include <utility>

#include "daemon/core/metric_names.h"

namespace metricsd::storage {

namespace {

std::string_view OperatorOf(MatchType type) {
  switch (type) {
    case MatchType::kEqual: return "=";
    case MatchType::kNotEqual: return "!=";
    case MatchType::kRegexMatch: return "=~";
    case MatchType::kRegexNoMatch: return "!~";
  }
  return "=";
}

void AppendHexByte(std::string& out, std::string_view prefix, unsigned value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append(prefix);
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kHex[(value >> shift) & 0xf]);
}

// The length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one.
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
  for (std::size_t length = 2; length <= 4 && i + length <= text.size(); ++length) {
    if (metricsd::IsValidUtf8(text.substr(i, length))) return length;
  }
  return 0;
}

}  // namespace

std::optional<LabelMatcher> LabelMatcher::Make(MatchType type, std::string name, std::string value,
                                               std::string* error) {
  LabelMatcher matcher;
  matcher.type_ = type;
  matcher.name_ = std::move(name);
  matcher.value_ = std::move(value);
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    RE2::Options options;
    options.set_log_errors(false);
    // Prometheus anchors every regex at both ends: `a.*` must match the whole value.
    auto regex = std::make_shared<const re2::RE2>("^(?:" + matcher.value_ + ")$", options);
    if (!regex->ok()) {
      if (error != nullptr) *error = "error parsing regexp " + GoQuote(matcher.value_) + ": " + regex->error();
      return std::nullopt;
    }
    matcher.regex_ = std::move(regex);
  }
  matcher.matches_empty_ = matcher.Matches("");
  return matcher;
}

bool LabelMatcher::Matches(std::string_view value) const {
  switch (type_) {
    case MatchType::kEqual: return value == value_;
    case MatchType::kNotEqual: return value != value_;
    case MatchType::kRegexMatch: return RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *regex_);
    case MatchType::kRegexNoMatch: return !RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *regex_);
  }
  return false;
}

std::string LabelMatcher::ToString() const {
  std::string out = name_;
  out.append(OperatorOf(type_));
  out.append(GoQuote(value_));
  return out;
}

std::string GoQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::size_t length = Utf8SequenceLength(text, i);
      if (length == 0) {
        AppendHexByte(out, "\\x", c, 2);  // not UTF-8: the byte itself, as Go does
        ++i;
        continue;
      }
      // U+0080..U+009F (C1 controls, encoded C2 80..C2 9F) are not printable for Go.
      auto second = static_cast<unsigned char>(text[i + 1]);
      if (length == 2 && c == 0xc2 && second < 0xa0) {
        AppendHexByte(out, "\\u", second, 4);
      } else {
        out.append(text.substr(i, length));
      }
      i += length;
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\a': out.append("\\a"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\v': out.append("\\v"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          AppendHexByte(out, "\\x", c, 2);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
  return out;
}

}  // namespace metricsd::storage
