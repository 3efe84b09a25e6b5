// Store::RawSamples' in-memory shortcut: a range starting after the newest closed chunk on disk
// is read from the head and the sealed chunks only, without SQLite. Every test reads the same
// ranges with the shortcut and without it (raw_samples_fast_path, the path that always queries
// the database) and requires equal answers, bit for bit, and the samples the test appended:
// data on disk and in the head, ranges inside the head and straddling disk and head, imports
// of older data (and into the head's own range), flushes moving sealed chunks to disk,
// retention, a staleness marker on the boundary, a reopened store (the bound learned from the
// database), and readers racing an appender and flushes.
// Each test works in its own mkdtemp directory, removed at the end.
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/storage/label_matcher.h"
#include "daemon/storage/sample.h"
#include "daemon/storage/series_key.h"
#include "daemon/storage/store.h"
#include "daemon/storage/store_state.h"
#include "tests/unit/support/temp_dir.h"

namespace metricsd::storage {
namespace {

constexpr Timestamp kSecond = 1000;
constexpr Timestamp kMinute = 60 * kSecond;
constexpr Timestamp kHour = 60 * kMinute;
constexpr Timestamp kStep = 10 * kSecond;  // the sampler's interval in these tests

// Recent, on a whole minute: a flush keeps the heads open (it seals a head whose 2 h window
// has passed), as with the sampler's passes.
Timestamp RecentStart() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::minutes>(now).count() * kMinute - kHour / 2;
}

std::shared_ptr<Store> OpenStore(const std::string& directory, Duration raw_retention = std::chrono::hours(24 * 15)) {
  StoreOptions options;
  options.directory = directory;
  options.raw_retention = raw_retention;
  std::string error, warning;
  std::shared_ptr<Store> store = Store::Open(options, &error, &warning);
  EXPECT_NE(store, nullptr) << error;
  return store;
}

std::string Key(const std::string& job) {
  std::optional<std::string> key = KeyOf({{"__name__", "m"}, {"job", job}});
  EXPECT_TRUE(key.has_value());
  return key.value_or("");
}

void Pass(Store& store, Timestamp t, const std::vector<std::pair<std::string, double>>& samples) {
  Store::Appender appender = store.StartPass(t);
  for (const auto& [key, value] : samples) appender.Append(key, value);
  appender.Commit();
}

// Restores the shortcut at the end of a test, whatever happened.
class FastPathSwitch {
 public:
  ~FastPathSwitch() { raw_samples_fast_path = true; }
};

std::vector<Sample> Read(const Store& store, SeriesRef ref, Timestamp mint, Timestamp maxt, bool fast) {
  FastPathSwitch restore;
  raw_samples_fast_path = fast;
  std::vector<Sample> out;
  store.RawSamples(ref, mint, maxt, out);
  return out;
}

// Samples compared bit for bit (a staleness marker is a NaN: == would fail on it).
bool SameSamples(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].t != b[i].t || std::bit_cast<std::uint64_t>(a[i].v) != std::bit_cast<std::uint64_t>(b[i].v)) {
      return false;
    }
  }
  return true;
}

std::string Describe(const std::vector<Sample>& samples) {
  std::string text = std::to_string(samples.size()) + " samples";
  for (std::size_t i = 0; i < samples.size() && i < 6; ++i) {
    text += " (" + std::to_string(samples[i].t) + ", " + std::to_string(samples[i].v) + ")";
  }
  return text;
}

// `expected`'s samples in [mint, maxt].
std::vector<Sample> Within(const std::vector<Sample>& expected, Timestamp mint, Timestamp maxt) {
  std::vector<Sample> out;
  for (const Sample& s : expected) {
    if (s.t >= mint && s.t <= maxt) out.push_back(s);
  }
  return out;
}

// Reads [mint, maxt] both ways: equal to each other and to what the test stored there.
void ExpectRange(const Store& store, SeriesRef ref, Timestamp mint, Timestamp maxt,
                 const std::vector<Sample>& expected, const std::string& what) {
  SCOPED_TRACE(what);
  const std::vector<Sample> fast = Read(store, ref, mint, maxt, true);
  const std::vector<Sample> slow = Read(store, ref, mint, maxt, false);
  const std::vector<Sample> want = Within(expected, mint, maxt);
  EXPECT_TRUE(SameSamples(fast, slow)) << "fast: " << Describe(fast) << "; slow: " << Describe(slow);
  EXPECT_TRUE(SameSamples(fast, want)) << "fast: " << Describe(fast) << "; expected: " << Describe(want);
}

// Every kind of range over a series whose samples are `expected` (ascending, at kStep).
void ExpectAllRanges(const Store& store, SeriesRef ref, const std::vector<Sample>& expected) {
  ASSERT_FALSE(expected.empty());
  const Timestamp first = expected.front().t, last = expected.back().t;
  ExpectRange(store, ref, last - 5 * kSecond, last, expected, "the newest few seconds");
  ExpectRange(store, ref, last - 2 * kMinute, last + kMinute, expected, "the last two minutes");
  ExpectRange(store, ref, last, last, expected, "the newest sample alone");
  ExpectRange(store, ref, last + 1, last + kHour, expected, "after the newest sample");
  ExpectRange(store, ref, first, last, expected, "everything");
  ExpectRange(store, ref, (first + last) / 2, last, expected, "from the middle");
  ExpectRange(store, ref, first - kHour, first + kMinute, expected, "the oldest minute");
  ExpectRange(store, ref, std::numeric_limits<Timestamp>::min(), std::numeric_limits<Timestamp>::max(),
              expected, "all time");
  // Each chunk boundary: a range starting at every 60th sample up to the newest.
  for (std::size_t i = 0; i < expected.size(); i += 60) {
    ExpectRange(store, ref, expected[i].t, last, expected, "from sample " + std::to_string(i));
    ExpectRange(store, ref, expected[i].t + 1, expected[i].t + 3 * kMinute, expected,
                "three minutes after sample " + std::to_string(i));
  }
}

// Appends `count` passes of one series from `start`, at kStep, to `expected` too.
void AppendRun(Store& store, const std::string& key, Timestamp start, int count, double base,
               std::vector<Sample>& expected) {
  for (int i = 0; i < count; ++i) {
    const Timestamp t = start + i * kStep;
    const double v = base + 0.25 * i;
    Pass(store, t, {{key, v}});
    expected.push_back({t, v});
  }
}

TEST(StoreRawFastPathTest, DataOnDiskAndInTheHeadReadTheSameBothWays) {
  TempDir dir;
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const std::string a = Key("a");
  std::vector<Sample> expected;
  // 300 samples: two sealed chunks of 120 and a head of 60.
  AppendRun(*store, a, RecentStart(), 300, 1, expected);
  const SeriesRef ref = store->Find(a).value_or(0);
  ASSERT_NE(ref, 0u);
  ExpectAllRanges(*store, ref, expected);  // sealed chunks pending, nothing on disk
  ASSERT_TRUE(store->Flush());            // the sealed chunks go to disk, the head stays
  ExpectAllRanges(*store, ref, expected);
  // More passes: a new sealed chunk pending while older ones are on disk.
  AppendRun(*store, a, expected.back().t + kStep, 100, 500, expected);
  ExpectAllRanges(*store, ref, expected);
  ASSERT_TRUE(store->Flush());
  ExpectAllRanges(*store, ref, expected);
}

TEST(StoreRawFastPathTest, ImportsOfOlderDataAndIntoTheHeadsRangeAreRead) {
  TempDir dir;
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const std::string a = Key("a");
  const Timestamp start = RecentStart();
  std::vector<Sample> expected;
  AppendRun(*store, a, start, 150, 1, expected);
  ASSERT_TRUE(store->Flush());
  const SeriesRef ref = store->Find(a).value_or(0);
  ASSERT_NE(ref, 0u);
  ExpectAllRanges(*store, ref, expected);  // learns the series has a chunk on disk
  // Older data (before everything stored), then samples between the head's own (at +5 s):
  // the import writes closed chunks overlapping the head's range.
  SeriesSamples older{a, {}};
  for (int i = 1; i <= 90; ++i) older.samples.push_back({start - i * kStep, -1.0 * i});
  SeriesSamples between{a, {}};
  for (int i = 120; i < 150; ++i) between.samples.push_back({start + i * kStep + 5 * kSecond, 1000.0 + i});
  std::string error;
  ASSERT_TRUE(store->Import({older}, &error)) << error;
  ASSERT_TRUE(store->Import({between}, &error)) << error;
  for (const SeriesSamples* imported : {&older, &between}) {
    expected.insert(expected.end(), imported->samples.begin(), imported->samples.end());
  }
  std::sort(expected.begin(), expected.end(), [](const Sample& x, const Sample& y) { return x.t < y.t; });
  ExpectAllRanges(*store, ref, expected);
  ExpectRange(*store, ref, start + 149 * kStep, start + 149 * kStep + 5 * kSecond, expected,
              "the head's newest sample and the imported one after it");
  // Appending resumes after the newest imported sample (the out-of-order guard moved).
  AppendRun(*store, a, expected.back().t + kStep, 30, 7, expected);
  ExpectAllRanges(*store, ref, expected);
  // A series the import creates has its samples only on disk.
  const std::string b = Key("b");
  SeriesSamples fresh{b, {}};
  for (int i = 0; i < 50; ++i) fresh.samples.push_back({start + i * kStep, 3.0 * i});
  ASSERT_TRUE(store->Import({fresh}, &error)) << error;
  const SeriesRef b_ref = store->Find(b).value_or(0);
  ASSERT_NE(b_ref, 0u);
  ExpectAllRanges(*store, b_ref, fresh.samples);
}

TEST(StoreRawFastPathTest, RetentionLeavesBothPathsEqual) {
  TempDir dir;
  // Raw retention of 3 h; the series' first 4 hours are old enough to go.
  std::shared_ptr<Store> store = OpenStore(dir.path(), std::chrono::hours(3));
  ASSERT_NE(store, nullptr);
  const std::string a = Key("a");
  const Timestamp start = RecentStart() - 5 * kHour;
  std::vector<Sample> expected;
  AppendRun(*store, a, start, 5 * 360, 1, expected);  // 5 hours at 10 s: 15 chunks of 20 min
  ASSERT_TRUE(store->Flush());
  const SeriesRef ref = store->Find(a).value_or(0);
  ASSERT_NE(ref, 0u);
  ExpectAllRanges(*store, ref, expected);
  const Timestamp now = expected.back().t + kStep;
  store->EnforceRetention(now);
  // Whole chunks (20 minutes each) ending before now - 3 h are gone: what is left is the
  // samples from some chunk start on, read here without the shortcut.
  const std::vector<Sample> left = Read(*store, ref, std::numeric_limits<Timestamp>::min(),
                                        std::numeric_limits<Timestamp>::max(), false);
  ASSERT_FALSE(left.empty());
  EXPECT_LT(left.size(), expected.size()) << "retention deleted nothing: the test proves nothing";
  EXPECT_GE(left.front().t, now - 3 * kHour - 20 * kMinute) << "a chunk older than retention stayed";
  EXPECT_LE(left.front().t, now - 3 * kHour);
  EXPECT_TRUE(SameSamples(left, Within(expected, left.front().t, std::numeric_limits<Timestamp>::max())));
  ExpectAllRanges(*store, ref, left);
  AppendRun(*store, a, expected.back().t + kStep, 20, 9, expected);
  std::vector<Sample> after = left;
  after.insert(after.end(), expected.end() - 20, expected.end());
  ExpectAllRanges(*store, ref, after);
}

TEST(StoreRawFastPathTest, AStalenessMarkerOnTheBoundaryIsReadBothWays) {
  TempDir dir;
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const std::string a = Key("a"), b = Key("b");
  const Timestamp start = RecentStart();
  std::vector<Sample> expected_b;
  // 120 passes of both fill b's first chunk exactly; b disappears at pass 120, so its marker
  // opens b's next head chunk (the boundary between what goes to disk and what stays).
  for (int i = 0; i < 125; ++i) {
    const Timestamp t = start + i * kStep;
    if (i < 120) {
      Pass(*store, t, {{a, 1.0 * i}, {b, 2.0 * i}});
      expected_b.push_back({t, 2.0 * i});
    } else {
      Pass(*store, t, {{a, 1.0 * i}});
      if (i == 120) expected_b.push_back({t, StaleMarker()});
    }
  }
  const SeriesRef ref = store->Find(b).value_or(0);
  ASSERT_NE(ref, 0u);
  const Timestamp marker = start + 120 * kStep;
  ExpectRange(*store, ref, marker, marker, expected_b, "the marker alone, the chunk before it pending");
  ASSERT_TRUE(store->Flush());
  ExpectAllRanges(*store, ref, expected_b);
  ExpectRange(*store, ref, marker, marker, expected_b, "the marker alone");
  ExpectRange(*store, ref, marker - kStep, marker, expected_b, "the last sample and the marker");
  ExpectRange(*store, ref, marker - kStep + 1, marker + kHour, expected_b, "just the marker");
  const std::vector<Sample> got = Read(*store, ref, marker, marker, true);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(IsStaleMarker(got[0].v));
}

TEST(StoreRawFastPathTest, AReopenedStoreLearnsWhatIsOnDisk) {
  TempDir dir;
  const std::string a = Key("a"), b = Key("b");
  const Timestamp start = RecentStart();
  std::vector<Sample> expected_a, expected_b;
  {
    std::shared_ptr<Store> store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    AppendRun(*store, a, start, 250, 1, expected_a);
    ASSERT_TRUE(store->Flush());
  }
  {
    std::shared_ptr<Store> store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    const SeriesRef ref = store->Find(a).value_or(0);
    ASSERT_NE(ref, 0u);
    ExpectAllRanges(*store, ref, expected_a);
    AppendRun(*store, b, start + 300 * kStep, 10, 5, expected_b);
    ASSERT_TRUE(store->Flush());
  }
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const SeriesRef b_ref = store->Find(b).value_or(0);
  ASSERT_NE(b_ref, 0u);
  // An import between the samples of a reopened series whose bound is not known yet, before
  // any read of it.
  SeriesSamples inside{b, {}};
  for (int i = 0; i < 10; ++i) inside.samples.push_back({start + 300 * kStep + i * kStep + kSecond, -1.0 * i});
  std::string error;
  ASSERT_TRUE(store->Import({inside}, &error)) << error;
  expected_b.insert(expected_b.end(), inside.samples.begin(), inside.samples.end());
  std::sort(expected_b.begin(), expected_b.end(), [](const Sample& x, const Sample& y) { return x.t < y.t; });
  ExpectAllRanges(*store, b_ref, expected_b);
  AppendRun(*store, a, expected_a.back().t + kStep, 40, 3, expected_a);
  ExpectAllRanges(*store, store->Find(a).value_or(0), expected_a);
}

// Readers of the newest minute race the appender and flushes moving sealed chunks to disk:
// every sample appended before a read started is in what it reads.
TEST(StoreRawFastPathTest, ReadersRacingFlushesMissNothing) {
  TempDir dir;
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const std::string a = Key("a");
  const Timestamp start = RecentStart();
  Pass(*store, start, {{a, 0}});
  const SeriesRef ref = store->Find(a).value_or(0);
  ASSERT_NE(ref, 0u);
  constexpr int kPasses = 3000;
  std::atomic<int> committed{0};  // passes appended (all visible to a read starting after)
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i < kPasses; ++i) {
      Pass(*store, start + i * kStep, {{a, 1.0 * i}});
      committed.store(i, std::memory_order_release);
      if (i % 37 == 0) store->Flush();
    }
    done = true;
  });
  std::uint64_t reads = 0, wrong = 0;
  std::vector<Sample> out;
  while (!done.load()) {
    const int last = committed.load(std::memory_order_acquire);
    const int first = std::max(0, last - 5);
    store->RawSamples(ref, start + first * kStep, start + last * kStep, out);
    ++reads;
    bool ok = out.size() == static_cast<std::size_t>(last - first + 1);
    for (std::size_t i = 0; ok && i < out.size(); ++i) {
      ok = out[i].t == start + (first + static_cast<int>(i)) * kStep && out[i].v == first + static_cast<double>(i);
    }
    if (!ok) ++wrong;
  }
  writer.join();
  EXPECT_GT(reads, 0u);
  EXPECT_EQ(wrong, 0u) << "of " << reads << " reads";
  std::vector<Sample> expected;
  for (int i = 0; i < kPasses; ++i) expected.push_back({start + i * kStep, 1.0 * i});
  ExpectAllRanges(*store, ref, expected);
}

// Not asserted: the time of a read of the newest seconds both ways, for the report.
TEST(StoreRawFastPathTest, FigureReadOfTheNewestSeconds) {
  TempDir dir;
  std::shared_ptr<Store> store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const std::string a = Key("a");
  std::vector<Sample> expected;
  AppendRun(*store, a, RecentStart(), 300, 1, expected);
  ASSERT_TRUE(store->Flush());
  const SeriesRef ref = store->Find(a).value_or(0);
  for (bool fast : {false, true}) {
    FastPathSwitch restore;
    raw_samples_fast_path = fast;
    std::vector<Sample> out;
    constexpr int kReads = 20000;
    const auto begin = std::chrono::steady_clock::now();
    for (int i = 0; i < kReads; ++i) store->RawSamples(ref, expected.back().t - 5 * kSecond, expected.back().t, out);
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - begin).count() / kReads;
    std::printf("FIGURE store_raw_samples_newest_5s_%s_ns %.0f\n", fast ? "memory" : "sqlite", ns);
    EXPECT_EQ(out.size(), 1u);
  }
}

}  // namespace
}  // namespace metricsd::storage
