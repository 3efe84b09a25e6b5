// Parses a PromQL series selector, as /api/v1/series, /labels and /export take in match[]:
//   metric_name
//   metric_name{label="v", other=~"re.*", x!="y", z!~"w"}
//   {__name__=~"http_.*", job="api"}
// Strings take PromQL's quoting ("...", '...' and `...`, Go escapes in the first two).
// The PromQL engine (issue 13) will parse full expressions; a selector stays this grammar.
#pragma once

#include <string>
#include <string_view>

#include "daemon/storage/label_matcher.h"

namespace metricsd::storage {

struct SelectorParseResult {
  Matchers matchers;   // the name becomes __name__="name", first
  std::string error;   // empty on success; else "1:14: parse error: unexpected ..." with the position
};

// Also refuses a selector whose matchers all match the empty string, as Prometheus's parser
// does ("1:1: parse error: vector selector must contain at least one non-empty matcher"; the
// API's own "match[] must contain at least one non-empty matcher" check never sees one), and a
// name given both ways (`foo{__name__="bar"}`). Thread-safety: a pure function.
SelectorParseResult ParseSeriesSelector(std::string_view text);

}  // namespace metricsd::storage
