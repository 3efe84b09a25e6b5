// The series table's records and indexes: an unlabelled series stands for its own family (no
// family record), labelled families share one; statsd_exporter's conflicts and client_golang's
// suffix rule hold across both kinds; the optional parts of a record (a gauge's value, a ttl)
// are laid out only where used and read back intact; expiry keeps families() consistent. And
// the RecordArena the records come from.
#include "collectors/statsd/series_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "collectors/statsd/record_arena.h"

namespace metricsd::statsd {
namespace {

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

const std::vector<double> kBuckets = {0.1, 1, 10};
const SummaryOptions kSummary{};

// The key as the aggregator builds it: the name, then '\xff' name '\xfe' value per label.
std::string KeyOf(const std::string& name, const LabelPairs& labels) {
  std::string key = name;
  for (const auto& [label, value] : labels) key += '\xff' + label + '\xfe' + value;
  return key;
}

struct Interned {
  SeriesMeta* series;
  InternError error;
};

Interned Intern(SeriesTable& table, const std::string& name, MetricType type,
                const LabelPairs& labels = {}, std::int64_t ttl_ms = 0) {
  std::string key = KeyOf(name, labels);
  SeriesSpec spec{key, name, "help", type, labels, &kBuckets, &kSummary, ttl_ms};
  InternError error;
  SeriesMeta* series = table.Intern(spec, error);
  return {series, error};
}

// families() as name -> series count, under the table's lock.
std::vector<std::pair<std::string, std::size_t>> Families(const SeriesTable& table) {
  ReaderMutexLock lock(table.mutex());
  std::vector<std::pair<std::string, std::size_t>> out;
  std::span<const FamilyRef> families = table.families();
  for (std::size_t i = 0; i < families.size(); ++i) {
    EXPECT_EQ(families[i].list_index(), i);  // what removal swaps by
    out.emplace_back(std::string(families[i].name()), families[i].series_count());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SeriesTable, AnUnlabelledSeriesIsItsOwnFamilyAndLabelledOnesShareOne) {
  SeriesTable table(100);
  Interned plain = Intern(table, "plays", MetricType::kCounter);
  ASSERT_NE(plain.series, nullptr);
  EXPECT_TRUE(plain.series->unlabelled());
  EXPECT_EQ(plain.series->family(), nullptr);
  EXPECT_EQ(plain.series->name(), "plays");
  EXPECT_EQ(plain.series->key(), "plays");
  EXPECT_EQ(plain.series->shape().type, MetricType::kCounter);

  Interned eu = Intern(table, "hits", MetricType::kCounter, {{"region", "eu"}});
  Interned us = Intern(table, "hits", MetricType::kCounter, {{"region", "us"}});
  ASSERT_NE(eu.series, nullptr);
  ASSERT_NE(us.series, nullptr);
  EXPECT_FALSE(eu.series->unlabelled());
  EXPECT_EQ(eu.series->family(), us.series->family());
  EXPECT_EQ(us.series->name(), "hits");
  std::vector<Label> labels;
  LabelsOf(*us.series, labels);
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].name, "region");
  EXPECT_EQ(labels[0].value, "us");
  LabelsOf(*plain.series, labels);
  EXPECT_TRUE(labels.empty());

  // The same key again is the same series.
  EXPECT_EQ(Intern(table, "plays", MetricType::kCounter).series, plain.series);
  EXPECT_EQ(table.Find("plays"), plain.series);
  EXPECT_EQ(table.Find(KeyOf("hits", {{"region", "eu"}})), eu.series);
  EXPECT_EQ(table.size(), 3u);
  using Row = std::pair<std::string, std::size_t>;
  EXPECT_EQ(Families(table), (std::vector<Row>{{"hits", 2}, {"plays", 1}}));
}

TEST(SeriesTable, ConflictsHoldAcrossUnlabelledAndLabelledFamilies) {
  SeriesTable table(100);
  ASSERT_NE(Intern(table, "a", MetricType::kCounter).series, nullptr);
  // Another label-name set under an unlabelled family's name, and the other way round.
  EXPECT_EQ(Intern(table, "a", MetricType::kCounter, {{"x", "1"}}).error, InternError::kConflict);
  ASSERT_NE(Intern(table, "b", MetricType::kCounter, {{"x", "1"}}).series, nullptr);
  EXPECT_EQ(Intern(table, "b", MetricType::kCounter).error, InternError::kConflict);
  EXPECT_EQ(Intern(table, "b", MetricType::kCounter, {{"y", "1"}}).error, InternError::kConflict);
  // Another type under the same name, or the same key.
  EXPECT_EQ(Intern(table, "a", MetricType::kGauge).error, InternError::kConflict);
  EXPECT_EQ(Intern(table, "b", MetricType::kGauge, {{"x", "2"}}).error, InternError::kConflict);
  // client_golang's suffix rule, both ways round, for both kinds of family.
  ASSERT_NE(Intern(table, "t", MetricType::kSummary).series, nullptr);
  EXPECT_EQ(Intern(table, "t_sum", MetricType::kCounter).error, InternError::kConflict);
  EXPECT_EQ(Intern(table, "t_count", MetricType::kGauge, {{"x", "1"}}).error, InternError::kConflict);
  EXPECT_NE(Intern(table, "t_bucket", MetricType::kCounter).series, nullptr);  // summaries have none
  ASSERT_NE(Intern(table, "h_bucket", MetricType::kCounter, {{"x", "1"}}).series, nullptr);
  EXPECT_EQ(Intern(table, "h", MetricType::kHistogram).error, InternError::kConflict);
  EXPECT_EQ(table.size(), 5u);  // a, b{x}, t, t_bucket, h_bucket{x}
}

TEST(SeriesTable, OptionalPartsAreLaidOutWhereUsedAndReadBackIntact) {
  SeriesTable table(100);
  struct Case {
    std::string name;
    MetricType type;
    LabelPairs labels;
    std::int64_t ttl_ms;
  };
  // Every combination of gauge or not, ttl or not, labels or not; keys of several lengths, so
  // the parts after the header meet every alignment.
  std::vector<Case> cases;
  for (MetricType type : {MetricType::kCounter, MetricType::kGauge, MetricType::kSummary}) {
    for (std::int64_t ttl : {0, 1, 2500}) {
      for (int labelled = 0; labelled < 2; ++labelled) {
        std::string name = "m" + std::to_string(cases.size()) + std::string(cases.size() % 9, 'x');
        LabelPairs labels;
        if (labelled) labels = {{"k", std::string(cases.size() % 5, 'v')}};
        cases.push_back({name, type, labels, ttl});
      }
    }
  }
  std::vector<SeriesMeta*> made;
  for (const Case& c : cases) {
    Interned got = Intern(table, c.name, c.type, c.labels, c.ttl_ms);
    ASSERT_NE(got.series, nullptr) << c.name;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(got.series) % RecordArena::kAlign, 0u);
    made.push_back(got.series);
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SeriesMeta& series = *made[i];
    if (c.type == MetricType::kGauge) series.gauge().store(1.5 + static_cast<double>(i));
    series.Touch(1000);
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const SeriesMeta& series = *made[i];
    EXPECT_EQ(series.key(), KeyOf(c.name, c.labels)) << c.name;
    EXPECT_EQ(series.name(), c.name);
    EXPECT_EQ(series.shape().type, c.type);
    EXPECT_EQ(series.ttl_ds(), SeriesMeta::TtlDeciseconds(c.ttl_ms)) << c.name;
    if (c.type == MetricType::kGauge) {
      EXPECT_EQ(series.gauge().load(), 1.5 + static_cast<double>(i));
    }
    // A 1 ms ttl is a decisecond; 2.5 s is 25.
    EXPECT_FALSE(series.Expired(1000));
    EXPECT_EQ(series.Expired(1100), c.ttl_ms == 1) << c.name;
    EXPECT_EQ(series.Expired(1000 + 2500), c.ttl_ms > 0) << c.name;
  }
}

TEST(SeriesTable, ExpiryKeepsFamiliesAndIndexesConsistent) {
  SeriesTable table(1000);
  // Interleaved: expiring and lasting series of both kinds, so removals swap entries of
  // families() of either kind into the holes.
  for (int i = 0; i < 40; ++i) {
    std::int64_t ttl = i % 2 == 0 ? 100 : 0;
    ASSERT_NE(Intern(table, "solo" + std::to_string(i), MetricType::kCounter, {}, ttl).series, nullptr);
    ASSERT_NE(Intern(table, "fam" + std::to_string(i % 4), MetricType::kGauge,
                     {{"i", std::to_string(i)}}, ttl).series,
              nullptr);
  }
  for (int i = 0; i < 40; ++i) {
    table.Find("solo" + std::to_string(i))->Touch(0);
    table.Find(KeyOf("fam" + std::to_string(i % 4), {{"i", std::to_string(i)}}))->Touch(0);
  }
  std::set<const SeriesMeta*> removed;
  EXPECT_EQ(table.Expire(500, [&](const SeriesMeta& series) { removed.insert(&series); }), 40u);
  EXPECT_EQ(removed.size(), 40u);
  EXPECT_EQ(table.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    bool kept = i % 2 == 1;
    EXPECT_EQ(table.Find("solo" + std::to_string(i)) != nullptr, kept) << i;
    EXPECT_EQ(table.Find(KeyOf("fam" + std::to_string(i % 4), {{"i", std::to_string(i)}})) != nullptr,
              kept)
        << i;
  }
  // fam0 and fam2 held only even (expired) series: gone with them; fam1 and fam3 keep 10 each.
  auto families = Families(table);
  ASSERT_EQ(families.size(), 22u);
  EXPECT_EQ(families[0], (std::pair<std::string, std::size_t>{"fam1", 10}));
  EXPECT_EQ(families[1], (std::pair<std::string, std::size_t>{"fam3", 10}));
  std::size_t counters, gauges, histograms, summaries;
  table.CountByType(counters, gauges, histograms, summaries);
  EXPECT_EQ(counters, 20u);
  EXPECT_EQ(gauges, 20u);
  // A gone family's name is free for another type or label set.
  EXPECT_NE(Intern(table, "fam0", MetricType::kCounter).series, nullptr);
  EXPECT_NE(Intern(table, "solo0", MetricType::kGauge, {{"now", "labelled"}}).series, nullptr);
  EXPECT_GT(table.bytes(), 0u);
}

TEST(RecordArena, ReusesFreedRecordsOfTheirSizeAndAlignsToEight) {
  RecordArena arena;
  void* a = arena.Allocate(44);
  void* b = arena.Allocate(44);
  void* c = arena.Allocate(20);
  for (void* p : {a, b, c}) EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 8, 0u);
  // 44 rounds to 48: back to back, no header between.
  EXPECT_EQ(static_cast<char*>(b) - static_cast<char*>(a), 48);
  arena.Free(a, 44);
  EXPECT_EQ(arena.Allocate(41), a);   // the same 48-byte class
  EXPECT_NE(arena.Allocate(20), a);   // another class
  // Large records bypass the blocks and come back through operator delete (ASan checks).
  void* big = arena.Allocate(100000);
  std::memset(big, 1, 100000);
  arena.Free(big, 100000);
  EXPECT_EQ(arena.block_bytes(), std::size_t{64} << 10);
}

}  // namespace
}  // namespace metricsd::statsd
