// A user's regular expression as config holds it: the text as written and the compiled RE2
// (linear time, Go's syntax, as Prometheus and node_exporter use).
//
// Thread-safety: immutable once built; RE2 matching is safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <re2/re2.h>

#include "daemon/core/config_node.h"

namespace metricsd {

struct Pattern {
  std::string text;
  std::shared_ptr<const RE2> regex;  // null when text is empty (matches nothing)

  // Unanchored, as node_exporter's exclude flags (patterns anchor themselves with ^...$).
  bool Matches(std::string_view value) const {
    return regex != nullptr && RE2::PartialMatch(value, *regex);
  }
};

// Compiles a built-in pattern; a syntax error is a programming error (std::invalid_argument).
Pattern CompilePattern(std::string_view text);
// Compiles the node's string; a syntax error is a ConfigError at the node.
Pattern RegexAt(const ConfigNode& node);

}  // namespace metricsd
