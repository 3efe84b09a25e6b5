#include "collectors/statsd/mapper.h"

#include <algorithm>
#include <cctype>

namespace metricsd::statsd {
namespace {

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Matches one glob component ('*' = any run of characters) against one name component,
// appending what each '*' matched to `captures`.
bool MatchComponent(std::string_view pattern, std::string_view text,
                    std::vector<std::string_view>& captures) {
  std::size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == text;
  if (text.substr(0, star) != pattern.substr(0, star)) return false;
  pattern.remove_prefix(star + 1);
  text.remove_prefix(star);
  // The shortest run that lets the rest match (there is rarely more than one '*').
  for (std::size_t length = 0; length <= text.size(); ++length) {
    std::size_t mark = captures.size();
    captures.push_back(text.substr(0, length));
    if (MatchComponent(pattern, text.substr(length), captures)) return true;
    captures.resize(mark);
  }
  return false;
}

bool IsTemplateRefChar(char c) { return IsNameChar(c) || c == '$'; }

// statsd_exporter's glob templates (fsm.NewTemplateFormatter): every match of
// `\$\{?([a-zA-Z0-9_$]+)\}?`, left to right, is a reference; one whose text reads as a number
// from 1 to the number of '*'s is that capture, any other expands to nothing. So "$1_foo"
// names "1_foo" (nothing) and "${1}_foo" is capture 1 then "_foo". As there, each reference's
// text is replaced everywhere it occurs (strings.ReplaceAll), then the captures are filled in
// order.
std::string ExpandGlob(std::string_view templ, const std::vector<std::string_view>& captures) {
  struct Reference {
    std::string_view text;
    std::size_t index;  // 0: expands to nothing
  };
  std::vector<Reference> references;
  for (std::size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] != '$') continue;
    std::size_t start = i + 1;
    if (start < templ.size() && templ[start] == '{') ++start;
    std::size_t end = start;
    while (end < templ.size() && IsTemplateRefChar(templ[end])) ++end;
    if (end == start) continue;  // a '$' that starts no reference stays as it is
    std::string_view ref = templ.substr(start, end - start);
    if (end < templ.size() && templ[end] == '}') ++end;
    std::size_t index = 0;
    // strconv.Atoi: digits only here (the class has no sign); overflow is an error.
    if (ref.size() <= 9 && std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      index = static_cast<std::size_t>(std::stoul(std::string(ref)));
      if (index > captures.size()) index = 0;
    }
    references.push_back({templ.substr(i, end - i), index});
    i = end - 1;
  }
  if (references.empty()) return std::string(templ);
  // '\0' marks where a capture goes (a mapping file's template holds none of its own).
  std::string format(templ);
  std::vector<std::size_t> order;
  for (const Reference& reference : references) {
    std::string replaced;
    std::string_view with = reference.index > 0 ? std::string_view("\0", 1) : std::string_view();
    for (std::size_t at = 0;;) {
      std::size_t found = format.find(reference.text, at);
      replaced.append(format, at, found == std::string::npos ? std::string::npos : found - at);
      if (found == std::string::npos) break;
      replaced.append(with);
      at = found + reference.text.size();
    }
    format.swap(replaced);
    if (reference.index > 0) order.push_back(reference.index);
  }
  std::string out;
  std::size_t next = 0;
  for (char c : format) {
    if (c != '\0') {
      out += c;
    } else if (next < order.size()) {
      out += captures[order[next++] - 1];
    } else {
      out += "%!s(MISSING)";  // Go's Sprintf with fewer arguments than verbs
    }
  }
  return out;
}

// Go's Regexp.Expand: $$ is '$'; $name / ${name} with name as long as possible; a number is a
// group index, anything else a named group; unknown names expand to nothing.
std::string ExpandRegex(std::string_view templ, const RE2& regex,
                        const std::vector<re2::StringPiece>& groups) {
  std::string out;
  for (std::size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] != '$' || i + 1 >= templ.size()) {
      out += templ[i];
      continue;
    }
    if (templ[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    bool braced = templ[i + 1] == '{';
    std::size_t start = i + 1 + (braced ? 1 : 0), end = start;
    while (end < templ.size() && IsNameChar(templ[end])) ++end;
    if (end == start || (braced && (end >= templ.size() || templ[end] != '}'))) {
      out += '$';  // not a reference: Go leaves it as is
      continue;
    }
    std::string ref(templ.substr(start, end - start));
    int index = -1;
    if (std::all_of(ref.begin(), ref.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      index = ref.size() < 6 ? std::stoi(ref) : -1;
    } else {
      auto it = regex.NamedCapturingGroups().find(ref);
      if (it != regex.NamedCapturingGroups().end()) index = it->second;
    }
    if (index >= 0 && static_cast<std::size_t>(index) < groups.size() && groups[index].data()) {
      out.append(groups[index].data(), groups[index].size());
    }
    i = braced ? end : end - 1;
  }
  return out;
}

bool KindMatches(const Mapping& mapping, MetricKind kind) {
  return !mapping.match_metric_type || *mapping.match_metric_type == kind;
}

}  // namespace

Mapper::Mapper(MappingConfig config) : config_(std::move(config)) {
  for (const Mapping& mapping : config_.mappings) {
    if (mapping.is_regex) regexes_.push_back(&mapping);
    else globs_by_length_[mapping.glob_components.size()].push_back(&mapping);
  }
}

bool Mapper::Map(std::string_view name, MetricKind kind, MapResult& out) const {
  out.mapping = nullptr;
  out.name.clear();
  out.labels.clear();
  return MapGlob(name, kind, out) || MapRegex(name, kind, out);
}

bool Mapper::MapGlob(std::string_view name, MetricKind kind, MapResult& out) const {
  std::vector<std::string_view> components;
  for (std::size_t start = 0;;) {
    std::size_t dot = name.find('.', start);
    components.push_back(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  auto candidates = globs_by_length_.find(components.size());
  if (candidates == globs_by_length_.end()) return false;

  const Mapping* best = nullptr;
  std::vector<std::string_view> captures, best_captures;
  for (const Mapping* mapping : candidates->second) {
    if (!KindMatches(*mapping, kind)) continue;
    captures.clear();
    bool matched = true;
    for (std::size_t i = 0; matched && i < components.size(); ++i) {
      matched = MatchComponent(mapping->glob_components[i], components[i], captures);
    }
    if (!matched) continue;
    if (!config_.glob_disable_ordering) {
      best = mapping;
      best_captures = captures;
      break;
    }
    // Without ordering, statsd_exporter's FSM prefers a literal component to a wildcard at
    // the first position where two matches differ.
    auto more_specific = [&](const Mapping& a, const Mapping& b) {
      for (std::size_t i = 0; i < a.glob_components.size(); ++i) {
        bool a_literal = a.glob_components[i].find('*') == std::string::npos;
        bool b_literal = b.glob_components[i].find('*') == std::string::npos;
        if (a_literal != b_literal) return a_literal;
      }
      return false;
    };
    if (best == nullptr || more_specific(*mapping, *best)) {
      best = mapping;
      best_captures = captures;
    }
  }
  if (best == nullptr) return false;
  out.mapping = best;
  out.name = ExpandGlob(best->name, best_captures);
  for (const auto& [label, value] : best->labels) {
    out.labels.emplace_back(label, ExpandGlob(value, best_captures));
  }
  return true;
}

bool Mapper::MapRegex(std::string_view name, MetricKind kind, MapResult& out) const {
  std::vector<re2::StringPiece> groups;
  for (const Mapping* mapping : regexes_) {
    const RE2& regex = *mapping->regex;
    groups.assign(static_cast<std::size_t>(regex.NumberOfCapturingGroups()) + 1, {});
    if (!regex.Match(re2::StringPiece(name.data(), name.size()), 0, name.size(), RE2::UNANCHORED,
                     groups.data(), static_cast<int>(groups.size()))) {
      continue;
    }
    if (!KindMatches(*mapping, kind)) continue;
    out.mapping = mapping;
    out.name = ExpandRegex(mapping->name, regex, groups);
    for (const auto& [label, value] : mapping->labels) {
      out.labels.emplace_back(label, ExpandRegex(value, regex, groups));
    }
    return true;
  }
  return false;
}

}  // namespace metricsd::statsd
