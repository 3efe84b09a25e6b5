// A strict reader of text format 0.0.4 for tests: returns what in an exposition Prometheus
// or promtool would refuse, or an empty string. Stricter than either where that is cheap:
// every sample has a TYPE'd family, families come in one group each, HELP and TYPE once,
// metric and label names in Prometheus's charsets, no "__" label names, label values valid
// UTF-8 with only \\, \" and \n escapes, unique label names per sample, no duplicate
// series, `le` only on histogram buckets (and on every one, with a +Inf bucket per series),
// `quantile` only on summary quantiles, and no family named like a histogram's _count, _sum or
// _bucket lines or a summary's _count or _sum. Header-only; pure functions, thread-safe.
#pragma once

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collectors/statsd/label_rules.h"

namespace metricsd::testing {

inline bool ParseExpositionValue(std::string_view text) {
  if (text == "NaN" || text == "Nan" || text == "+Inf" || text == "-Inf") return true;
  double value;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// Returns "" when `text` is a valid exposition, else "line N: what".
inline std::string CheckExposition(std::string_view text) {
  struct Family {
    std::string type;
    bool help = false;
    bool closed = false;  // another family started after it
  };
  std::map<std::string, Family, std::less<>> families;
  std::string current;
  std::set<std::string> series;
  std::map<std::string, bool> histogram_inf;  // histogram series (without le) -> has +Inf
  std::size_t number = 0;
  auto fail = [&](const std::string& what) { return "line " + std::to_string(number) + ": " + what; };
  auto open_family = [&](const std::string& name) -> std::string {
    if (name == current) return {};
    if (families.count(name) && families[name].closed) return "family " + name + " is not one group";
    if (!current.empty()) families[current].closed = true;
    current = name;
    return {};
  };
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    if (end == std::string_view::npos) return fail("no final newline");
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    ++number;
    if (line.empty()) continue;
    if (line[0] == '#') {
      bool help = line.starts_with("# HELP ");
      bool type = line.starts_with("# TYPE ");
      if (!help && !type) continue;
      std::string_view rest = line.substr(7);
      std::string name(rest.substr(0, rest.find(' ')));
      if (!IsValidMetricName(name)) return fail("bad family name " + name);
      if (std::string error = open_family(name); !error.empty()) return fail(error);
      Family& family = families[name];
      if (help) {
        if (family.help) return fail("second HELP for " + name);
        family.help = true;
        if (!IsValidUtf8(rest)) return fail("HELP not UTF-8");
      } else {
        if (!family.type.empty()) return fail("second TYPE for " + name);
        family.type = std::string(rest.substr(std::min(rest.size(), name.size() + 1)));
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary", "untyped"};
        if (!kTypes.count(family.type)) return fail("unknown type " + family.type);
      }
      continue;
    }
    // name{labels} value
    std::size_t name_end = 0;
    while (name_end < line.size() && line[name_end] != '{' && line[name_end] != ' ') ++name_end;
    std::string name(line.substr(0, name_end));
    if (!IsValidMetricName(name)) return fail("bad metric name \"" + name + "\"");
    std::vector<std::pair<std::string, std::string>> labels;
    std::size_t i = name_end;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t eq = line.find('=', i);
        if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') return fail("bad label");
        std::string label(line.substr(i, eq - i));
        if (!IsValidLabelName(label) || label.starts_with("__")) return fail("bad label name " + label);
        std::string value;
        std::size_t k = eq + 2;
        for (; k < line.size() && line[k] != '"'; ++k) {
          if (line[k] == '\\') {
            if (++k >= line.size()) return fail("dangling escape");
            if (line[k] == 'n') value += '\n';
            else if (line[k] == '\\' || line[k] == '"') value += line[k];
            else return fail("bad escape");
          } else {
            value += line[k];
          }
        }
        if (k >= line.size()) return fail("unterminated label value");
        if (!IsValidUtf8(value)) return fail("label value not UTF-8");
        for (const auto& seen : labels) {
          if (seen.first == label) return fail("label name not unique: " + label);
        }
        labels.emplace_back(label, value);
        i = k + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return fail("unterminated labels");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') return fail("no space before the value");
    std::string_view value = line.substr(i + 1);
    if (value.find(' ') != std::string_view::npos) value = value.substr(0, value.find(' '));  // timestamp
    if (!ParseExpositionValue(value)) return fail("bad value " + std::string(value));

    // Which family the sample belongs to, by the TYPE'd family now open.
    auto family_it = families.find(current);
    if (family_it == families.end() || family_it->second.type.empty()) return fail("sample without TYPE");
    const std::string& type = family_it->second.type;
    std::string suffix = name.substr(std::min(name.size(), current.size()));
    if (name.compare(0, current.size(), current) != 0) return fail("sample " + name + " outside its family " + current);
    bool histogram = type == "histogram", summary = type == "summary";
    bool ok_suffix = suffix.empty() ? !histogram
                                    : ((histogram || summary) && (suffix == "_sum" || suffix == "_count")) ||
                                          (histogram && suffix == "_bucket");
    if (!ok_suffix) return fail("sample " + name + " in " + type + " family " + current);
    bool has_le = false, has_quantile = false;
    std::string le;
    for (const auto& [label, label_value] : labels) {
      if (label == "le") { has_le = true; le = label_value; }
      if (label == "quantile") has_quantile = true;
    }
    if (histogram && (suffix == "_bucket") != has_le) return fail("le on the wrong line");
    if (summary && has_quantile != suffix.empty()) return fail("quantile on the wrong line");
    if (histogram && has_le && !ParseExpositionValue(le)) return fail("bad le");  // elsewhere just a label
    auto sorted = labels;
    std::sort(sorted.begin(), sorted.end());
    std::string key = name;
    std::string without_le = current;
    for (const auto& [label, label_value] : sorted) {
      key += '\xff' + label + '\xfe' + label_value;
      if (label != "le") without_le += '\xff' + label + '\xfe' + label_value;
    }
    if (!series.insert(key).second) return fail("duplicate series " + name);
    if (histogram && suffix == "_bucket") histogram_inf[without_le] |= le == "+Inf";
  }
  for (const auto& [key, inf] : histogram_inf) {
    if (!inf) return "a histogram series without a +Inf bucket";
  }
  for (const auto& [name, family] : families) {
    if (family.type != "histogram" && family.type != "summary") continue;
    for (std::string_view suffix : {"_count", "_sum", "_bucket"}) {
      if (suffix == "_bucket" && family.type == "summary") continue;  // a summary has no buckets
      if (families.count(name + std::string(suffix))) return "family " + name + std::string(suffix) + " collides with " + name;
    }
  }
  return {};
}

}  // namespace metricsd::testing
