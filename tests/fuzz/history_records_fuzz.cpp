// Arbitrary bytes as the history store's records: as a series key (the database's series table
// holds keys; a corrupt file hands us any bytes) and as a match[] selector (any HTTP client).
// Beyond "no crash": a key rebuilt from the labels parsed out of the bytes parses back to those
// labels, the index finds it again, and a parsed selector printed back parses to the same
// matchers.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/storage/label_index.h"
#include "daemon/storage/series_key.h"
#include "daemon/storage/series_selector.h"

namespace {

using namespace metricsd::storage;

void Check(bool condition) {
  if (!condition) std::abort();
}

void KeyRoundTrip(std::string_view bytes) {
  SeriesLabels labels = LabelsOfKey(bytes);
  std::size_t visited = 0;
  ForEachKeyLabel(bytes, [&](std::string_view name, std::string_view value) {
    Check(visited < labels.size() && labels[visited].name == name && labels[visited].value == value);
    // KeyLabelValue answers with a name's first occurrence (`__name__`: the key's name part).
    bool first = std::none_of(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(visited),
                              [&](const LabelPair& earlier) { return earlier.name == name; });
    // A `__name__` label inside a (corrupt) key's label part is not the name KeyLabelValue
    // answers with: that is the key's name part, visited first when it is not empty.
    const bool name_part = name == "__name__" && visited == 0 && !KeyName(bytes).empty();
    if (first && (name != "__name__" || name_part)) Check(KeyLabelValue(bytes, name) == value);
    ++visited;
  });
  Check(visited == labels.size());

  SeriesKeyBuilder builder;
  std::string_view name;
  for (const LabelPair& label : labels) {
    if (label.name == "__name__") name = label.value;
  }
  builder.Reset(name);
  SeriesLabels expected;
  for (const LabelPair& label : labels) {
    if (label.name == "__name__") continue;
    builder.Add(label.name, label.value);
    if (!label.value.empty()) expected.push_back(label);
  }
  std::optional<std::string_view> key = builder.Finish();
  if (!key) return;  // separator bytes, a repeated or a `__name__` label: no key, as promised
  std::stable_sort(expected.begin(), expected.end(),
                   [](const LabelPair& a, const LabelPair& b) { return a.name < b.name; });
  if (!name.empty()) expected.insert(expected.begin(), {"__name__", std::string(name)});
  Check(LabelsOfKey(*key) == expected);
  Check(KeyOf(expected) == std::string(*key));

  LabelIndex index;
  Check(index.Insert(7, *key));
  Check(index.Find(*key) == SeriesRef{7});
  Check(index.Key(7) == *key);
  for (const LabelPair& label : expected) {
    std::string error;
    auto matcher = LabelMatcher::Make(MatchType::kEqual, label.name, label.value, &error);
    Check(matcher && index.Select(std::span(&*matcher, 1)) == std::vector<SeriesRef>{7});
  }
  index.Remove(7);
  Check(index.size() == 0 && !index.Find(*key));
}

void SelectorRoundTrip(std::string_view bytes) {
  SelectorParseResult parsed = ParseSeriesSelector(bytes);
  if (!parsed.error.empty()) {
    Check(parsed.matchers.empty() && parsed.error.find(": parse error: ") != std::string::npos);
    return;
  }
  Check(!parsed.matchers.empty());
  std::string printed = "{";
  for (const LabelMatcher& matcher : parsed.matchers) printed += matcher.ToString() + ",";
  printed += "}";
  SelectorParseResult again = ParseSeriesSelector(printed);
  Check(again.error.empty() && again.matchers.size() == parsed.matchers.size());
  for (std::size_t i = 0; i < parsed.matchers.size(); ++i) {
    Check(again.matchers[i].type() == parsed.matchers[i].type());
    Check(again.matchers[i].name() == parsed.matchers[i].name());
    Check(again.matchers[i].value() == parsed.matchers[i].value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  KeyRoundTrip(bytes);
  SelectorRoundTrip(bytes);
  return 0;
}
