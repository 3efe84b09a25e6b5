#include "daemon/storage/series_key.h"

#include <algorithm>
#include <utility>

#include "daemon/core/metric_names.h"

namespace metricsd::storage {

namespace {

bool HasSeparatorByte(std::string_view text) {
  return text.find_first_of(std::string_view("\xfe\xff", 2)) != std::string_view::npos;
}

}  // namespace

bool IsValidUtf8(std::string_view text) { return metricsd::IsValidUtf8(text); }

void SeriesKeyBuilder::Reset(std::string_view name) {
  name_.assign(name);
  used_ = 0;
  invalid_ = HasSeparatorByte(name);
}

void SeriesKeyBuilder::Add(std::string_view name, std::string_view value) {
  if (value.empty()) return;
  // `__name__` never sits among the labels of a key: the name is the key's first part.
  if (name == "__name__" || HasSeparatorByte(name) || HasSeparatorByte(value)) invalid_ = true;
  if (invalid_) return;
  if (used_ == labels_.size()) labels_.emplace_back();
  // assign() reuses the strings' capacity: a warmed-up builder does not allocate.
  labels_[used_].first.assign(name);
  labels_[used_].second.assign(value);
  ++used_;
}

std::optional<std::string_view> SeriesKeyBuilder::Finish() {
  if (invalid_) return std::nullopt;
  // Insertion sort by swapping: series have a handful of labels, and swapping strings moves
  // pointers, never characters.
  for (std::size_t i = 1; i < used_; ++i) {
    for (std::size_t j = i; j > 0 && labels_[j].first < labels_[j - 1].first; --j) {
      std::swap(labels_[j], labels_[j - 1]);
    }
  }
  for (std::size_t i = 1; i < used_; ++i) {
    if (labels_[i].first == labels_[i - 1].first) return std::nullopt;
  }
  key_.assign(name_);
  for (std::size_t i = 0; i < used_; ++i) {
    key_.push_back(kKeyLabelStart);
    key_.append(labels_[i].first);
    key_.push_back(kKeyValueStart);
    key_.append(labels_[i].second);
  }
  return std::string_view(key_);
}

std::optional<std::string> KeyOf(const SeriesLabels& labels) {
  SeriesKeyBuilder builder;
  std::string_view name;
  for (const LabelPair& label : labels) {
    if (label.name == "__name__") name = label.value;
  }
  builder.Reset(name);
  bool name_seen = false;
  for (const LabelPair& label : labels) {
    if (label.name == "__name__") {
      if (name_seen) return std::nullopt;  // two names: a repeated label
      name_seen = true;
      continue;
    }
    builder.Add(label.name, label.value);
  }
  std::optional<std::string_view> key = builder.Finish();
  if (!key) return std::nullopt;
  return std::string(*key);
}

std::string_view KeyName(std::string_view key) { return key.substr(0, key.find(kKeyLabelStart)); }

bool KeyLabelCursor::Next(std::string_view& name, std::string_view& value) {
  if (rest_.empty()) return false;
  // rest_ starts at a kKeyLabelStart byte (the constructor and every step leave it so).
  std::size_t end = rest_.find(kKeyLabelStart, 1);
  std::string_view label = rest_.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1);
  rest_ = end == std::string_view::npos ? std::string_view() : rest_.substr(end);
  std::size_t split = label.find(kKeyValueStart);
  if (split == std::string_view::npos) {
    // Not a key SeriesKeyBuilder makes; read a label without its value marker as valueless.
    name = label;
    value = {};
  } else {
    name = label.substr(0, split);
    value = label.substr(split + 1);
  }
  return true;
}

KeyLabelCursor::KeyLabelCursor(std::string_view key) {
  std::size_t start = key.find(kKeyLabelStart);
  if (start != std::string_view::npos) rest_ = key.substr(start);
}

void ForEachKeyLabel(std::string_view key,
                     const std::function<void(std::string_view, std::string_view)>& fn) {
  std::string_view name = KeyName(key);
  if (!name.empty()) fn("__name__", name);
  KeyLabelCursor cursor(key);
  std::string_view label, value;
  while (cursor.Next(label, value)) fn(label, value);
}

SeriesLabels LabelsOfKey(std::string_view key) {
  SeriesLabels labels;
  std::string_view name = KeyName(key);
  if (!name.empty()) labels.push_back({"__name__", std::string(name)});
  KeyLabelCursor cursor(key);
  std::string_view label, value;
  while (cursor.Next(label, value)) labels.push_back({std::string(label), std::string(value)});
  return labels;
}

std::string_view KeyLabelValue(std::string_view key, std::string_view name) {
  if (name == "__name__") return KeyName(key);
  KeyLabelCursor cursor(key);
  std::string_view label, value;
  while (cursor.Next(label, value)) {
    if (label == name) return value;
  }
  return {};
}

}  // namespace metricsd::storage
