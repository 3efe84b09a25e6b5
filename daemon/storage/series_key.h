// A series' identity as one string: its canonical key. The store, the index and the database
// all name a series by it, so a label set is compared, hashed and persisted as one flat value.
//
// Format: the metric name, then for each label in ascending name order '\xff' name '\xfe'
// value. Valid UTF-8 never contains the bytes 0xfe and 0xff, so the key parses back
// unambiguously; a label set containing them (invalid UTF-8) has no key.
// `__name__` is never a label inside the key: the name comes first.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace metricsd::storage {

inline constexpr char kKeyLabelStart = '\xff';
inline constexpr char kKeyValueStart = '\xfe';

struct LabelPair {
  std::string name;
  std::string value;
  friend bool operator==(const LabelPair&, const LabelPair&) = default;
};

// A series' labels, `__name__` included, sorted by name: Prometheus's labels.Labels.
using SeriesLabels = std::vector<LabelPair>;

// Whether `text` is valid UTF-8 (Prometheus's rule for label values; names are ASCII).
bool IsValidUtf8(std::string_view text);

// Builds keys in a reusable buffer (the sampler makes one per sample, without allocating once
// warmed up). Thread-safety: not thread-safe; one builder per thread.
class SeriesKeyBuilder {
 public:
  // Starts a key for metric `name`.
  void Reset(std::string_view name);
  // Adds a label; labels may come in any order and are sorted by Finish(). An empty value is
  // the same as no label (Prometheus's rule) and is skipped. A label named `__name__` makes the
  // key invalid (the name is given to Reset()).
  void Add(std::string_view name, std::string_view value);
  // The key, or nullopt when a name or value contains 0xfe/0xff or a label name repeats.
  // The view is valid until the next Reset().
  std::optional<std::string_view> Finish();

 private:
  std::string name_;
  std::vector<std::pair<std::string, std::string>> labels_;
  std::size_t used_ = 0;  // labels_ entries in use (kept allocated between keys)
  std::string key_;
  bool invalid_ = false;  // a 0xfe/0xff byte or a `__name__` label was added since Reset()
};

// The key of a sorted label set with `__name__`; nullopt as SeriesKeyBuilder::Finish.
std::optional<std::string> KeyOf(const SeriesLabels& labels);

// The metric name part of a key.
std::string_view KeyName(std::string_view key);

// Walks the labels of a key (not `__name__`) in key order without allocating; the views point
// into the key. Any bytes are accepted: a segment without a value marker reads as a label with
// an empty value. Thread-safety: a value type; one cursor per thread.
//   KeyLabelCursor cursor(key); std::string_view name, value;
//   while (cursor.Next(name, value)) { ... }
class KeyLabelCursor {
 public:
  explicit KeyLabelCursor(std::string_view key);
  bool Next(std::string_view& name, std::string_view& value);

 private:
  std::string_view rest_;  // from the next label's kKeyLabelStart byte
};

// Calls fn(name, value) for `__name__` first (unless the name is empty), then every label in key order (ascending name).
void ForEachKeyLabel(std::string_view key,
                     const std::function<void(std::string_view, std::string_view)>& fn);

// The label set a key stands for, `__name__` first (absent when the name is empty). Note `__name__` sorts before any label
// name that starts with a lower-case letter or a later byte; the key order puts it first always.
SeriesLabels LabelsOfKey(std::string_view key);

// The value of label `name` in a key ("" when absent; `__name__` gives the metric name).
std::string_view KeyLabelValue(std::string_view key, std::string_view name);

}  // namespace metricsd::storage
