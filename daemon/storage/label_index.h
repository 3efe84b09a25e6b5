// The inverted index of the history store: which series exist (by canonical key, see
// series_key.h), and for every label pair the sorted list of series that carry it (postings),
// so matchers select series without visiting every one.
//
// Memory (the store's budget is 250 bytes per series beyond chunk data): each series is one
// record holding its key with names as symbol numbers and values as text; label values are
// views into records, never copies; a posting list holds up to two refs inline. See
// tests/bench/history_index_bench.cpp for the figures.
//
// Thread-safety: not thread-safe; the store guards it with a shared mutex (readers in
// parallel, writers alone).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/storage/label_matcher.h"

namespace metricsd::storage {

// A series' number in the store; the database's series id. Never reused while the series is
// stored.
using SeriesRef = std::uint32_t;

class LabelIndex {
 public:
  LabelIndex();
  ~LabelIndex();
  LabelIndex(const LabelIndex&) = delete;
  LabelIndex& operator=(const LabelIndex&) = delete;

  // The series with this canonical key, if indexed.
  std::optional<SeriesRef> Find(std::string_view key) const;
  // Indexes a new series; false (and nothing changes) when `ref` or `key` is indexed already,
  // or when `key` is not canonical (as SeriesKeyBuilder makes them: labels sorted and unique,
  // no empty values, no `__name__` label).
  // Refs usually come ascending (appends); any order works.
  bool Insert(SeriesRef ref, std::string_view key);
  // Forgets a series (retention removed its last data); unknown refs are ignored.
  void Remove(SeriesRef ref);
  // Forgets many series at once: each posting list they were on is filtered in one pass, so a
  // retention sweep costs O(lists touched), not O(series x list length).
  void Remove(std::span<const SeriesRef> refs);
  // The key of an indexed series ("" when unknown). Rebuilt from the index's compact record
  // (names are stored as symbols), so it is a copy.
  std::string Key(SeriesRef ref) const;

  // Every series all `matchers` match, ascending. Matchers that all match the empty string
  // select every series (the HTTP API refuses such selectors before asking).
  std::vector<SeriesRef> Select(std::span<const LabelMatcher> matchers) const;

  // Label names (with `__name__`) carried by `series`, or by every series when null; sorted.
  std::vector<std::string> LabelNames(const std::vector<SeriesRef>* series) const;
  // Values of label `name` (`__name__`: metric names) among `series`, or all when null; sorted.
  std::vector<std::string> LabelValues(std::string_view name,
                                       const std::vector<SeriesRef>* series) const;

  std::size_t size() const;
  // Bytes the index holds (keys, postings, tables), for metricsd_history_bytes and the memory
  // benchmark.
  std::size_t MemoryBytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace metricsd::storage
