#include "daemon/core/metric_names.h"

namespace metricsd {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xc0) == 0x80; }

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// The length of the UTF-8 sequence at `p` (`size` bytes left), or 1 for a byte that does not
// start a well-formed one. Go would skip three bytes after an invalid one (utf8.RuneLen of
// RuneError), but StatsD lines are validated before anything is escaped, so that never arises.
std::size_t Utf8SequenceLength(const unsigned char* p, std::size_t size) {
  unsigned char c = p[0];
  std::size_t length = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                     : c >= 0xf0 && c <= 0xf4 ? 4 : 1;
  if (length > size) return 1;
  for (std::size_t k = 1; k < length; ++k) {
    if (!IsContinuation(p[k])) return 1;
  }
  return length;
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!IsNameChar(c) && c != ':') return false;
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

void EscapeMetricNameInto(std::string& out, std::string_view name) {
  out.clear();
  if (!name.empty() && name[0] >= '0' && name[0] <= '9') out.push_back('_');
  // statsd_exporter walks runes, not bytes: a multi-byte character is one '_'. A run of '-'
  // is one '_' too ("Double-dashes are allowed if there is a corresponding mapping", so the
  // default escaping collapses them the same way).
  const auto* p = reinterpret_cast<const unsigned char*>(name.data());
  bool after_dash = false;
  for (std::size_t i = 0; i < name.size();) {
    char c = name[i];
    if (IsNameChar(c)) {
      out.push_back(c);
      after_dash = false;
      ++i;
      continue;
    }
    if (c == '-' && after_dash) {
      ++i;
      continue;
    }
    out.push_back('_');
    after_dash = c == '-';
    i += Utf8SequenceLength(p + i, name.size() - i);
  }
}

std::string EscapeMetricName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  EscapeMetricNameInto(out, name);
  return out;
}

}  // namespace metricsd
