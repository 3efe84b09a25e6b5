// Finds the quoted scalar that never closes, which yaml-cpp 0.7 accepts silently.
//
// yaml-cpp reads `key: "abc` with no closing quote as a string that runs to the end of the
// file, so every key after it vanishes into that string and the file still loads: half the
// receivers gone, and --check-config says SUCCESS. This scanner reads the text the way a YAML
// tokenizer does where quoting is concerned (comments, block scalars `|`/`>`, plain scalars
// such as `it's`, flow collections, '' and \" escapes) and reports a quote that is not closed
// by the end of the file, or whose string swallows a line that starts a new key or sequence
// entry at or left of the line that opened it (invalid YAML too: continuation lines must be
// indented more than their parent). Pure function; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace metricsd {

struct YamlQuoteProblem {
  int line = 0;    // 0-based, as yaml-cpp marks are: where the quote opens
  int column = 0;
  std::string message;
};

std::optional<YamlQuoteProblem> FindUnclosedQuote(std::string_view text);

}  // namespace metricsd
