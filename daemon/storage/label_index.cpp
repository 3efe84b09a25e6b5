#include "daemon/storage/label_index.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <deque>
#include <utility>

#include "daemon/storage/series_key.h"

namespace metricsd::storage {

namespace {

// Debian's absl has its own string_view type; views cross over through this.
absl::string_view AbslView(std::string_view view) { return {view.data(), view.size()}; }
std::string_view StdView(absl::string_view view) { return {view.data(), view.size()}; }

// What malloc really spends on a block of `size` bytes (glibc, 64-bit: 8 bytes of header,
// 16-byte granules, 32 bytes at least).
std::size_t MallocBytes(std::size_t size) { return std::max<std::size_t>(32, (size + 8 + 15) & ~std::size_t{15}); }

// A series' record: its ref and encoded key in one allocation, [ref u32][size u32][bytes]. The
// encoding spells names (the metric name, label names: few, and most of a key's length) as
// symbol numbers and keeps values as text:
//   varint(metric name symbol + 1, 0: no name) { varint(label name symbol) varint(size) value }
// in the canonical key's order, so a canonical key has exactly one encoding and Find compares
// encodings. Values stay contiguous: the value maps hold views into records.
using Record = const char*;
constexpr std::size_t kRecordHeader = 2 * sizeof(std::uint32_t);

SeriesRef RefOf(Record record) {
  SeriesRef ref;
  std::memcpy(&ref, record, sizeof ref);
  return ref;
}
std::string_view BytesOf(Record record) {
  std::uint32_t size;
  std::memcpy(&size, record + sizeof(SeriesRef), sizeof size);
  return {record + kRecordHeader, size};
}
Record NewRecord(SeriesRef ref, std::string_view bytes) {
  auto size = static_cast<std::uint32_t>(bytes.size());
  char* record = new char[kRecordHeader + bytes.size()];
  std::memcpy(record, &ref, sizeof ref);
  std::memcpy(record + sizeof ref, &size, sizeof size);
  std::memcpy(record + kRecordHeader, bytes.data(), bytes.size());
  return record;
}
void DeleteRecord(Record record) { delete[] record; }

void PutVarint(std::string& out, std::uint32_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(0x80 | (value & 0x7f)));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}
// Records are written by this file only: their varints are well-formed.
std::uint32_t GetVarint(const char*& p) {
  std::uint32_t value = 0;
  for (int shift = 0;; shift += 7) {
    auto byte = static_cast<unsigned char>(*p++);
    value |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return value;
  }
}

// Walks a record's labels: symbol numbers and views of the values inside the record.
class RecordCursor {
 public:
  explicit RecordCursor(Record record) {
    std::string_view bytes = BytesOf(record);
    p_ = bytes.data();
    end_ = bytes.data() + bytes.size();
    name_ = GetVarint(p_);
  }
  // The metric name's symbol + 1 (0: the key has no name).
  std::uint32_t name() const { return name_; }
  bool Next(std::uint32_t& symbol, std::string_view& value) {
    if (p_ >= end_) return false;
    symbol = GetVarint(p_);
    std::uint32_t size = GetVarint(p_);
    value = {p_, size};
    p_ += size;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
  std::uint32_t name_;
};

// Metric and label names by symbol number. A deque: a name's characters never move, so the
// metric-name values of `__name__` are views into it.
using Symbols = std::deque<std::string>;

// The canonical key a record stands for.
void DecodeInto(Record record, const Symbols& symbols, std::string& key) {
  RecordCursor cursor(record);
  key.clear();
  if (cursor.name() != 0) key = symbols[cursor.name() - 1];
  std::uint32_t symbol;
  std::string_view value;
  while (cursor.Next(symbol, value)) {
    key.push_back(kKeyLabelStart);
    key.append(symbols[symbol]);
    key.push_back(kKeyValueStart);
    key.append(value);
  }
}

// Whether `key` is exactly the canonical key of `record`, compared part by part without
// rebuilding it (Find's hot path).
bool RecordIsKey(Record record, const Symbols& symbols, std::string_view key) {
  RecordCursor cursor(record);
  std::string_view metric = cursor.name() == 0 ? std::string_view() : std::string_view(symbols[cursor.name() - 1]);
  if (KeyName(key) != metric) return false;
  KeyLabelCursor labels(key);
  std::string_view name, value, stored_value;
  std::uint32_t symbol;
  while (cursor.Next(symbol, stored_value)) {
    if (!labels.Next(name, value) || name != symbols[symbol] || value != stored_value) return false;
  }
  // Every part matched and none is left: `key` is the record's key byte for byte (a stored
  // value is never empty, so a segment without its value marker never matched above).
  return !labels.Next(name, value);
}

// Records found by their canonical key (Find): hashed as that key's text, so Find hashes the
// caller's key as it is and compares part by part; only inserts and rehashes rebuild keys.
struct KeyHash {
  using is_transparent = void;
  const Symbols* symbols;
  std::size_t operator()(absl::string_view key) const { return absl::Hash<absl::string_view>{}(key); }
  std::size_t operator()(Record record) const {
    thread_local std::string key;
    DecodeInto(record, *symbols, key);
    return (*this)(AbslView(key));
  }
};
struct KeyEq {
  using is_transparent = void;
  const Symbols* symbols;
  bool operator()(Record a, Record b) const { return a == b || BytesOf(a) == BytesOf(b); }
  bool operator()(Record a, absl::string_view key) const { return RecordIsKey(a, *symbols, StdView(key)); }
  bool operator()(absl::string_view key, Record a) const { return RecordIsKey(a, *symbols, StdView(key)); }
};
// Records found by their ref (Key, Remove).
struct RefHash {
  using is_transparent = void;
  std::size_t operator()(SeriesRef ref) const { return absl::Hash<SeriesRef>{}(ref); }
  std::size_t operator()(Record record) const { return (*this)(RefOf(record)); }
};
struct RefEq {
  using is_transparent = void;
  static SeriesRef Of(Record record) { return RefOf(record); }
  static SeriesRef Of(SeriesRef ref) { return ref; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return Of(a) == Of(b);
  }
};

// A sorted list of refs in 16 bytes, holding up to two refs without an allocation: most label
// values of high-cardinality labels (ids, paths) belong to one or two series.
class Postings {
 public:
  Postings() = default;
  Postings(Postings&& other) noexcept { Take(other); }
  Postings& operator=(Postings&& other) noexcept {
    if (this != &other) {
      Free();
      Take(other);
    }
    return *this;
  }
  Postings(const Postings&) = delete;
  Postings& operator=(const Postings&) = delete;
  ~Postings() { Free(); }

  const SeriesRef* data() const { return capacity_ != 0 ? heap_ : inline_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const SeriesRef> span() const { return {data(), size_}; }
  std::size_t HeapBytes() const { return capacity_ != 0 ? MallocBytes(capacity_ * sizeof(SeriesRef)) : 0; }

  // Refs usually come ascending (the store numbers series in order): appending is the fast path.
  void Insert(SeriesRef ref) {
    SeriesRef* begin = mutable_data();
    SeriesRef* position = begin + size_;
    if (size_ != 0 && begin[size_ - 1] >= ref) {
      position = std::lower_bound(begin, begin + size_, ref);
      if (*position == ref) return;
    }
    std::size_t index = static_cast<std::size_t>(position - begin);
    if (size_ == Capacity()) Grow();
    begin = mutable_data();
    std::memmove(begin + index + 1, begin + index, (size_ - index) * sizeof(SeriesRef));
    begin[index] = ref;
    ++size_;
  }

  // Removes every ref `removed` (sorted) holds, in one pass.
  void EraseAll(std::span<const SeriesRef> removed) {
    SeriesRef* begin = mutable_data();
    SeriesRef* end = std::remove_if(begin, begin + size_, [&](SeriesRef ref) {
      return std::binary_search(removed.begin(), removed.end(), ref);
    });
    size_ = static_cast<std::uint32_t>(end - begin);
    if (capacity_ != 0 && size_ <= kInline) {
      SeriesRef* heap = heap_;
      std::copy(heap, heap + size_, inline_);
      delete[] heap;
      capacity_ = 0;
    }
  }

 private:
  static constexpr std::uint32_t kInline = 2;

  std::uint32_t Capacity() const { return capacity_ != 0 ? capacity_ : kInline; }
  SeriesRef* mutable_data() { return capacity_ != 0 ? heap_ : inline_; }
  void Grow() {
    std::uint32_t capacity = Capacity() * 2;
    auto* heap = new SeriesRef[capacity];
    std::copy(data(), data() + size_, heap);
    Free();
    heap_ = heap;
    capacity_ = capacity;
  }
  void Free() {
    if (capacity_ != 0) delete[] heap_;
    capacity_ = 0;
  }
  void Take(Postings& other) {
    size_ = other.size_;
    capacity_ = other.capacity_;
    if (capacity_ != 0) {
      heap_ = other.heap_;
    } else {
      std::copy(other.inline_, other.inline_ + kInline, inline_);
    }
    other.size_ = 0;
    other.capacity_ = 0;
  }

  union {
    SeriesRef inline_[kInline] = {0, 0};
    SeriesRef* heap_;
  };
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;  // 0: the refs are inline
};
static_assert(sizeof(Postings) == 16);

// A label's values: each a view into the key of a series that carries it (so a value is stored
// once however many series share it), with the series that carry it.
using ValueMap = absl::flat_hash_map<absl::string_view, Postings>;

std::vector<SeriesRef> Intersect(std::span<const SeriesRef> a, std::span<const SeriesRef> b) {
  if (a.size() > b.size()) std::swap(a, b);
  std::vector<SeriesRef> out;
  out.reserve(a.size());
  // A small list against a large one: binary searches beat a merge.
  if (a.size() * 16 < b.size()) {
    auto from = b.begin();
    for (SeriesRef ref : a) {
      from = std::lower_bound(from, b.end(), ref);
      if (from == b.end()) break;
      if (*from == ref) out.push_back(ref);
    }
    return out;
  }
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<SeriesRef> Subtract(std::span<const SeriesRef> a, std::span<const SeriesRef> b) {
  std::vector<SeriesRef> out;
  out.reserve(a.size());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

struct LabelIndex::Impl {
  // Metric and label names by symbol number, and back. Names are few; a symbol lives as long as
  // the index (a metric name that went away costs its bytes until restart).
  Symbols symbols;
  absl::flat_hash_map<std::string, std::uint32_t> symbol_ids;
  absl::flat_hash_set<Record, KeyHash, KeyEq> by_key{0, KeyHash{&symbols}, KeyEq{&symbols}};
  absl::flat_hash_set<Record, RefHash, RefEq> by_ref;
  absl::flat_hash_map<std::string, ValueMap> names;  // `__name__` holds the metric names
  std::vector<SeriesRef> all;                        // every series, ascending
  std::size_t record_bytes = 0;

  ~Impl() {
    for (Record record : by_ref) DeleteRecord(record);
  }

  Record RecordOf(SeriesRef ref) const {
    auto it = by_ref.find(ref);
    return it == by_ref.end() ? nullptr : *it;
  }

  std::optional<std::uint32_t> SymbolOf(std::string_view name) const {
    auto it = symbol_ids.find(AbslView(name));
    if (it == symbol_ids.end()) return std::nullopt;
    return it->second;
  }
  std::uint32_t AddSymbol(std::string_view name) {
    auto [it, added] = symbol_ids.try_emplace(std::string(name), static_cast<std::uint32_t>(symbols.size()));
    if (added) symbols.emplace_back(name);
    return it->second;
  }

  // The encoding of a canonical key (SeriesKeyBuilder's: labels sorted, unique, non-empty, no
  // `__name__` label, no separator bytes inside), or false for any other bytes. With
  // `symbol_of(name)` gives a name's symbol, or nullopt for a name no series has (then Find
  // knows the key is not indexed).
  template <typename SymbolOf>
  static bool Encode(std::string_view key, std::string& out, SymbolOf&& symbol_of) {
    out.clear();
    std::string_view metric = KeyName(key);
    if (metric.find(kKeyValueStart) != std::string_view::npos) return false;
    std::uint32_t metric_symbol = 0;
    if (!metric.empty()) {
      std::optional<std::uint32_t> symbol = symbol_of(metric);
      if (!symbol) return false;
      metric_symbol = *symbol + 1;
    }
    PutVarint(out, metric_symbol);
    KeyLabelCursor cursor(key);
    std::string_view name, value, previous;
    bool first = true;
    while (cursor.Next(name, value)) {
      if (value.empty() || value.find(kKeyValueStart) != std::string_view::npos || name == "__name__" ||
          (!first && name <= previous)) {
        return false;
      }
      std::optional<std::uint32_t> symbol = symbol_of(name);
      if (!symbol) return false;
      PutVarint(out, *symbol);
      PutVarint(out, static_cast<std::uint32_t>(value.size()));
      out.append(value);
      previous = name;
      first = false;
    }
    return true;
  }
  bool EncodeAddingSymbols(std::string_view key, std::string& out) {
    return Encode(key, out, [this](std::string_view name) { return std::optional<std::uint32_t>(AddSymbol(name)); });
  }

  std::string Decode(Record record) const {
    std::string key;
    DecodeInto(record, symbols, key);
    return key;
  }

  // Calls fn(name, value) for every label of a record, `__name__` first; values are views into
  // the record.
  template <typename Fn>
  void ForEachLabel(Record record, Fn&& fn) const {
    RecordCursor cursor(record);
    if (cursor.name() != 0) {
      // The metric name's text is not in the record: its view points into the symbol table.
      fn(std::string_view("__name__"), std::string_view(symbols[cursor.name() - 1]));
    }
    std::uint32_t symbol;
    std::string_view value;
    while (cursor.Next(symbol, value)) fn(std::string_view(symbols[symbol]), value);
  }

  // The value of label `name` in a record ("" when absent).
  std::string_view LabelValue(Record record, std::string_view name) const {
    RecordCursor cursor(record);
    if (name == "__name__") {
      return cursor.name() == 0 ? std::string_view() : std::string_view(symbols[cursor.name() - 1]);
    }
    std::optional<std::uint32_t> wanted = SymbolOf(name);
    if (!wanted) return {};
    std::uint32_t symbol;
    std::string_view value;
    while (cursor.Next(symbol, value)) {
      if (symbol == *wanted) return value;
    }
    return {};
  }

  const ValueMap* ValuesOf(std::string_view name) const {
    auto it = names.find(AbslView(name));
    return it == names.end() ? nullptr : &it->second;
  }

  // The union of the postings of the values of `name` for which `keep(value)` holds.
  template <typename Pred>
  std::vector<SeriesRef> UnionWhere(const ValueMap* values, Pred&& keep) const {
    std::vector<SeriesRef> out;
    if (values == nullptr) return out;
    std::size_t lists = 0;
    for (const auto& [value, postings] : *values) {
      if (!keep(StdView(value))) continue;
      out.insert(out.end(), postings.span().begin(), postings.span().end());
      ++lists;
    }
    // One list is sorted already; several are merged by sorting (refs are unique per list).
    if (lists > 1) {
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
    }
    return out;
  }

  // Keeps the candidates whose value of the matcher's label (absent: "") it matches, reading
  // each candidate's key: cheaper than the postings when there are fewer candidates than values.
  std::vector<SeriesRef> Filter(std::vector<SeriesRef> candidates, const LabelMatcher& matcher) const {
    std::erase_if(candidates, [&](SeriesRef ref) {
      Record record = RecordOf(ref);
      std::string_view value = record == nullptr ? std::string_view() : LabelValue(record, matcher.name());
      return !matcher.Matches(value);
    });
    return candidates;
  }
};

LabelIndex::LabelIndex() : impl_(std::make_unique<Impl>()) {}
LabelIndex::~LabelIndex() = default;

std::optional<SeriesRef> LabelIndex::Find(std::string_view key) const {
  auto it = impl_->by_key.find(AbslView(key));
  if (it == impl_->by_key.end()) return std::nullopt;
  return RefOf(*it);
}

bool LabelIndex::Insert(SeriesRef ref, std::string_view key) {
  Impl& impl = *impl_;
  if (impl.by_ref.contains(ref)) return false;
  thread_local std::string encoded;
  if (impl.by_key.contains(AbslView(key)) || !impl.EncodeAddingSymbols(key, encoded)) return false;
  Record record = NewRecord(ref, encoded);
  impl.by_key.insert(record);
  impl.by_ref.insert(record);
  impl.record_bytes += MallocBytes(kRecordHeader + encoded.size());
  if (impl.all.empty() || impl.all.back() < ref) {
    impl.all.push_back(ref);
  } else {
    impl.all.insert(std::lower_bound(impl.all.begin(), impl.all.end(), ref), ref);
  }
  impl.ForEachLabel(record, [&](std::string_view name, std::string_view value) {
    auto name_it = impl.names.find(AbslView(name));
    if (name_it == impl.names.end()) name_it = impl.names.try_emplace(std::string(name)).first;
    // A new value's view points into this record's key.
    name_it->second[AbslView(value)].Insert(ref);
  });
  return true;
}

void LabelIndex::Remove(SeriesRef ref) { Remove(std::span<const SeriesRef>(&ref, 1)); }

void LabelIndex::Remove(std::span<const SeriesRef> refs) {
  Impl& impl = *impl_;
  std::vector<Record> removed;
  for (SeriesRef ref : refs) {
    auto it = impl.by_ref.find(ref);
    if (it == impl.by_ref.end()) continue;
    removed.push_back(*it);
    impl.by_ref.erase(it);
    impl.by_key.erase(removed.back());
  }
  if (removed.empty()) return;
  std::vector<SeriesRef> removed_refs;
  removed_refs.reserve(removed.size());
  for (Record record : removed) removed_refs.push_back(RefOf(record));
  std::sort(removed_refs.begin(), removed_refs.end());
  // Whether a view points into a removed record: such a value view must move to a survivor's key.
  std::vector<Record> by_address = removed;
  std::sort(by_address.begin(), by_address.end());
  auto in_removed = [&](const char* p) {
    auto it = std::upper_bound(by_address.begin(), by_address.end(), p);
    if (it == by_address.begin()) return false;
    Record record = *(it - 1);
    return p < record + kRecordHeader + BytesOf(record).size() + 1;
  };

  // Every posting list a removed series was on, once: each is then filtered in one pass (a
  // retention sweep removes many series from the same large lists).
  // (the label's values, the value) -> the label's name.
  absl::flat_hash_map<std::pair<ValueMap*, absl::string_view>, std::string_view> touched;
  absl::flat_hash_set<absl::string_view> touched_names;
  for (Record record : removed) {
    impl.ForEachLabel(record, [&](std::string_view name, std::string_view value) {
      auto name_it = impl.names.find(AbslView(name));
      if (name_it == impl.names.end()) return;
      touched.try_emplace({&name_it->second, AbslView(value)}, name_it->first);
      touched_names.insert(name_it->first);
    });
  }
  for (const auto& [entry, name] : touched) {
    auto [values, value] = entry;
    auto it = values->find(value);
    if (it == values->end()) continue;
    it->second.EraseAll(removed_refs);
    if (it->second.empty()) {
      values->erase(it);
      continue;
    }
    if (!in_removed(it->first.data())) continue;
    // The value's view pointed into a removed key: repoint it into the first survivor's key.
    Record survivor = impl.RecordOf(it->second.data()[0]);
    assert(survivor != nullptr);
    std::string_view new_value = impl.LabelValue(survivor, name);
    auto node = values->extract(it);
    node.key() = AbslView(new_value);
    values->insert(std::move(node));
  }
  for (absl::string_view name : touched_names) {
    auto it = impl.names.find(name);
    if (it != impl.names.end() && it->second.empty()) impl.names.erase(it);
  }
  std::erase_if(impl.all, [&](SeriesRef ref) {
    return std::binary_search(removed_refs.begin(), removed_refs.end(), ref);
  });
  for (Record record : removed) {
    impl.record_bytes -= MallocBytes(kRecordHeader + BytesOf(record).size());
    DeleteRecord(record);
  }
}

std::string LabelIndex::Key(SeriesRef ref) const {
  Record record = impl_->RecordOf(ref);
  return record == nullptr ? std::string() : impl_->Decode(record);
}

std::vector<SeriesRef> LabelIndex::Select(std::span<const LabelMatcher> matchers) const {
  const Impl& impl = *impl_;
  // Prometheus's PostingsForMatchers: equality postings intersected smallest first, then every
  // other matcher narrows the candidates. A matcher that does not match "" needs the label: the
  // union of its matching values' postings. One that matches "" also takes series without the
  // label: everything except the series whose value it rejects.
  std::vector<std::span<const SeriesRef>> equal_lists;
  std::vector<const LabelMatcher*> needs_label, matches_empty;
  for (const LabelMatcher& matcher : matchers) {
    if (matcher.MatchesEmpty()) {
      matches_empty.push_back(&matcher);
    } else if (matcher.type() == MatchType::kEqual) {
      const ValueMap* values = impl.ValuesOf(matcher.name());
      if (values == nullptr) return {};
      auto it = values->find(AbslView(matcher.value()));
      if (it == values->end()) return {};
      equal_lists.push_back(it->second.span());
    } else {
      needs_label.push_back(&matcher);
    }
  }
  std::sort(equal_lists.begin(), equal_lists.end(),
            [](const auto& a, const auto& b) { return a.size() < b.size(); });

  std::optional<std::vector<SeriesRef>> candidates;
  for (std::span<const SeriesRef> list : equal_lists) {
    if (!candidates) {
      candidates.emplace(list.begin(), list.end());
    } else {
      *candidates = Intersect(*candidates, list);
    }
    if (candidates->empty()) return {};
  }
  auto narrow = [&](const LabelMatcher& matcher) {
    const ValueMap* values = impl.ValuesOf(matcher.name());
    std::size_t value_count = values == nullptr ? 0 : values->size();
    // Each value costs a match; each candidate costs a key scan and a match.
    if (candidates && candidates->size() <= value_count) {
      *candidates = impl.Filter(std::move(*candidates), matcher);
      return;
    }
    if (!matcher.MatchesEmpty()) {
      std::vector<SeriesRef> matching =
          impl.UnionWhere(values, [&](std::string_view value) { return matcher.Matches(value); });
      candidates = candidates ? Intersect(*candidates, matching) : std::move(matching);
      return;
    }
    std::vector<SeriesRef> rejected =
        impl.UnionWhere(values, [&](std::string_view value) { return !matcher.Matches(value); });
    candidates = Subtract(candidates ? std::span<const SeriesRef>(*candidates) : std::span<const SeriesRef>(impl.all), rejected);
  };
  for (const LabelMatcher* matcher : needs_label) {
    narrow(*matcher);
    if (candidates->empty()) return {};
  }
  for (const LabelMatcher* matcher : matches_empty) {
    narrow(*matcher);
    if (candidates->empty()) return {};
  }
  if (!candidates) return impl.all;  // no matchers
  return std::move(*candidates);
}

std::vector<std::string> LabelIndex::LabelNames(const std::vector<SeriesRef>* series) const {
  const Impl& impl = *impl_;
  std::vector<std::string> out;
  if (series == nullptr) {
    for (const auto& entry : impl.names) out.push_back(entry.first);
  } else {
    absl::flat_hash_set<absl::string_view> seen;
    for (SeriesRef ref : *series) {
      Record record = impl.RecordOf(ref);
      if (record == nullptr) continue;
      impl.ForEachLabel(record, [&](std::string_view name, std::string_view) {
        seen.insert(AbslView(name));
      });
    }
    for (absl::string_view name : seen) out.emplace_back(StdView(name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> LabelIndex::LabelValues(std::string_view name,
                                                 const std::vector<SeriesRef>* series) const {
  const Impl& impl = *impl_;
  std::vector<std::string> out;
  if (series == nullptr) {
    if (const ValueMap* values = impl.ValuesOf(name)) {
      out.reserve(values->size());
      for (const auto& entry : *values) out.emplace_back(StdView(entry.first));
    }
  } else {
    absl::flat_hash_set<absl::string_view> seen;
    for (SeriesRef ref : *series) {
      Record record = impl.RecordOf(ref);
      if (record == nullptr) continue;
      std::string_view value = impl.LabelValue(record, name);
      if (!value.empty()) seen.insert(AbslView(value));
    }
    for (absl::string_view value : seen) out.emplace_back(StdView(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t LabelIndex::size() const { return impl_->by_ref.size(); }

std::size_t LabelIndex::MemoryBytes() const {
  const Impl& impl = *impl_;
  // A flat hash table spends one control byte and one slot per bucket.
  auto table = [](std::size_t capacity, std::size_t slot) { return capacity == 0 ? 0 : MallocBytes(capacity * (slot + 1) + 16); };
  std::size_t bytes = sizeof(LabelIndex) + MallocBytes(sizeof(Impl)) + impl.record_bytes;
  bytes += table(impl.by_key.capacity(), sizeof(Record));
  bytes += table(impl.by_ref.capacity(), sizeof(Record));
  bytes += MallocBytes(impl.all.capacity() * sizeof(SeriesRef));
  bytes += table(impl.symbol_ids.capacity(), sizeof(std::pair<const std::string, std::uint32_t>));
  for (const std::string& symbol : impl.symbols) bytes += sizeof(std::string) + 2 * (symbol.size() > 15 ? MallocBytes(symbol.size() + 1) : 0);
  bytes += table(impl.names.capacity(), sizeof(std::pair<const std::string, ValueMap>));
  for (const auto& [name, values] : impl.names) {
    if (name.size() > 15) bytes += MallocBytes(name.size() + 1);  // beyond the short-string buffer
    bytes += table(values.capacity(), sizeof(std::pair<const absl::string_view, Postings>));
    for (const auto& entry : values) bytes += entry.second.HeapBytes();
  }
  return bytes;
}

}  // namespace metricsd::storage
