#include "collectors/statsd/series_table.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>

namespace metricsd::statsd {

std::uint32_t SlotWidth(MetricType type, std::size_t buckets) {
  switch (type) {
    case MetricType::kCounter: return 1;
    case MetricType::kHistogram: return static_cast<std::uint32_t>(buckets) + 2;
    case MetricType::kSummary: return 2;
    default: return 0;
  }
}

std::size_t SeriesCost(std::size_t key_size, MetricType type, std::size_t buckets,
                       std::size_t quantiles) {
  std::size_t lines = 1;
  if (type == MetricType::kHistogram) lines = buckets + 3;  // buckets, +Inf, _sum, _count
  if (type == MetricType::kSummary) lines = quantiles + 2;
  // ~32 bytes of a line are not the key: the value, suffixes, quotes, '=' and ','.
  return sizeof(SeriesMeta) + 8 * SlotWidth(type, buckets) + lines * (key_size + 32);
}

SeriesMeta* SeriesMeta::New(RecordArena& arena, std::string_view key, FamilyMeta* family,
                            const FamilyShape* shape, std::uint32_t ttl_ds) {
  static_assert(std::is_trivially_destructible_v<SeriesMeta> &&
                std::is_trivially_destructible_v<std::atomic<double>> &&
                std::is_trivially_destructible_v<std::atomic<std::uint32_t>>);
  // The gauge's offset is a multiple of 8 from the record's start, so the arena's alignment
  // is the atomic double's.
  static_assert(RecordArena::kAlign % alignof(std::atomic<double>) == 0 &&
                alignof(FamilyMeta) <= RecordArena::kAlign);
  std::uint32_t flags = static_cast<std::uint32_t>(key.size());
  if (ttl_ds > 0) flags |= kHasTtl;
  if (shape->type == MetricType::kGauge) flags |= kHasGauge;
  char* bytes = static_cast<char*>(arena.Allocate(KeyAt(flags) + key.size()));
  auto* series = new (bytes) SeriesMeta();
  series->size_flags_ = flags;
  series->family_bits_ = family != nullptr ? reinterpret_cast<std::uintptr_t>(family)
                                           : reinterpret_cast<std::uintptr_t>(shape) | kUnlabelled;
  if (ttl_ds > 0) {
    std::memcpy(bytes + kTtlAt, &ttl_ds, sizeof ttl_ds);
    new (bytes + kLastUpdateAt) std::atomic<std::uint32_t>(0);
  }
  if (flags & kHasGauge) new (bytes + GaugeAt(flags)) std::atomic<double>(0);
  std::memcpy(bytes + KeyAt(flags), key.data(), key.size());
  return series;
}

void SeriesList::push_back(SeriesMeta* series) {
  static_assert(alignof(SeriesMeta) > kMany && alignof(std::vector<SeriesMeta*>) > kMany);
  if (bits_ == 0) {
    bits_ = reinterpret_cast<std::uintptr_t>(series);
  } else if (!many()) {
    auto* list = new std::vector<SeriesMeta*>{one(), series};
    bits_ = reinterpret_cast<std::uintptr_t>(list) | kMany;
  } else {
    vector()->push_back(series);
  }
}

void SeriesList::erase(const SeriesMeta* series) {
  if (!many()) {
    bits_ = 0;
    return;
  }
  std::vector<SeriesMeta*>* list = vector();
  list->erase(std::find(list->begin(), list->end(), series));
  if (list->size() == 1) {  // back to one: held inline again
    bits_ = reinterpret_cast<std::uintptr_t>(list->front());
    delete list;
  }
}

void SeriesMeta::Delete(RecordArena& arena, SeriesMeta* series) {
  // Trivially destructible, parts and all (asserted in New): the memory is all there is to free.
  arena.Free(series, series->KeyAt() + series->key().size());
}

void LabelsOf(const SeriesMeta& series, std::vector<Label>& out) {
  LabelsOfKey(series.key().substr(series.name().size()), out);
}

void LabelsOfKey(std::string_view rest, std::vector<Label>& out) {
  out.clear();
  while (!rest.empty() && rest[0] == '\xff') {
    std::size_t value_at = rest.find('\xfe');
    std::size_t next = rest.find('\xff', 1);
    out.push_back({rest.substr(1, value_at - 1), rest.substr(value_at + 1, next == std::string_view::npos ? next : next - value_at - 1)});
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next);
  }
}

SeriesTable::~SeriesTable() {
  // No lock: nothing else may use a table being destroyed.
  // The arena frees its blocks; records from operator new (long keys) and families' lists
  // need their own.
  for (SeriesMeta* series : series_) SeriesMeta::Delete(records_, series);
  for (FamilyMeta* family : families_) DeleteFamily(records_, family);
}

SeriesMeta* SeriesTable::Find(std::string_view key) const {
  ReaderMutexLock lock(mutex_);
  auto it = series_.find(AbslView(key));
  return it == series_.end() ? nullptr : *it;
}

SeriesMeta* SeriesTable::Intern(const SeriesSpec& spec, InternError& error) {
  writers_waiting_.fetch_add(1, std::memory_order_relaxed);
  WriterMutexLock lock(mutex_);
  writers_waiting_.fetch_sub(1, std::memory_order_relaxed);
  error = InternError::kNone;
  if (auto it = series_.find(AbslView(spec.key)); it != series_.end()) {
    if ((*it)->shape().type == spec.type) return *it;
    error = InternError::kConflict;
    return nullptr;
  }

  // An unlabelled family is never found here: its one series has this key, met above.
  FamilyRef family = FindFamily(spec.name);
  if (family) {
    const std::vector<std::string>& names = *family.shape().label_names;
    bool same_labels = names.size() == spec.labels.size();
    for (std::size_t i = 0; same_labels && i < spec.labels.size(); ++i) {
      same_labels = names[i] == spec.labels[i].first;
    }
    if (family.shape().type != spec.type || !same_labels) {
      error = InternError::kConflict;
      return nullptr;
    }
  } else if (SuffixCollision(spec.name, spec.type)) {
    error = InternError::kConflict;
    return nullptr;
  }
  if (series_.size() >= max_series_.load(std::memory_order_relaxed)) {
    error = InternError::kMaxSeries;
    return nullptr;
  }
  // Charged by the family's buckets and quantiles, which its every series renders.
  std::size_t buckets = family ? family.shape().options->buckets.size() : spec.buckets->size();
  std::size_t quantiles = family ? family.shape().options->summary.quantiles.size()
                                 : spec.summary->quantiles.size();
  std::size_t cost = SeriesCost(spec.key.size(), spec.type, buckets, quantiles);
  if (bytes_.load(std::memory_order_relaxed) + cost > max_bytes_.load(std::memory_order_relaxed)) {
    error = InternError::kMaxBytes;
    return nullptr;
  }

  // Past here the series is not refused: the indexes own the records from the end of this.
  std::uint32_t ttl_ds = SeriesMeta::TtlDeciseconds(spec.ttl_ms);
  SeriesMeta* series;
  if (spec.labels.empty()) {
    // Its own family (one cannot exist already: see above).
    series = SeriesMeta::New(records_, spec.key, nullptr, InternShape(spec), ttl_ds);
    series->list_index = static_cast<std::uint32_t>(family_list_.size());
    family_list_.push_back(FamilyRef(series));
  } else if (FamilyMeta* meta = family.family(); meta != nullptr) {
    series = SeriesMeta::New(records_, spec.key, meta, meta->shape, ttl_ds);
    meta->series.push_back(series);
  } else {
    meta = new (records_.Allocate(sizeof(FamilyMeta))) FamilyMeta();
    meta->shape = InternShape(spec);
    meta->name_size = static_cast<std::uint32_t>(spec.name.size());
    meta->list_index = static_cast<std::uint32_t>(family_list_.size());
    series = SeriesMeta::New(records_, spec.key, meta, meta->shape, ttl_ds);
    meta->series.push_back(series);  // first: the set reads the name from it
    family_list_.push_back(FamilyRef(meta));
    families_.insert(meta);
  }

  bytes_.fetch_add(cost, std::memory_order_relaxed);
  if (ttl_ds > 0) ++with_ttl_;
  if (free_ids_.empty()) {
    series->id = next_id_++;
  } else {
    series->id = free_ids_.back();
    free_ids_.pop_back();
  }
  series_.insert(series);
  return series;
}

bool SeriesTable::SuffixCollision(std::string_view name, MetricType type) const {
  // client_golang's checkSuffixCollisions, both ways round.
  // The caller's shared lock covers the lambda (the analysis does not see through lambdas).
  auto family = [&](std::string_view wanted) ABSL_NO_THREAD_SAFETY_ANALYSIS -> const FamilyShape* {
    FamilyRef found = FindFamily(wanted);
    return found ? &found.shape() : nullptr;
  };
  for (std::string_view suffix : {"_count", "_sum", "_bucket"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      const FamilyShape* base = family(name.substr(0, name.size() - suffix.size()));
      if (base != nullptr && (base->type == MetricType::kHistogram ||
                              (base->type == MetricType::kSummary && suffix != "_bucket"))) {
        return true;
      }
    }
    if (type == MetricType::kHistogram || (type == MetricType::kSummary && suffix != "_bucket")) {
      std::string derived(name);
      derived += suffix;
      if (family(derived) != nullptr) return true;
    }
  }
  return false;
}

const FamilyOptions* SeriesTable::InternOptions(const SeriesSpec& spec) {
  FamilyOptions wanted;
  wanted.help = std::string(spec.help);
  // Only what the type uses, so counters of every mapping share one record.
  if (spec.type == MetricType::kHistogram) wanted.buckets = *spec.buckets;
  if (spec.type == MetricType::kSummary) wanted.summary = *spec.summary;
  auto same = [&](const FamilyOptions& o) {
    const auto& a = o.summary;
    const auto& b = wanted.summary;
    bool same_quantiles = a.quantiles.size() == b.quantiles.size();
    for (std::size_t i = 0; same_quantiles && i < a.quantiles.size(); ++i) {
      same_quantiles = a.quantiles[i].quantile == b.quantiles[i].quantile &&
                       a.quantiles[i].error == b.quantiles[i].error;
    }
    return o.help == wanted.help && o.buckets == wanted.buckets && same_quantiles &&
           a.max_age == b.max_age && a.age_buckets == b.age_buckets && a.buf_cap == b.buf_cap;
  };
  for (const auto& options : options_) {
    if (same(*options)) return options.get();
  }
  options_.push_back(std::make_unique<FamilyOptions>(std::move(wanted)));
  return options_.back().get();
}

const std::vector<std::string>* SeriesTable::InternLabelNames(const SeriesSpec& spec) {
  std::vector<std::string> names;
  for (const auto& label : spec.labels) names.push_back(label.first);
  auto it = label_name_sets_.find(names);
  if (it == label_name_sets_.end()) {
    auto set = std::make_unique<std::vector<std::string>>(names);
    it = label_name_sets_.emplace(std::move(names), std::move(set)).first;
  }
  return it->second.get();
}

const FamilyShape* SeriesTable::InternShape(const SeriesSpec& spec) {
  const FamilyOptions* options = InternOptions(spec);
  const std::vector<std::string>* label_names = InternLabelNames(spec);
  auto [it, added] = shapes_.try_emplace(ShapeKey{options, label_names, spec.type});
  if (added) {
    it->second = std::make_unique<FamilyShape>(FamilyShape{
        options, label_names, spec.type, SlotWidth(spec.type, options->buckets.size())});
  }
  return it->second.get();
}

FamilyRef SeriesTable::FindFamily(std::string_view name) const {
  if (auto it = families_.find(AbslView(name)); it != families_.end()) return FamilyRef(*it);
  if (auto it = series_.find(AbslView(name)); it != series_.end() && (*it)->unlabelled()) {
    return FamilyRef(*it);
  }
  return {};
}

void SeriesTable::Unlist(FamilyRef family) {
  // Swapped with the last: this reorders families(), which is why readers watch generation().
  std::uint32_t index = family.list_index();
  FamilyRef last = family_list_.back();
  family_list_[index] = last;
  last.set_list_index(index);
  family_list_.pop_back();
}

void SeriesTable::Forget(SeriesMeta* series) {
  free_ids_.push_back(series->id);
  if (series->ttl_ds() > 0) --with_ttl_;
  // What Intern charged: the family's buckets and quantiles have not changed since.
  const FamilyShape& shape = series->shape();
  bytes_.fetch_sub(SeriesCost(series->key().size(), shape.type, shape.options->buckets.size(),
                              shape.options->summary.quantiles.size()),
                   std::memory_order_relaxed);
  FamilyMeta* family = series->family();
  if (family == nullptr) {
    Unlist(FamilyRef(series));
  } else if (family->series.size() == 1) {
    // Out of the indexes while its name can still be read (from this, its last series).
    Unlist(FamilyRef(family));
    families_.erase(AbslView(family->name()));
    DeleteFamily(records_, family);
  } else {
    // Its name is read from its first series, whichever that is.
    family->series.erase(series);
  }
  series_.erase(AbslView(series->key()));
  SeriesMeta::Delete(records_, series);
}

void SeriesTable::DeleteFamily(RecordArena& arena, FamilyMeta* family) {
  family->~FamilyMeta();
  arena.Free(family, sizeof(FamilyMeta));
}

bool SeriesTable::AnyExpired(std::int64_t now_ms) const {
  ReaderMutexLock lock(mutex_);
  if (with_ttl_ == 0) return false;
  for (const SeriesMeta* series : series_) {
    if (series->Expired(now_ms)) return true;
  }
  return false;
}

std::size_t SeriesTable::size() const {
  ReaderMutexLock lock(mutex_);
  return series_.size();
}

void SeriesTable::CountByType(std::size_t& counters, std::size_t& gauges, std::size_t& histograms,
                              std::size_t& summaries) const {
  ReaderMutexLock lock(mutex_);
  counters = gauges = histograms = summaries = 0;
  for (const FamilyRef& family : family_list_) {
    std::size_t n = family.series_count();
    switch (family.shape().type) {
      case MetricType::kCounter: counters += n; break;
      case MetricType::kGauge: gauges += n; break;
      case MetricType::kHistogram: histograms += n; break;
      case MetricType::kSummary: summaries += n; break;
      default: break;
    }
  }
}

}  // namespace metricsd::statsd
