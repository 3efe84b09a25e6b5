#include "daemon/query/promql/value.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "daemon/storage/label_matcher.h"
#include "daemon/storage/series_key.h"

namespace metricsd::query::promql {

namespace {

template <typename L>
auto LowerBound(L& labels, std::string_view name) {
  return std::lower_bound(labels.begin(), labels.end(), name,
                          [](const Label& label, std::string_view n) { return std::string_view(label.name) < n; });
}

}  // namespace

const std::string* GetLabel(const Labels& labels, std::string_view name) {
  auto it = LowerBound(labels, name);
  return it != labels.end() && it->name == name ? &it->value : nullptr;
}

void SetLabel(Labels& labels, std::string_view name, std::string_view value) {
  auto it = LowerBound(labels, name);
  const bool present = it != labels.end() && it->name == name;
  if (value.empty()) {
    if (present) labels.erase(it);
  } else if (present) {
    it->value = std::string(value);
  } else {
    labels.insert(it, Label{std::string(name), std::string(value)});
  }
}

Labels DropMetricName(Labels labels) {
  SetLabel(labels, kMetricName, "");
  return labels;
}

std::string LabelsToString(const Labels& labels) {
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i].name;
    out += '=';
    out += storage::GoQuote(labels[i].value);
  }
  out += '}';
  return out;
}

std::string LabelsKey(const Labels& labels) {
  storage::SeriesKeyBuilder builder;
  const std::string* name = GetLabel(labels, kMetricName);
  builder.Reset(name != nullptr ? *name : std::string_view());
  for (const Label& label : labels) {
    if (label.name != kMetricName) builder.Add(label.name, label.value);
  }
  std::optional<std::string_view> key = builder.Finish();
  return key ? std::string(*key) : std::string();
}

Labels LabelsFromKey(std::string_view key) {
  Labels labels;
  storage::ForEachKeyLabel(key, [&](std::string_view name, std::string_view value) {
    labels.push_back(Label{std::string(name), std::string(value)});
  });
  // The key puts __name__ first; Prometheus sorts it by bytes like any other name.
  std::sort(labels.begin(), labels.end());
  return labels;
}

std::uint64_t HashFor(const Labels& labels, const std::vector<std::string>& names,
                      bool without) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  auto mix = [&hash](std::string_view text) {
    hash = absl::HashOf(hash, text);
  };
  auto listed = [&names](const std::string& name) {
    return std::binary_search(names.begin(), names.end(), name);
  };
  for (const Label& label : labels) {
    const bool in = listed(label.name);
    if (without ? (in || label.name == kMetricName) : !in) continue;
    mix(label.name);
    mix(label.value);
  }
  return hash;
}

}  // namespace metricsd::query::promql
