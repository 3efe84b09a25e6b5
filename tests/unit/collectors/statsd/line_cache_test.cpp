// The line cache: exact identities (a hash collision never merges two lines), gradual random
// eviction when full (lines in use mostly stay), growth, erasure by backward shift, arena
// compaction.
#include "collectors/statsd/line_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace metricsd::statsd {
namespace {

using Cache = LineCache<std::uint32_t>;

// A counter line's name; its identity's rest is "|c".
std::string Identity(int i) { return "game.hits." + std::to_string(i); }

LineIdentity Counter(const std::string& name) { return {name, "|c"}; }

const std::uint32_t* Lookup(const Cache& cache, const std::string& name) {
  return cache.Find(Counter(name), cache.Hash(Counter(name)));
}

void Put(Cache& cache, const std::string& name, std::uint32_t value) {
  cache.Insert(Counter(name), cache.Hash(Counter(name)), value);
}

TEST(LineCache, FindsWhatWasInsertedAndNothingElse) {
  Cache cache(1000);
  for (int i = 0; i < 500; ++i) Put(cache, Identity(i), static_cast<std::uint32_t>(i * 7));
  EXPECT_EQ(cache.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    const std::uint32_t* value = Lookup(cache, Identity(i));
    ASSERT_NE(value, nullptr) << i;
    EXPECT_EQ(*value, static_cast<std::uint32_t>(i * 7));
  }
  EXPECT_EQ(Lookup(cache, Identity(500)), nullptr);
  // The same bytes split elsewhere, a prefix, another rest: other identities.
  EXPECT_EQ(cache.Find({"game.hits.1|c", ""}, cache.Hash({"game.hits.1|c", ""})), nullptr);
  EXPECT_EQ(cache.Find({"game.hits.1", "|"}, cache.Hash({"game.hits.1", "|"})), nullptr);
  EXPECT_EQ(cache.Find({"game.hits.1", "|g"}, cache.Hash({"game.hits.1", "|g"})), nullptr);
  EXPECT_EQ(cache.Find({"game.hits.", "1|c"}, cache.Hash({"game.hits.", "1|c"})), nullptr);
}

TEST(LineCache, SplitPointsAreToldApartAndAnIdentityWithANulIsNotStored) {
  Cache cache(10);
  const LineIdentity a{"a", "|c|#b"}, b{"a|c", "|#b"};
  cache.Insert(a, cache.Hash(a), 1);
  cache.Insert(b, cache.Hash(b), 2);
  ASSERT_NE(cache.Find(a, cache.Hash(a)), nullptr);
  ASSERT_NE(cache.Find(b, cache.Hash(b)), nullptr);
  EXPECT_EQ(*cache.Find(a, cache.Hash(a)), 1u);
  EXPECT_EQ(*cache.Find(b, cache.Hash(b)), 2u);
  // Stored as name '\0' rest, an identity with a '\0' of its own would be ambiguous (these
  // two are the same bytes): neither is remembered, so neither can stand for the other.
  const std::string nul_name("x\0|c", 4);
  const LineIdentity nul{nul_name, "|c"}, split{"x", std::string_view("|c\0|c", 5)};
  cache.Insert(nul, cache.Hash(nul), 3);
  EXPECT_EQ(cache.Find(nul, cache.Hash(nul)), nullptr);
  EXPECT_EQ(cache.Find(split, cache.Hash(split)), nullptr);
  cache.Insert(split, cache.Hash(split), 4);
  EXPECT_EQ(cache.Find(split, cache.Hash(split)), nullptr);
  EXPECT_EQ(cache.Find(nul, cache.Hash(nul)), nullptr);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(LineCache, HashesDifferByCacheAndSpreadOverSlots) {
  Cache one(10), two(10);
  EXPECT_NE(one.Hash(Counter("game.hits.1")), two.Hash(Counter("game.hits.1")));
  // Names one byte apart (the benchmark's shape) reach most of 1024 home slots.
  std::vector<bool> used(1024);
  for (int i = 0; i < 1024; ++i) used[one.Hash(Counter(Identity(i))) & 1023] = true;
  EXPECT_GT(std::count(used.begin(), used.end(), true), 600);
}

TEST(LineCache, SameHashDifferentBytesAreTwoEntries) {
  // Forced collision: both identities under one hash. The bytes decide.
  Cache cache(10);
  cache.Insert(Counter("a"), 42, 1);
  cache.Insert(Counter("b"), 42, 2);
  ASSERT_NE(cache.Find(Counter("a"), 42), nullptr);
  ASSERT_NE(cache.Find(Counter("b"), 42), nullptr);
  EXPECT_EQ(*cache.Find(Counter("a"), 42), 1u);
  EXPECT_EQ(*cache.Find(Counter("b"), 42), 2u);
  EXPECT_EQ(cache.Find(Counter("c"), 42), nullptr);
  cache.Erase(Counter("a"), 42);
  EXPECT_EQ(cache.Find(Counter("a"), 42), nullptr);
  ASSERT_NE(cache.Find(Counter("b"), 42), nullptr);  // moved back into the hole, still found
  EXPECT_EQ(*cache.Find(Counter("b"), 42), 2u);
}

TEST(LineCache, UnderOneHashEveryByteOfEveryLengthDecides) {
  // The inline comparison reads 8, 4 or 1 bytes at a time by length: identities that differ
  // in any one byte of name or rest, of any length up to 40, must not match.
  for (std::size_t length = 1; length <= 40; ++length) {
    std::string name(length, 'n'), rest(length, 'r');
    for (std::size_t i = 0; i < length; ++i) name[i] = static_cast<char>('a' + i % 26);
    Cache cache(10);
    cache.Insert({name, rest}, 7, 1);
    ASSERT_NE(cache.Find({name, rest}, 7), nullptr) << length;
    for (std::size_t at = 0; at < length; ++at) {
      std::string other_name = name, other_rest = rest;
      other_name[at] = '#';
      other_rest[at] = '#';
      EXPECT_EQ(cache.Find({other_name, rest}, 7), nullptr) << length << " name byte " << at;
      EXPECT_EQ(cache.Find({name, other_rest}, 7), nullptr) << length << " rest byte " << at;
    }
  }
}

TEST(LineCache, ErasingKeepsEveryOtherEntryReachable) {
  // Many entries on few home slots: backward-shift deletion must not cut a probe run.
  Cache cache(100);
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back(Identity(i));
  for (int i = 0; i < 40; ++i) cache.Insert(Counter(names[i]), static_cast<std::uint64_t>(i % 3), static_cast<std::uint32_t>(i));
  for (int i = 0; i < 40; i += 2) cache.Erase(Counter(names[i]), static_cast<std::uint64_t>(i % 3));
  EXPECT_EQ(cache.size(), 20u);
  for (int i = 0; i < 40; ++i) {
    const std::uint32_t* value = cache.Find(Counter(names[i]), static_cast<std::uint64_t>(i % 3));
    if (i % 2 == 0) {
      EXPECT_EQ(value, nullptr) << i;
    } else {
      ASSERT_NE(value, nullptr) << i;
      EXPECT_EQ(*value, static_cast<std::uint32_t>(i));
    }
  }
}

TEST(LineCache, FullCacheEvictsOneAtATimeAndLinesInUseMostlyStay) {
  Cache cache(100);
  for (int i = 0; i < 100; ++i) Put(cache, Identity(i), static_cast<std::uint32_t>(i));
  // Lines 0..49 stay in use (each seen every round) while 1000 one-off lines pass through.
  int hot_hits = 0, hot_lookups = 0;
  for (int round = 0; round < 1000; ++round) {
    for (int hot = 0; hot < 50; ++hot) {
      ++hot_lookups;
      if (Lookup(cache, Identity(hot)) != nullptr) ++hot_hits;
      else Put(cache, Identity(hot), static_cast<std::uint32_t>(hot));
    }
    Put(cache, Identity(1000 + round), 0);
    ASSERT_LE(cache.size(), 100u);
  }
  EXPECT_EQ(cache.size(), 100u);  // never cleared at once
  // Each one-off line evicts one entry, half the time a hot one, which comes back at its
  // next use (evicting another): a few percent of hot lookups miss.
  EXPECT_GT(hot_hits, hot_lookups * 9 / 10);
}

TEST(LineCache, CyclingPastCapacityDegradesGradually) {
  // 20% more distinct lines than it holds, in a cycle (each client sending its names in
  // turn): clearing when full, LRU and CLOCK miss every line; random replacement keeps most.
  Cache cache(1000);
  int hits = 0, lookups = 0;
  for (int pass = 0; pass < 10; ++pass) {
    for (int i = 0; i < 1200; ++i) {
      std::string identity = Identity(i);
      ++lookups;
      if (Lookup(cache, identity) != nullptr) ++hits;
      else Put(cache, identity, 1);
    }
  }
  EXPECT_EQ(cache.size(), 1000u);
  EXPECT_GT(hits, lookups / 2);
}

TEST(LineCache, ArenaIsCompactedAsEntriesChurn) {
  Cache cache(1000);
  for (int i = 0; i < 200000; ++i) Put(cache, Identity(i) + std::string(40, 'x'), static_cast<std::uint32_t>(i));
  EXPECT_EQ(cache.size(), 1000u);
  // 1000 live identities of ~56 bytes; garbage may reach the live size (plus the minimum
  // before compacting) but never grows with the 200,000 lines that passed.
  EXPECT_LT(cache.memory_bytes(), 512u * 1024u);
  // Whatever survived compactions still maps to its own value; the newest line always does.
  int found = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::uint32_t* value = Lookup(cache, Identity(i) + std::string(40, 'x'));
    if (value == nullptr) continue;
    ++found;
    EXPECT_EQ(*value, static_cast<std::uint32_t>(i));
  }
  EXPECT_EQ(found, 1000);
  EXPECT_NE(Lookup(cache, Identity(199999) + std::string(40, 'x')), nullptr);
}

TEST(LineCache, ZeroEntriesCachesNothingAndClearForgets) {
  Cache none(0);
  Put(none, Identity(1), 1);
  EXPECT_EQ(Lookup(none, Identity(1)), nullptr);
  Cache cache(10);
  Put(cache, Identity(1), 1);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(Lookup(cache, Identity(1)), nullptr);
  cache.SetMaxEntries(1);
  Put(cache, Identity(2), 2);
  Put(cache, Identity(3), 3);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(Lookup(cache, Identity(3)), nullptr);
}

}  // namespace
}  // namespace metricsd::statsd
