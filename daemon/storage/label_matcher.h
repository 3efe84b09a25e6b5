// A label matcher as PromQL writes them: name="v", name!="v", name=~"re", name!~"re".
// Regexes are RE2, fully anchored (Prometheus anchors them: `a.*` must match the whole value).
// A label a series does not have matches as the empty string, as in Prometheus.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace metricsd::storage {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

// Thread-safety: immutable after Make(); Matches() may be called from any thread.
class LabelMatcher {
 public:
  // nullopt with `error` set when the regex does not compile.
  static std::optional<LabelMatcher> Make(MatchType type, std::string name, std::string value,
                                          std::string* error);

  bool Matches(std::string_view value) const;
  // Whether the empty string matches (then series without the label match too).
  bool MatchesEmpty() const { return matches_empty_; }

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  // As PromQL prints it: name="value" with Go's quoting.
  std::string ToString() const;

 private:
  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> regex_;  // regex types only
  bool matches_empty_ = false;
};

using Matchers = std::vector<LabelMatcher>;

// `text` in double quotes as Go's strconv.Quote writes it (%q): \" \\ \a \b \f \n \r \t \v,
// \xHH for other control bytes and for bytes that are not UTF-8, \u00HH for C1 controls;
// printable UTF-8 stays as it is. Thread-safety: a pure function.
std::string GoQuote(std::string_view text);

}  // namespace metricsd::storage
