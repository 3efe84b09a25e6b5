#include "daemon/storage/label_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>

#include "daemon/storage/series_key.h"

namespace metricsd::storage {
namespace {

using namespace std::string_literals;

LabelMatcher M(MatchType type, std::string name, std::string value) {
  std::string error;
  auto matcher = LabelMatcher::Make(type, std::move(name), std::move(value), &error);
  EXPECT_TRUE(matcher) << error;
  return *matcher;
}

std::string Key(std::string_view name, std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  SeriesKeyBuilder builder;
  builder.Reset(name);
  for (const auto& [n, v] : labels) builder.Add(n, v);
  return std::string(*builder.Finish());
}

TEST(LabelIndex, FindKeyInsertRemove) {
  LabelIndex index;
  std::string a = Key("up", {{"job", "node"}}), b = Key("up", {{"job", "api"}});
  EXPECT_TRUE(index.Insert(1, a));
  EXPECT_TRUE(index.Insert(2, b));
  EXPECT_FALSE(index.Insert(2, Key("x", {})));  // ref taken
  EXPECT_FALSE(index.Insert(3, a));             // key taken
  // Only canonical keys (SeriesKeyBuilder's) are indexed: one encoding per label set.
  EXPECT_FALSE(index.Insert(4, "up\xffjob\xfenode\xff" "a\xfe" "1"s));  // unsorted
  EXPECT_FALSE(index.Insert(4, "up\xffjob\xfe"s));                       // empty value
  EXPECT_FALSE(index.Insert(4, "up\xffjob"s));                            // no value marker
  EXPECT_FALSE(index.Insert(4, "up\xff__name__\xfex"s));                 // a name label
  EXPECT_FALSE(index.Insert(4, "up\xff" "a\xfe" "1\xff" "a\xfe" "2"s));     // repeated label
  EXPECT_FALSE(index.Find("up\xffjob\xfe"s));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.Find(a), 1u);
  EXPECT_EQ(index.Find(b), 2u);
  EXPECT_FALSE(index.Find("nope"));
  EXPECT_EQ(index.Key(2), b);
  EXPECT_EQ(index.Key(9), "");
  index.Remove(1);
  index.Remove(77);  // unknown: ignored
  EXPECT_FALSE(index.Find(a));
  EXPECT_EQ(index.Key(1), "");
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.LabelValues("job", nullptr), std::vector<std::string>{"api"});
  index.Remove(2);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.LabelNames(nullptr).empty());
}

TEST(LabelIndex, SelectsWithPrometheusSemantics) {
  LabelIndex index;
  index.Insert(1, Key("http_total", {{"code", "200"}, {"job", "api"}}));
  index.Insert(2, Key("http_total", {{"code", "500"}, {"job", "api"}}));
  index.Insert(3, Key("http_total", {{"job", "web"}}));
  index.Insert(4, Key("up", {{"job", "api"}}));
  auto select = [&](std::vector<LabelMatcher> matchers) { return index.Select(matchers); };
  using Refs = std::vector<SeriesRef>;
  EXPECT_EQ(select({M(MatchType::kEqual, "__name__", "http_total")}), (Refs{1, 2, 3}));
  EXPECT_EQ(select({M(MatchType::kEqual, "__name__", "http_total"), M(MatchType::kEqual, "job", "api")}), (Refs{1, 2}));
  // A missing label matches as "": code!="200" takes series 3 (no code) too.
  EXPECT_EQ(select({M(MatchType::kEqual, "__name__", "http_total"), M(MatchType::kNotEqual, "code", "200")}), (Refs{2, 3}));
  EXPECT_EQ(select({M(MatchType::kEqual, "code", "")}), (Refs{3, 4}));
  EXPECT_EQ(select({M(MatchType::kRegexMatch, "code", "5.*|")}), (Refs{2, 3, 4}));
  EXPECT_EQ(select({M(MatchType::kRegexMatch, "code", ".+")}), (Refs{1, 2}));
  EXPECT_EQ(select({M(MatchType::kRegexNoMatch, "__name__", "http.*")}), (Refs{4}));
  EXPECT_EQ(select({M(MatchType::kRegexMatch, "__name__", "http")}), Refs{});  // anchored
  EXPECT_EQ(select({M(MatchType::kEqual, "nolabel", "x")}), Refs{});
  EXPECT_EQ(select({M(MatchType::kRegexMatch, "nolabel", ".*")}), (Refs{1, 2, 3, 4}));
  EXPECT_EQ(select({}), (Refs{1, 2, 3, 4}));
}

TEST(LabelIndex, OutOfOrderInsertsKeepPostingsSorted) {
  LabelIndex index;
  for (SeriesRef ref : {50u, 10u, 30u, 20u, 40u, 5u}) {
    index.Insert(ref, Key("m", {{"i", std::to_string(ref)}, {"all", "yes"}}));
  }
  EXPECT_EQ(index.Select(std::vector{M(MatchType::kEqual, "all", "yes")}),
            (std::vector<SeriesRef>{5, 10, 20, 30, 40, 50}));
}

TEST(LabelIndex, RemovingTheSeriesAValueViewPointsIntoKeepsTheValue) {
  LabelIndex index;
  // Series 1 is the first with job="shared": the value's stored view points into its key.
  index.Insert(1, Key("a", {{"job", "shared"}}));
  index.Insert(2, Key("b", {{"job", "shared"}}));
  index.Remove(1);
  index.Insert(3, Key("c", {{"job", "shared"}}));
  EXPECT_EQ(index.LabelValues("job", nullptr), std::vector<std::string>{"shared"});
  EXPECT_EQ(index.Select(std::vector{M(MatchType::kEqual, "job", "shared")}), (std::vector<SeriesRef>{2, 3}));
}

TEST(LabelIndex, LabelNamesAndValues) {
  LabelIndex index;
  index.Insert(1, Key("a", {{"x", "1"}, {"y", "2"}}));
  index.Insert(2, Key("b", {{"x", "3"}, {"z", "4"}}));
  EXPECT_EQ(index.LabelNames(nullptr), (std::vector<std::string>{"__name__", "x", "y", "z"}));
  std::vector<SeriesRef> second = {2};
  EXPECT_EQ(index.LabelNames(&second), (std::vector<std::string>{"__name__", "x", "z"}));
  EXPECT_EQ(index.LabelValues("x", nullptr), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(index.LabelValues("x", &second), std::vector<std::string>{"3"});
  EXPECT_EQ(index.LabelValues("__name__", nullptr), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(index.LabelValues("y", &second).empty());
  EXPECT_TRUE(index.LabelValues("none", nullptr).empty());
}

TEST(LabelIndex, MemoryBytesGrowsAndShrinks) {
  LabelIndex index;
  std::size_t empty = index.MemoryBytes();
  for (SeriesRef ref = 0; ref < 1000; ++ref) index.Insert(ref, Key("m", {{"id", std::to_string(ref)}, {"job", "j"}}));
  std::size_t full = index.MemoryBytes();
  EXPECT_GT(full, empty + 1000 * 40);   // at least the keys and tables
  EXPECT_LT(full, empty + 1000 * 400);  // and not absurd
  std::vector<SeriesRef> all(1000);
  for (SeriesRef ref = 0; ref < 1000; ++ref) all[ref] = ref;
  index.Remove(all);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_LT(index.MemoryBytes(), full);
}

// The reference: every live series, checked against every matcher one by one.
class Reference {
 public:
  void Insert(SeriesRef ref, const std::string& key) { series_[ref] = key; }
  void Remove(SeriesRef ref) { series_.erase(ref); }
  std::vector<SeriesRef> Select(const std::vector<LabelMatcher>& matchers) const {
    std::vector<SeriesRef> out;
    for (const auto& entry : series_) {
      const std::string& key = entry.second;  // clang 14 lambdas cannot capture bindings
      bool all = std::all_of(matchers.begin(), matchers.end(), [&](const LabelMatcher& m) {
        return m.Matches(KeyLabelValue(key, m.name()));
      });
      if (all) out.push_back(entry.first);
    }
    return out;
  }
  std::vector<std::string> Names() const {
    std::set<std::string> names;
    for (const auto& [ref, key] : series_) {
      for (const auto& label : LabelsOfKey(key)) names.insert(label.name);
    }
    return {names.begin(), names.end()};
  }
  std::vector<std::string> Values(const std::string& name) const {
    std::set<std::string> values;
    for (const auto& [ref, key] : series_) {
      std::string_view value = KeyLabelValue(key, name);
      if (!value.empty()) values.insert(std::string(value));
    }
    return {values.begin(), values.end()};
  }
  const std::map<SeriesRef, std::string>& series() const { return series_; }

 private:
  std::map<SeriesRef, std::string> series_;
};

TEST(LabelIndex, SelectAgreesWithBruteForceOnRandomSeries) {
  std::mt19937 rng(12345);
  auto pick = [&](const std::vector<std::string>& from) { return from[rng() % from.size()]; };
  const std::vector<std::string> names = {"game_requests", "game_errors", "node_cpu", "up", "x"};
  const std::vector<std::string> label_names = {"job", "zone", "shard", "id", "path", "mode"};
  const std::vector<std::string> values = {"", "a", "b", "ab", "eu", "us", "1", "10", "abc"};

  LabelIndex index;
  Reference reference;
  SeriesRef next = 1;
  auto add_series = [&](SeriesRef ref) {
    SeriesKeyBuilder builder;
    builder.Reset(pick(names));
    for (const std::string& label : label_names) {
      if (rng() % 3 == 0) continue;
      std::string value = label == "id" ? std::to_string(rng() % 500) : pick(values);
      builder.Add(label, value);
    }
    std::string key(*builder.Finish());
    bool inserted = index.Insert(ref, key);
    EXPECT_EQ(inserted, !index.Find(key) || *index.Find(key) == ref);
    if (inserted) reference.Insert(ref, key);
  };
  for (int i = 0; i < 2000; ++i) add_series(next++);

  const std::vector<std::string> regexes = {".*", ".+", "a.*", "", "eu|us", "a|", "[0-9]+", "1.*", "b", "game_.*", "x|up"};
  auto random_matcher = [&] {
    auto type = static_cast<MatchType>(rng() % 4);
    std::string name = rng() % 5 == 0 ? "__name__" : rng() % 10 == 0 ? "absent" : pick(label_names);
    bool regex = type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch;
    std::string value = regex ? pick(regexes) : name == "__name__" ? pick(names) : name == "id" ? std::to_string(rng() % 500) : pick(values);
    return M(type, name, value);
  };
  auto check = [&](int rounds) {
    for (int round = 0; round < rounds; ++round) {
      std::vector<LabelMatcher> matchers;
      int count = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < count; ++i) matchers.push_back(random_matcher());
      std::string text;
      for (const auto& m : matchers) text += m.ToString() + " ";
      ASSERT_EQ(index.Select(matchers), reference.Select(matchers)) << text;
    }
  };
  check(3000);
  EXPECT_EQ(index.LabelNames(nullptr), reference.Names());
  for (const std::string& label : label_names) EXPECT_EQ(index.LabelValues(label, nullptr), reference.Values(label));

  // Remove a third (one by one and in a batch), add more out of order, check again.
  std::vector<SeriesRef> batch;
  for (const auto& [ref, key] : std::map(reference.series())) {
    if (rng() % 3 != 0) continue;
    if (rng() % 2 == 0) {
      index.Remove(ref);
    } else {
      batch.push_back(ref);
    }
    reference.Remove(ref);
  }
  index.Remove(batch);
  for (int i = 0; i < 300; ++i) add_series(next + 1000 - static_cast<SeriesRef>(i));
  EXPECT_EQ(index.size(), reference.series().size());
  check(3000);
  EXPECT_EQ(index.LabelNames(nullptr), reference.Names());
  for (const std::string& label : label_names) EXPECT_EQ(index.LabelValues(label, nullptr), reference.Values(label));
  for (const auto& [ref, key] : reference.series()) {
    ASSERT_EQ(index.Find(key), ref);
    ASSERT_EQ(index.Key(ref), key);
  }
  std::vector<SeriesRef> some = {reference.series().begin()->first, reference.series().rbegin()->first};
  std::set<std::string> expected_names;
  for (SeriesRef ref : some) {
    for (const auto& label : LabelsOfKey(reference.series().at(ref))) expected_names.insert(label.name);
  }
  EXPECT_EQ(index.LabelNames(&some), std::vector<std::string>(expected_names.begin(), expected_names.end()));
}

}  // namespace
}  // namespace metricsd::storage
