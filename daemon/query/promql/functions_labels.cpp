// label_replace and label_join: rewrite one label of every sample, keeping the metric name and
// the value. Regular expressions are RE2 (the syntax Go's regexp speaks), anchored at both ends
// as 2.42 anchors them, and replacements expand $1, ${1} and $name as Go's Regexp.Expand does.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/query/promql/functions_internal.h"
#include "daemon/query/promql/query_error.h"
#include "re2/re2.h"

namespace metricsd::query::promql::functions_internal {

namespace {

// model.LabelNameRE: ^[a-zA-Z_][a-zA-Z0-9_]*$.
bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (c >= '0' && c <= '9' && i > 0);
    if (!ok) return false;
  }
  return true;
}

// RE2 accepts \C (any byte), Go's syntax does not: an escape outside \Q...\E.
bool HasAnyByteEscape(std::string_view regex) {
  for (std::size_t i = 0; i + 1 < regex.size(); ++i) {
    if (regex[i] != '\\') continue;
    if (regex[i + 1] == 'C') return true;
    if (regex[i + 1] == 'Q') {
      const std::size_t end = regex.find("\\E", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 1;
      continue;
    }
    ++i;  // the escaped character
  }
  return false;
}

// The compiled "^(?:regex)$", or nullptr when it does not compile (as Go's regexp would not). A
// range query calls label_replace once per step with the same regex: the last one is kept per
// thread.
const RE2* CompiledAnchored(std::string_view regex) {
  if (HasAnyByteEscape(regex)) return nullptr;
  struct Cache {
    std::string regex;
    std::unique_ptr<RE2> compiled;
  };
  thread_local Cache cache;
  if (cache.compiled == nullptr || cache.regex != regex) {
    RE2::Options options;
    options.set_log_errors(false);
    // RE2's default program budget (8 MiB) stays: Go accepts a few giant patterns it rejects,
    // such as \pL{1000}, but compiling that takes 1.2 s and 170 MB, held by this cache.
    auto compiled =
        std::make_unique<RE2>("^(?:" + std::string(regex) + ")$", options);
    cache.regex = std::string(regex);
    cache.compiled = std::move(compiled);
  }
  return cache.compiled->ok() ? cache.compiled.get() : nullptr;
}

// What Go's unicode.IsLetter says for a non-ASCII rune, closely enough for a replacement
// template: letters in Latin-1 and every rune from U+0100 up outside the punctuation and
// symbol blocks.
bool IsNonAsciiLetter(char32_t rune) {
  if (rune < 0x100) {
    return rune == 0xAA || rune == 0xB5 || rune == 0xBA ||
           (rune >= 0xC0 && rune != 0xD7 && rune != 0xF7);
  }
  if (rune >= 0x2000 && rune <= 0x2BFF) return false;  // punctuation, symbols, arrows...
  if (rune >= 0x3000 && rune <= 0x303F) return false;  // CJK punctuation
  if (rune >= 0xFF00 && rune <= 0xFF20) return false;  // fullwidth punctuation, digits
  if (rune >= 0xFFF0 && rune <= 0xFFFF) return false;  // specials, U+FFFD for invalid bytes
  return true;
}

// Decodes one UTF-8 rune at `text[i]`; sets `size` (1 for an invalid byte, like Go's U+FFFD).
char32_t DecodeRune(std::string_view text, std::size_t i, std::size_t& size) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  size = 1;
  if (b0 < 0x80) return b0;
  int extra = 0;
  char32_t rune = 0;
  if ((b0 & 0xE0) == 0xC0) {
    extra = 1;
    rune = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    extra = 2;
    rune = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    extra = 3;
    rune = b0 & 0x07;
  } else {
    return 0xFFFD;
  }
  if (i + static_cast<std::size_t>(extra) >= text.size()) return 0xFFFD;
  for (int k = 1; k <= extra; ++k) {
    const unsigned char b = byte(i + static_cast<std::size_t>(k));
    if ((b & 0xC0) != 0x80) return 0xFFFD;
    rune = (rune << 6) | (b & 0x3F);
  }
  constexpr char32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
  if (rune < kMinimum[extra] || rune > 0x10FFFF || (rune >= 0xD800 && rune <= 0xDFFF)) {
    return 0xFFFD;  // overlong, out of range or a surrogate: invalid, one byte
  }
  size = static_cast<std::size_t>(extra) + 1;
  return rune;
}

struct TemplateRef {
  std::string_view name;  // digits or a group name
  int number = -1;        // >= 0 when the name is a number without a leading zero
  std::size_t length = 0;  // bytes of the template consumed after '$'
};

// Go's regexp extract(): the name after '$' ("1", "{1}", "name", "{name}"), or nullopt when
// malformed (the '$' is then literal). A name is the longest run of letters, digits and '_', so
// "$1x" names the group "1x".
std::optional<TemplateRef> ExtractRef(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool brace = false;
  std::size_t start = 0;
  if (text[0] == '{') {
    brace = true;
    start = 1;
  }
  std::size_t i = start;
  while (i < text.size()) {
    std::size_t size = 1;
    const char32_t rune = DecodeRune(text, i, size);
    const bool word = rune < 0x80 ? ((rune >= 'a' && rune <= 'z') || (rune >= 'A' && rune <= 'Z') ||
                                     (rune >= '0' && rune <= '9') || rune == '_')
                                  : IsNonAsciiLetter(rune);
    if (!word) break;
    i += size;
  }
  if (i == start) return std::nullopt;
  TemplateRef ref;
  ref.name = text.substr(start, i - start);
  if (brace) {
    if (i >= text.size() || text[i] != '}') return std::nullopt;
    ++i;
  }
  int number = 0;
  for (const char c : ref.name) {
    if (c < '0' || c > '9' || number >= 100000000) {
      number = -1;
      break;
    }
    number = number * 10 + (c - '0');
  }
  if (ref.name[0] == '0' && ref.name.size() > 1) number = -1;
  ref.number = number;
  ref.length = i;
  return ref;
}

// Go's Regexp.Expand: $$ is '$', a reference to a group that did not take part is empty, an
// unknown name is empty, a malformed reference is literal text.
std::string Expand(std::string_view templ, const RE2& re,
                   const std::vector<re2::StringPiece>& groups) {
  std::string out;
  while (!templ.empty()) {
    const std::size_t dollar = templ.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(templ.substr(0, dollar));
    templ.remove_prefix(dollar + 1);
    if (!templ.empty() && templ[0] == '$') {
      out += '$';
      templ.remove_prefix(1);
      continue;
    }
    const std::optional<TemplateRef> ref = ExtractRef(templ);
    if (!ref) {
      out += '$';
      continue;
    }
    templ.remove_prefix(ref->length);
    const auto matched = [&](int index) {
      return index >= 0 && static_cast<std::size_t>(index) < groups.size() &&
             groups[static_cast<std::size_t>(index)].data() != nullptr;
    };
    int index = ref->number;
    if (index < 0) {
      // Go takes the first group of that name that took part in the match (names may repeat).
      for (const auto& [group_index, group_name] : re.CapturingGroupNames()) {
        if (group_name == ref->name && matched(group_index)) {
          index = group_index;
          break;
        }
      }
    }
    if (matched(index)) {
      const re2::StringPiece& group = groups[static_cast<std::size_t>(index)];
      out.append(group.data(), group.size());
    }
  }
  out.append(templ);
  return out;
}

// label_replace(v, dst, replacement, src, regex): where regex matches all of src's value (empty
// when absent), dst becomes the expanded replacement (removed when that is empty).
Vector LabelReplace(const InstantCall& call) {
  const Vector& in = *std::get<const Vector*>(call.args[0]);
  const std::string_view dst = std::get<std::string_view>(call.args[1]);
  const std::string_view replacement = std::get<std::string_view>(call.args[2]);
  const std::string_view src = std::get<std::string_view>(call.args[3]);
  const std::string_view regex = std::get<std::string_view>(call.args[4]);

  const RE2* re = CompiledAnchored(regex);
  if (re == nullptr) {
    throw QueryError(ErrorType::kExecution,
                     "invalid regular expression in label_replace(): " + std::string(regex));
  }
  if (!IsValidLabelName(dst)) {
    throw QueryError(ErrorType::kExecution,
                     "invalid destination label name in label_replace(): " + std::string(dst));
  }

  std::vector<re2::StringPiece> groups(static_cast<std::size_t>(re->NumberOfCapturingGroups()) +
                                       1);
  Vector out;
  out.reserve(in.size());
  for (const Sample& sample : in) {
    const std::string* value = GetLabel(sample.labels, src);
    const re2::StringPiece text = value != nullptr ? re2::StringPiece(*value) : re2::StringPiece();
    Labels labels = sample.labels;
    if (re->Match(text, 0, text.size(), RE2::UNANCHORED, groups.data(),
                  static_cast<int>(groups.size()))) {
      SetLabel(labels, dst, Expand(replacement, *re, groups));
    }
    out.push_back(Sample{std::move(labels), call.t, sample.v});
  }
  return out;
}

// label_join(v, dst, separator, src...): dst becomes the sources' values (empty when absent)
// joined by separator, removed when that is empty.
Vector LabelJoin(const InstantCall& call) {
  const Vector& in = *std::get<const Vector*>(call.args[0]);
  const std::string_view dst = std::get<std::string_view>(call.args[1]);
  const std::string_view separator = std::get<std::string_view>(call.args[2]);
  std::vector<std::string_view> sources;
  for (std::size_t i = 3; i < call.args.size(); ++i) {
    const std::string_view source = std::get<std::string_view>(call.args[i]);
    if (!IsValidLabelName(source)) {
      throw QueryError(ErrorType::kExecution,
                       "invalid source label name in label_join(): " + std::string(source));
    }
    sources.push_back(source);
  }
  if (!IsValidLabelName(dst)) {
    throw QueryError(ErrorType::kExecution,
                     "invalid destination label name in label_join(): " + std::string(dst));
  }

  Vector out;
  out.reserve(in.size());
  for (const Sample& sample : in) {
    std::string joined;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (i > 0) joined.append(separator);
      const std::string* value = GetLabel(sample.labels, sources[i]);
      if (value != nullptr) joined += *value;
    }
    Labels labels = sample.labels;
    SetLabel(labels, dst, joined);
    out.push_back(Sample{std::move(labels), call.t, sample.v});
  }
  return out;
}

constexpr NamedFunctionImpl kLabelsRows[] = {
    {"label_join", {.instant = LabelJoin}},
    {"label_replace", {.instant = LabelReplace}},
};

}  // namespace

std::span<const NamedFunctionImpl> LabelFunctionImpls() { return kLabelsRows; }

}  // namespace metricsd::query::promql::functions_internal
