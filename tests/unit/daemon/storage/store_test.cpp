// Store, the history store as the sampler and the API use it: a clock that jumps backwards
// (samples out of order are dropped and counted, nothing is corrupted, before and after a
// reopen), staleness markers, flush + reopen round trips, imports (all or nothing, idempotent),
// retention by age, selection by matchers over a time range, and the cut at 120 samples.
// Each test works in its own mkdtemp directory, removed at the end.
#include "daemon/storage/store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/storage/label_matcher.h"
#include "daemon/storage/sample.h"
#include "daemon/storage/series_key.h"
#include "tests/unit/support/temp_dir.h"

namespace metricsd::storage {
namespace {

namespace fs = std::filesystem;

constexpr Timestamp kSecond = 1000;
constexpr Timestamp kHour = 3600 * kSecond;
constexpr Timestamp kDay = 24 * kHour;

// Half an hour ago, on a whole second: recent enough that a flush keeps the heads open (it
// seals a head whose 2 h window has passed), as the sampler's passes are.
Timestamp RecentStart() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::seconds>(now).count() * kSecond - kHour / 2;
}
const Timestamp kT0 = RecentStart();

std::shared_ptr<Store> OpenStore(const StoreOptions& options) {
  std::string error, warning;
  std::shared_ptr<Store> store = Store::Open(options, &error, &warning);
  EXPECT_NE(store, nullptr) << error;
  EXPECT_EQ(warning, "");
  return store;
}

std::shared_ptr<Store> OpenStore(const std::string& directory) {
  StoreOptions options;
  options.directory = directory;
  return OpenStore(options);
}

std::string Key(const std::string& name, const std::string& job) {
  std::optional<std::string> key = KeyOf({{"__name__", name}, {"job", job}});
  EXPECT_TRUE(key.has_value());
  return key.value_or("");
}

LabelMatcher Matcher(MatchType type, const std::string& name, const std::string& value) {
  std::string error;
  std::optional<LabelMatcher> matcher = LabelMatcher::Make(type, name, value, &error);
  EXPECT_TRUE(matcher.has_value()) << error;
  return *matcher;
}

// The ref of the series with exactly `key` (0 when the store does not know it).
SeriesRef RefOf(const Store& store, const std::string& key) {
  std::vector<SeriesRef> refs = store.Select({{Matcher(MatchType::kRegexMatch, "__name__", ".+")}},
                                             std::numeric_limits<Timestamp>::min(),
                                             std::numeric_limits<Timestamp>::max());
  for (SeriesRef ref : refs) {
    if (store.Key(ref) == key) return ref;
  }
  return 0;
}

std::vector<Sample> AllSamples(const Store& store, const std::string& key) {
  std::vector<Sample> out;
  SeriesRef ref = RefOf(store, key);
  if (ref == 0) return out;
  store.RawSamples(ref, std::numeric_limits<Timestamp>::min(), std::numeric_limits<Timestamp>::max(), out);
  return out;
}

// One sampler pass at `t` appending (key, value) pairs.
void Pass(Store& store, Timestamp t, const std::vector<std::pair<std::string, double>>& samples) {
  Store::Appender appender = store.StartPass(t);
  for (const auto& [key, value] : samples) appender.Append(key, value);
  appender.Commit();
}

// Ascending, one sample per timestamp: what "nothing is corrupted" means for a series.
void ExpectStrictlyAscending(const std::vector<Sample>& samples) {
  for (std::size_t i = 1; i < samples.size(); ++i) {
    EXPECT_LT(samples[i - 1].t, samples[i].t) << "at index " << i;
  }
}

std::vector<Timestamp> Times(const std::vector<Sample>& samples) {
  std::vector<Timestamp> times;
  for (const Sample& s : samples) times.push_back(s.t);
  return times;
}

std::vector<double> Values(const std::vector<Sample>& samples) {
  std::vector<double> values;
  for (const Sample& s : samples) values.push_back(s.v);
  return values;
}

TEST(StoreTest, ClockJumpingBackwardsDropsAndCountsSamplesAndCorruptsNothing) {
  TempDir dir;
  const std::string a = Key("m", "a"), b = Key("m", "b");
  {
    std::shared_ptr<Store> store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 5; ++i) Pass(*store, kT0 + i * kSecond, {{a, i}, {b, 10.0 + i}});
    // The clock went back 3 s: a pass at a time already stored, and one before it.
    Pass(*store, kT0 + 2 * kSecond, {{a, 100}, {b, 100}});
    Pass(*store, kT0 + 4 * kSecond, {{a, 100}, {b, 100}});
    EXPECT_EQ(store->Stats().samples_out_of_order, 4u);
    EXPECT_EQ(store->Stats().samples_appended, 10u);
    const std::vector<Timestamp> times = {kT0, kT0 + 1000, kT0 + 2000, kT0 + 3000, kT0 + 4000};
    EXPECT_EQ(Times(AllSamples(*store, a)), times);
    EXPECT_EQ(Values(AllSamples(*store, a)), (std::vector<double>{0, 1, 2, 3, 4}));
    EXPECT_EQ(Values(AllSamples(*store, b)), (std::vector<double>{10, 11, 12, 13, 14}));
    ASSERT_TRUE(store->Flush());
    // The clock catches up again: appending resumes after the last sample.
    Pass(*store, kT0 + 5 * kSecond, {{a, 5}, {b, 15}});
    ASSERT_TRUE(store->Flush());
  }
  std::shared_ptr<Store> reopened = OpenStore(dir.path());
  ASSERT_NE(reopened, nullptr);
  std::vector<Sample> samples = AllSamples(*reopened, a);
  EXPECT_EQ(Values(samples), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  ExpectStrictlyAscending(samples);
  EXPECT_EQ(Values(AllSamples(*reopened, b)), (std::vector<double>{10, 11, 12, 13, 14, 15}));
  // After the reopen the guard still knows each series' last sample.
  Pass(*reopened, kT0 + 3 * kSecond, {{a, 100}, {b, 100}});
  EXPECT_EQ(reopened->Stats().samples_out_of_order, 2u);
  EXPECT_EQ(reopened->Stats().samples_appended, 0u);
  EXPECT_EQ(AllSamples(*reopened, a).size(), 6u);
}

// A series whose head was sealed and written as a closed chunk (idle past its 2 h window) has
// no head row; after a reopen its last timestamp must still guard appends, or a pass at an
// earlier time (the clock went back) starts a chunk at a stored chunk's min_t, and the flush's
// INSERT OR REPLACE on UNIQUE(series_id, tier, min_t) deletes the stored chunk.
TEST(StoreTest, ClockGoingBackAfterAReopenKeepsChunksWrittenFromSealedHeads) {
  TempDir dir;
  const std::string a = Key("m", "a");
  const Timestamp start = kT0 - 3 * kHour;  // older than a head's window: the flush seals it
  {
    std::shared_ptr<Store> store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 5; ++i) Pass(*store, start + i * kSecond, {{a, 1.0 * i}});
    ASSERT_TRUE(store->Flush());
  }
  {
    std::shared_ptr<Store> store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    Pass(*store, start, {{a, 100}});  // the clock went back to the series' first sample
    EXPECT_EQ(store->Stats().samples_out_of_order, 1u)
        << "BUG (daemon/storage/store.cpp Store::Open: last_t is restored from head rows only): "
           "after a reopen a series without a head row accepts samples older than its stored ones";
    ASSERT_TRUE(store->Flush());
  }
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Values(AllSamples(*store, a)), (std::vector<double>{0, 1, 2, 3, 4}))
      << "BUG: the chunk written from the sealed head was replaced (history_db.cpp upsert_chunk "
         "INSERT OR REPLACE on (series_id, tier, min_t)) by a chunk starting at the same min_t";
}

TEST(StoreTest, ASeriesThatDisappearsGetsOneStalenessMarker) {
  TempDir dir;
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const std::string a = Key("m", "a"), b = Key("m", "b");
  Pass(*store, kT0, {{a, 1}, {b, 1}});
  Pass(*store, kT0 + kSecond, {{a, 2}, {b, 2}});
  Pass(*store, kT0 + 2 * kSecond, {{a, 3}});
  Pass(*store, kT0 + 3 * kSecond, {{a, 4}});
  std::vector<Sample> gone = AllSamples(*store, b);
  ASSERT_EQ(gone.size(), 3u);
  EXPECT_EQ(gone[2].t, kT0 + 2 * kSecond);
  EXPECT_TRUE(IsStaleMarker(gone[2].v));
  EXPECT_FALSE(IsStaleMarker(gone[1].v));
  for (const Sample& s : AllSamples(*store, a)) EXPECT_FALSE(IsStaleMarker(s.v)) << s.t;
  // The marker survives the database.
  ASSERT_TRUE(store->Flush());
  store.reset();
  store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  gone = AllSamples(*store, b);
  ASSERT_EQ(gone.size(), 3u);
  EXPECT_TRUE(IsStaleMarker(gone[2].v));
}

TEST(StoreTest, FlushAndReopenRoundTripsEverySample) {
  TempDir dir;
  const std::string a = Key("m", "a"), b = Key("other", "b");
  std::vector<Sample> expected_a, expected_b;
  {
    std::shared_ptr<Store> store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 300; ++i) {
      const Timestamp t = kT0 + i * 10 * kSecond;
      const double va = i * 0.5, vb = 1e6 - i;
      Pass(*store, t, {{a, va}, {b, vb}});
      expected_a.push_back({t, va});
      expected_b.push_back({t, vb});
      if (i % 100 == 50) {
        ASSERT_TRUE(store->Flush());  // flushes in the middle: heads rewritten
      }
    }
    ASSERT_TRUE(store->Flush());
    EXPECT_EQ(store->Stats().series, 2u);
  }
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Stats().series, 2u);
  std::vector<Sample> got_a = AllSamples(*store, a), got_b = AllSamples(*store, b);
  EXPECT_EQ(Times(got_a), Times(expected_a));
  EXPECT_EQ(Values(got_a), Values(expected_a));
  EXPECT_EQ(Times(got_b), Times(expected_b));
  EXPECT_EQ(Values(got_b), Values(expected_b));
  // Appending continues into the resumed head.
  Pass(*store, kT0 + 300 * 10 * kSecond, {{a, 150}, {b, 1e6 - 300}});
  EXPECT_EQ(AllSamples(*store, a).size(), 301u);
  ExpectStrictlyAscending(AllSamples(*store, a));
}

TEST(StoreTest, ImportIsAllOrNothing) {
  TempDir dir;
  StoreOptions options;
  options.directory = dir.path();
  options.max_series = 2;
  std::shared_ptr<Store> store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  const std::string good = Key("imported", "a");
  std::string error;
  // A series without a metric name spoils the whole request.
  std::vector<SeriesSamples> input = {{good, {{kT0, 1}, {kT0 + kSecond, 2}}},
                                      {std::string("\xff" "job\xfe" "x"), {{kT0, 1}}}};
  EXPECT_FALSE(store->Import(input, &error));
  EXPECT_NE(error, "");
  EXPECT_EQ(RefOf(*store, good), 0u);
  EXPECT_EQ(store->Stats().series, 0u);
  // So does one series too many.
  error.clear();
  input = {{good, {{kT0, 1}}}, {Key("imported", "b"), {{kT0, 1}}}, {Key("imported", "c"), {{kT0, 1}}}};
  EXPECT_FALSE(store->Import(input, &error));
  EXPECT_THAT(error, ::testing::HasSubstr("max_series"));
  EXPECT_EQ(RefOf(*store, good), 0u);
  EXPECT_EQ(store->Stats().series, 0u);
  // The same request within the limit is stored whole.
  input.pop_back();
  EXPECT_TRUE(store->Import(input, &error)) << error;
  EXPECT_EQ(AllSamples(*store, good).size(), 1u);
  EXPECT_EQ(AllSamples(*store, Key("imported", "b")).size(), 1u);
}

TEST(StoreTest, ImportingTwiceStoresNothingTheSecondTime) {
  TempDir dir;
  const std::string key = Key("imported", "a");
  std::vector<Sample> samples;
  for (int i = 0; i < 500; ++i) samples.push_back({kT0 + i * 15 * kSecond, static_cast<double>(i % 7)});
  std::vector<Sample> first, second;
  {
    std::shared_ptr<Store> store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    std::string error;
    ASSERT_TRUE(store->Import({{key, samples}}, &error)) << error;
    first = AllSamples(*store, key);
    // The same data again, and a request overlapping half of it.
    ASSERT_TRUE(store->Import({{key, samples}}, &error)) << error;
    std::vector<Sample> half(samples.begin() + 250, samples.end());
    ASSERT_TRUE(store->Import({{key, half}}, &error)) << error;
    second = AllSamples(*store, key);
  }
  EXPECT_EQ(Times(first), Times(samples));
  EXPECT_EQ(Values(first), Values(samples));
  EXPECT_EQ(Times(second), Times(first));
  EXPECT_EQ(Values(second), Values(first));
  std::shared_ptr<Store> reopened = OpenStore(dir.path());
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(Times(AllSamples(*reopened, key)), Times(samples));
}

// The sampler creates series (under the table lock alone) while an import is planned and
// written: each must keep its own ref. An import that took its refs from a copy of next_ref
// handed out the sampler's, and its series then failed to index (every query of them empty).
TEST(StoreTest, AnImportAndTheSamplerCreatingSeriesMeanwhileBothKeepEverySeries) {
  TempDir dir;
  constexpr int kImported = 200;
  std::vector<SeriesSamples> input;
  for (int i = 0; i < kImported; ++i) {
    SeriesSamples series{Key("imported", std::to_string(i)), {}};
    for (int j = 0; j < 1000; ++j) series.samples.push_back({kT0 - kDay + j * 15 * kSecond, static_cast<double>(i + j)});
    input.push_back(std::move(series));
  }
  std::vector<std::string> sampled;
  // Every imported sample, and each sampled series' value (with a staleness marker after it
  // from the next pass); one Select, as thousands of RefOf calls would each scan them all.
  auto expect_every_series = [&](const Store& store) {
    std::map<std::string, SeriesRef> refs;
    for (SeriesRef ref : store.Select({{Matcher(MatchType::kRegexMatch, "__name__", ".+")}},
                                      std::numeric_limits<Timestamp>::min(),
                                      std::numeric_limits<Timestamp>::max())) {
      refs[store.Key(ref)] = ref;
    }
    auto samples_of = [&](const std::string& key) {
      std::vector<Sample> out;
      if (auto it = refs.find(key); it != refs.end()) {
        store.RawSamples(it->second, std::numeric_limits<Timestamp>::min(),
                         std::numeric_limits<Timestamp>::max(), out);
      }
      return out;
    };
    for (const SeriesSamples& series : input) {
      EXPECT_EQ(Times(samples_of(series.key)), Times(series.samples)) << series.key;
    }
    for (std::size_t pass = 0; pass < sampled.size(); ++pass) {
      std::vector<Sample> samples = samples_of(sampled[pass]);
      ASSERT_FALSE(samples.empty()) << sampled[pass];
      EXPECT_EQ(samples.front().v, static_cast<double>(pass)) << sampled[pass];
    }
  };
  {
    std::shared_ptr<Store> store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    std::atomic<bool> done{false};
    std::string error;
    bool imported = false;
    std::thread importer([&] {
      imported = store->Import(input, &error);
      done = true;
    });
    // One new series per pass until the import is done (bounded: it takes well under this).
    for (int pass = 0; pass < 20000 && (!done || pass < 10); ++pass) {
      sampled.push_back(Key("sampled", std::to_string(pass)));
      Pass(*store, kT0 + pass * kSecond, {{sampled.back(), static_cast<double>(pass)}});
    }
    importer.join();
    ASSERT_TRUE(imported) << error;
    expect_every_series(*store);
    ASSERT_TRUE(store->Flush());
  }
  std::shared_ptr<Store> reopened = OpenStore(dir.path());
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->Stats().series, static_cast<std::uint64_t>(kImported) + sampled.size());
  expect_every_series(*reopened);
}

TEST(StoreTest, RetentionByAgeDeletesOldRawChunksOnly) {
  TempDir dir;
  StoreOptions options;
  options.directory = dir.path();
  options.raw_retention = std::chrono::hours(24 * 15);
  std::shared_ptr<Store> store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  const Timestamp now = kT0 + 30 * kDay;
  const std::string old_key = Key("old", "a"), recent_key = Key("recent", "a");
  std::vector<Sample> old_samples, recent_samples;
  for (int i = 0; i < 360; ++i) {
    old_samples.push_back({now - 20 * kDay + i * 10 * kSecond, 1.0 * i});
    recent_samples.push_back({now - kDay + i * 10 * kSecond, 2.0 * i});
  }
  std::string error;
  ASSERT_TRUE(store->Import({{old_key, old_samples}, {recent_key, recent_samples}}, &error)) << error;
  ASSERT_EQ(AllSamples(*store, old_key).size(), 360u);
  store->EnforceRetention(now);
  EXPECT_EQ(AllSamples(*store, old_key).size(), 0u);
  // An import writes a row per 6-hour window: the hour of old samples is one.
  EXPECT_GE(store->Stats().retention_deleted[static_cast<int>(Tier::kRaw)], 1u);
  EXPECT_EQ(Times(AllSamples(*store, recent_key)), Times(recent_samples));
  // Within retention nothing goes.
  store->EnforceRetention(now + kHour);
  EXPECT_EQ(AllSamples(*store, recent_key).size(), 360u);
}

TEST(StoreTest, SelectsByMatchersOverATimeRange) {
  TempDir dir;
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const std::string ma = Key("m", "a"), mb = Key("m", "b"), na = Key("n", "a"), late = Key("late", "c");
  for (int i = 0; i < 3; ++i) Pass(*store, kT0 + i * kSecond, {{ma, 1}, {mb, 2}, {na, 3}});
  // They disappear (a staleness marker at kT0 + 3 s); another series starts later.
  Pass(*store, kT0 + 3 * kSecond, {});
  for (int i = 10; i < 13; ++i) Pass(*store, kT0 + i * kSecond, {{late, 4}});
  auto keys = [&](const std::vector<Matchers>& selectors, Timestamp mint, Timestamp maxt) {
    std::vector<std::string> out;
    for (SeriesRef ref : store->Select(selectors, mint, maxt)) out.push_back(store->Key(ref));
    std::sort(out.begin(), out.end());
    return out;
  };
  const Timestamp all_min = kT0 - kHour, all_max = kT0 + kHour;
  using ::testing::UnorderedElementsAre;
  EXPECT_THAT(keys({{Matcher(MatchType::kEqual, "__name__", "m")}}, all_min, all_max),
              UnorderedElementsAre(ma, mb));
  EXPECT_THAT(keys({{Matcher(MatchType::kRegexMatch, "job", "a|c")}}, all_min, all_max),
              UnorderedElementsAre(ma, na, late));
  EXPECT_THAT(keys({{Matcher(MatchType::kEqual, "__name__", "m"), Matcher(MatchType::kNotEqual, "job", "a")}},
                   all_min, all_max),
              UnorderedElementsAre(mb));
  // Two selectors: the union.
  EXPECT_THAT(keys({{Matcher(MatchType::kEqual, "__name__", "n")}, {Matcher(MatchType::kEqual, "job", "c")}},
                   all_min, all_max),
              UnorderedElementsAre(na, late));
  // The time range: the early series end at kT0 + 3 s (their marker), the late one starts at +10 s.
  const Matchers any_job = {Matcher(MatchType::kRegexMatch, "job", ".+")};
  EXPECT_THAT(keys({any_job}, kT0 + 5 * kSecond, all_max), UnorderedElementsAre(late));
  EXPECT_THAT(keys({any_job}, all_min, kT0 + 2 * kSecond), UnorderedElementsAre(ma, mb, na));
  EXPECT_THAT(keys({any_job}, kT0 + 20 * kSecond, all_max), ::testing::IsEmpty());
  // RawSamples over a range returns only that range.
  std::vector<Sample> part;
  store->RawSamples(RefOf(*store, ma), kT0 + kSecond, kT0 + 2 * kSecond, part);
  EXPECT_EQ(Times(part), (std::vector<Timestamp>{kT0 + kSecond, kT0 + 2 * kSecond}));
}

TEST(StoreTest, HeadChunksAreCutAt120Samples) {
  TempDir dir;
  const std::string key = Key("m", "a");
  {
    std::shared_ptr<Store> store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 119; ++i) Pass(*store, kT0 + i * kSecond, {{key, 1.0 * i}});
    EXPECT_EQ(store->Stats().chunks, 1u);
    Pass(*store, kT0 + 119 * kSecond, {{key, 119}});
    EXPECT_EQ(store->Stats().chunks, 1u);  // 120 samples: full, not yet cut
    Pass(*store, kT0 + 120 * kSecond, {{key, 120}});
    EXPECT_EQ(store->Stats().chunks, 2u);  // the 121st opens a new head
    for (int i = 121; i < 250; ++i) Pass(*store, kT0 + i * kSecond, {{key, 1.0 * i}});
    EXPECT_EQ(store->Stats().chunks, 3u);  // 120 + 120 sealed, 10 in the head
    ASSERT_TRUE(store->Flush());
    EXPECT_EQ(store->Stats().chunks, 1u);  // the sealed ones are on disk now
    EXPECT_EQ(AllSamples(*store, key).size(), 250u);
  }
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  std::vector<Sample> samples = AllSamples(*store, key);
  ASSERT_EQ(samples.size(), 250u);
  ExpectStrictlyAscending(samples);
  EXPECT_EQ(samples.back().v, 249);
}

}  // namespace
}  // namespace metricsd::storage
