// Chunk encodings: round trips of regular and adversarial series, Resume, Seal's choice of
// kDecimal, aggregate chunks, and corrupt input (every truncation and single-bit flip).
#include "daemon/storage/chunk.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace metricsd::storage {
namespace {

using Series = std::vector<Sample>;

constexpr Timestamp kStart = 1'700'000'000'000;  // ms, November 2023

std::uint64_t Bits(double v) { return std::bit_cast<std::uint64_t>(v); }

std::vector<std::uint8_t> Encode(const Series& series) {
  XorAppender appender;
  for (const Sample& s : series) appender.Append(s.t, s.v);
  auto bytes = appender.bytes();
  return {bytes.begin(), bytes.end()};
}

// Decodes with the iterator and checks every timestamp and value bit against `series`.
void ExpectDecodesTo(std::span<const std::uint8_t> chunk, const Series& series) {
  ASSERT_EQ(ChunkSampleCount(chunk), series.size());
  ChunkIterator it(chunk);
  for (std::size_t i = 0; i < series.size(); ++i) {
    ASSERT_TRUE(it.Next()) << "sample " << i;
    ASSERT_EQ(it.t(), series[i].t) << "sample " << i;
    ASSERT_EQ(Bits(it.v()), Bits(series[i].v)) << "sample " << i << " value " << series[i].v;
  }
  EXPECT_FALSE(it.Next());
  EXPECT_FALSE(it.error());
}

// Round trip through kXor, and through Seal (whatever it picks).
void ExpectRoundTrips(const Series& series) {
  const std::vector<std::uint8_t> chunk = Encode(series);
  ASSERT_EQ(chunk[0], static_cast<std::uint8_t>(ChunkEncoding::kXor));
  ExpectDecodesTo(chunk, series);
  const std::vector<std::uint8_t> sealed = Seal(chunk);
  EXPECT_LE(sealed.size(), chunk.size());
  ExpectDecodesTo(sealed, series);
}

void ExpectSurvivesDamage(const std::vector<std::uint8_t>& chunk);

Series Regular(std::size_t n, Timestamp step, auto value) {
  Series series;
  for (std::size_t i = 0; i < n; ++i) {
    series.push_back({kStart + static_cast<Timestamp>(i) * step, value(i)});
  }
  return series;
}

TEST(XorChunk, EmptyChunkHasNoSamples) {
  XorAppender appender;
  EXPECT_EQ(appender.count(), 0);
  ExpectDecodesTo(appender.bytes(), {});
}

TEST(XorChunk, RoundTripsOneAndTwoSamples) {
  ExpectRoundTrips({{kStart, 1.5}});
  ExpectRoundTrips({{kStart, 1.5}, {kStart + 10'000, -2.25}});
}

TEST(XorChunk, RoundTripsConstantsCountersAndRandomDoubles) {
  ExpectRoundTrips(Regular(120, 10'000, [](std::size_t) { return 42.0; }));
  ExpectRoundTrips(Regular(120, 10'000, [](std::size_t i) { return 100.0 * static_cast<double>(i); }));
  std::mt19937_64 rng(1);
  ExpectRoundTrips(Regular(120, 10'000, [&](std::size_t) {
    double v;
    do {
      v = std::bit_cast<double>(rng());
    } while (std::isnan(v));  // any NaN bits would also do; kept to ordinary numbers here
    return v;
  }));
  std::uniform_real_distribution<double> uniform(-1e6, 1e6);
  ExpectRoundTrips(Regular(120, 10'000, [&](std::size_t) { return uniform(rng); }));
}

TEST(XorChunk, RoundTripsSpecialValuesBitForBit) {
  const std::vector<double> specials = {
      StaleMarker(),
      std::bit_cast<double>(0x7ff8000000000001ULL),  // a NaN with a payload
      std::bit_cast<double>(0xfff8000000000000ULL),  // negative quiet NaN
      std::numeric_limits<double>::quiet_NaN(),
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      -0.0,
      0.0,
      std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      1.0,
  };
  Series series;
  for (std::size_t i = 0; i < specials.size() * 3; ++i) {
    series.push_back({kStart + static_cast<Timestamp>(i) * 10'000, specials[i % specials.size()]});
  }
  ExpectRoundTrips(series);
}

TEST(XorChunk, RoundTripsJitteredGappedAndNegativeTimestamps) {
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<Timestamp> jitter(-50, 50);
  Series jittered;
  Timestamp t = kStart;
  for (int i = 0; i < 120; ++i) {
    t += 10'000 + jitter(rng);
    jittered.push_back({t, static_cast<double>(i)});
  }
  ExpectRoundTrips(jittered);

  // Gaps that exercise every timestamp bucket, and one bigger than any (64-bit dod).
  Series gapped;
  t = kStart;
  const std::vector<Timestamp> steps = {10'000, 10'001, 18'000, 80'000, 600'000, 3'600'000,
                                        10'000, 1,      1LL << 40, 10'000, 7,     10'000};
  for (Timestamp step : steps) {
    t += step;
    gapped.push_back({t, 1.0});
  }
  ExpectRoundTrips(gapped);

  ExpectRoundTrips(Regular(50, 15'000, [](std::size_t i) { return static_cast<double>(i); }));
  Series negative;
  for (int i = 0; i < 50; ++i) negative.push_back({-1'000'000 + i * 15'000, 0.5 * i});
  ExpectRoundTrips(negative);

  const Timestamp min = std::numeric_limits<Timestamp>::min();
  const Timestamp max = std::numeric_limits<Timestamp>::max();
  ExpectRoundTrips({{min, 1.0}, {min + 1, 2.0}, {0, 3.0}, {max - 1, 4.0}, {max, 5.0}});
}

TEST(XorChunk, AppenderReportsTimeRangeAndCount) {
  XorAppender appender;
  appender.Append(kStart, 1);
  appender.Append(kStart + 10'000, 2);
  appender.Append(kStart + 20'000, 3);
  EXPECT_EQ(appender.count(), 3);
  EXPECT_EQ(appender.min_t(), kStart);
  EXPECT_EQ(appender.max_t(), kStart + 20'000);
}

TEST(XorChunk, FullChunkIgnoresFurtherAppends) {
  XorAppender appender;
  for (int i = 0; i < 0xffff; ++i) appender.Append(i, 1.0);
  ASSERT_TRUE(appender.full());
  const std::size_t size = appender.bytes().size();
  appender.Append(0x10000, 2.0);
  EXPECT_EQ(appender.count(), 0xffff);
  EXPECT_EQ(appender.bytes().size(), size);
  EXPECT_EQ(appender.max_t(), 0xfffe);
}

TEST(XorChunk, ResumeThenAppendEqualsOneAppender) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<Timestamp> jitter(0, 30);
  std::uniform_real_distribution<double> value(0, 1000);
  Series series;
  Timestamp t = kStart;
  for (int i = 0; i < 120; ++i) {
    t += 10'000 + jitter(rng);
    series.push_back({t, i % 7 == 0 ? value(rng) : std::floor(value(rng))});
  }
  for (std::size_t cut = 0; cut <= series.size(); ++cut) {
    XorAppender first;
    for (std::size_t i = 0; i < cut; ++i) first.Append(series[i].t, series[i].v);
    XorAppender resumed;
    ASSERT_TRUE(resumed.Resume(first.bytes())) << "cut " << cut;
    EXPECT_EQ(resumed.count(), cut);
    for (std::size_t i = cut; i < series.size(); ++i) resumed.Append(series[i].t, series[i].v);
    const std::vector<std::uint8_t> whole = Encode(series);
    ASSERT_EQ(std::vector<std::uint8_t>(resumed.bytes().begin(), resumed.bytes().end()), whole)
        << "cut " << cut;
    EXPECT_EQ(resumed.min_t(), series.front().t);
    EXPECT_EQ(resumed.max_t(), series.back().t);
  }
}

TEST(XorChunk, ResumeRefusesOtherChunks) {
  XorAppender appender;
  EXPECT_FALSE(appender.Resume({}));
  const std::vector<std::uint8_t> truncated = {1, 0, 5, 0x80};
  EXPECT_FALSE(appender.Resume(truncated));
  EXPECT_EQ(appender.count(), 0);
  const Series decimals = Regular(120, 10'000, [](std::size_t i) { return 2.0 * i; });
  const std::vector<std::uint8_t> sealed = Seal(Encode(decimals));
  ASSERT_EQ(sealed[0], static_cast<std::uint8_t>(ChunkEncoding::kDecimal));
  EXPECT_FALSE(appender.Resume(sealed));
}

TEST(SealedChunk, PicksDecimalForShortDecimalsAndRoundTrips) {
  const std::vector<Series> cases = {
      Regular(120, 10'000, [](std::size_t) { return 7.0; }),
      Regular(120, 10'000, [](std::size_t i) { return 1000.0 + 10.0 * i; }),
      Regular(120, 10'000, [](std::size_t i) { return static_cast<double>(i * i % 97) / 100; }),
      Regular(120, 10'000, [](std::size_t i) { return 4096.0 * static_cast<double>(i % 5) - 8192.0; }),
      Regular(120, 10'000, [](std::size_t i) { return static_cast<double>(123456789 + i) / 1e3; }),
      Regular(3, 10'000, [](std::size_t i) { return 0.25 * i; }),
  };
  for (const Series& series : cases) {
    const std::vector<std::uint8_t> chunk = Encode(series);
    const std::vector<std::uint8_t> sealed = Seal(chunk);
    EXPECT_EQ(sealed[0], static_cast<std::uint8_t>(ChunkEncoding::kDecimal))
        << "first value " << series[0].v;
    EXPECT_LT(sealed.size(), chunk.size());
    ExpectDecodesTo(sealed, series);
  }
}

// A gauge's random walk, a steady counter and a counter with jittered increments each pick
// their own value column; each must round-trip and cost about its increments' entropy.
TEST(SealedChunk, GaugesAndCountersCostAFewBitsASample) {
  std::mt19937_64 rng(6);
  std::int64_t pages = 1'000'000;
  double counter = 0;
  double jittered = 0;
  Series walk, steady, jitter;
  for (int i = 0; i < 120; ++i) {
    const Timestamp t = kStart + i * 10'000;
    pages += static_cast<std::int64_t>(rng() % 9) - 4;
    counter += 250;
    jittered += static_cast<double>(95 + rng() % 11);
    walk.push_back({t, static_cast<double>(pages * 4096)});
    steady.push_back({t, counter});
    jitter.push_back({t, jittered});
  }
  // Bits a sample for the values (header and first samples: 20-30 bytes a chunk on top).
  const std::vector<std::pair<Series, double>> cases = {{walk, 4}, {steady, 0}, {jitter, 4}};
  for (const auto& [series, value_bits] : cases) {
    const std::vector<std::uint8_t> sealed = Seal(Encode(series));
    ASSERT_EQ(sealed[0], static_cast<std::uint8_t>(ChunkEncoding::kDecimal));
    EXPECT_LE(static_cast<double>(sealed.size()), 32 + value_bits * 120 / 8) << series[5].v;
    ExpectDecodesTo(sealed, series);
  }
}

// A histogram's _sum of millisecond timings in seconds carries float rounding error
// (0.1 + 0.2 != 0.3): no value is a short decimal, but each is one within a few low bits.
TEST(SealedChunk, SumsOfDecimalsUseDecimalWithResiduals) {
  std::mt19937_64 rng(7);
  double sum = 0;
  Series series;
  for (int i = 0; i < 120; ++i) {
    for (int event = 0; event < 20; ++event) sum += static_cast<double>(1 + rng() % 500) / 1000;
    series.push_back({kStart + i * 10'000, sum});
  }
  const std::vector<std::uint8_t> chunk = Encode(series);
  const std::vector<std::uint8_t> sealed = Seal(chunk);
  ASSERT_EQ(sealed[0], static_cast<std::uint8_t>(ChunkEncoding::kDecimal));
  EXPECT_LT(sealed.size() * 2, chunk.size());
  ExpectDecodesTo(sealed, series);
  ExpectSurvivesDamage(sealed);
}

TEST(SealedChunk, ConstantRegularSeriesCostsAlmostNothing) {
  const Series constant = Regular(120, 10'000, [](std::size_t) { return 1.0; });
  const std::vector<std::uint8_t> sealed = Seal(Encode(constant));
  // The header, the first timestamp, delta and value, two bucket tables: no bits per sample.
  EXPECT_LE(sealed.size(), 20u);
}

TEST(SealedChunk, KeepsXorWhenValuesAreNotShortDecimals) {
  const std::vector<Series> cases = {
      Regular(120, 10'000, [](std::size_t i) { return i == 60 ? StaleMarker() : 1.0; }),
      Regular(120, 10'000, [](std::size_t i) { return i == 3 ? -0.0 : 1.0; }),
      Regular(120, 10'000, [](std::size_t i) { return i == 3 ? INFINITY : 1.0; }),
      Regular(120, 10'000, [](std::size_t i) { return 1.0 / 3.0 * static_cast<double>(i); }),
      Regular(120, 10'000, [](std::size_t i) { return 1e300 * static_cast<double>(i); }),
  };
  for (const Series& series : cases) {
    const std::vector<std::uint8_t> chunk = Encode(series);
    const std::vector<std::uint8_t> sealed = Seal(chunk);
    EXPECT_EQ(sealed, chunk);
    ExpectDecodesTo(sealed, series);
  }
}

TEST(SealedChunk, SealOfSealedOrCorruptChunkReturnsItUnchanged) {
  const std::vector<std::uint8_t> sealed =
      Seal(Encode(Regular(120, 10'000, [](std::size_t i) { return 3.0 * i; })));
  EXPECT_EQ(Seal(sealed), sealed);
  const std::vector<std::uint8_t> garbage = {1, 0, 9, 1, 2};
  EXPECT_EQ(Seal(garbage), garbage);
}

TEST(SealedChunk, RandomDecimalSeriesRoundTrip) {
  std::mt19937_64 rng(4);
  for (int round = 0; round < 200; ++round) {
    const int scale = static_cast<int>(rng() % 10);
    const double divisor = std::pow(10.0, scale);
    const std::int64_t range = 1LL << (rng() % 50);
    std::uniform_int_distribution<std::int64_t> mantissa(-range, range);
    const std::size_t n = 1 + rng() % 200;
    Series series;
    Timestamp t = static_cast<Timestamp>(rng() % 2 == 0 ? kStart : -kStart);
    std::int64_t m = mantissa(rng);
    for (std::size_t i = 0; i < n; ++i) {
      t += 1 + static_cast<Timestamp>(rng() % 3 == 0 ? rng() % 100'000 : 10'000);
      if (rng() % 4 != 0) m += mantissa(rng) / 16;
      series.push_back({t, static_cast<double>(m) / divisor});
    }
    ExpectRoundTrips(series);
  }
}

TEST(EncodeSamples, SealsManySamplesAsOneChunk) {
  const Series constant = Regular(720, 10'000, [](std::size_t) { return 3.0; });
  const std::vector<std::uint8_t> chunk = EncodeSamples(constant);
  ASSERT_EQ(chunk[0], static_cast<std::uint8_t>(ChunkEncoding::kDecimal));
  EXPECT_LT(static_cast<double>(chunk.size()) / 720, 0.04);
  ExpectDecodesTo(chunk, constant);
  const Series steps = Regular(720, 10'000, [](std::size_t i) { return static_cast<double>(i / 60); });
  ExpectDecodesTo(EncodeSamples(steps), steps);
  const Series floats = Regular(300, 10'000, [](std::size_t i) { return 1.0 / (1.0 + i); });
  const std::vector<std::uint8_t> xor_chunk = EncodeSamples(floats);
  EXPECT_EQ(xor_chunk[0], static_cast<std::uint8_t>(ChunkEncoding::kXor));
  ExpectDecodesTo(xor_chunk, floats);
  EXPECT_EQ(ChunkSampleCount(EncodeSamples({})), 0);
}

TEST(DecodeChunk, FiltersByTimeRange) {
  const Series series = Regular(120, 10'000, [](std::size_t i) { return static_cast<double>(i); });
  for (const auto& chunk : {Encode(series), Seal(Encode(series))}) {
    std::vector<Sample> out;
    ASSERT_TRUE(DecodeChunk(chunk, kStart + 100'000, kStart + 200'000, out));
    ASSERT_EQ(out.size(), 11u);
    EXPECT_EQ(out.front().t, kStart + 100'000);
    EXPECT_EQ(out.back().v, 20.0);
    ASSERT_TRUE(DecodeChunk(chunk, kStart - 1, kStart, out));  // appends
    EXPECT_EQ(out.size(), 12u);
  }
}

TEST(ChunkSampleCount, ZeroForTooShortChunks) {
  EXPECT_EQ(ChunkSampleCount({}), 0);
  const std::vector<std::uint8_t> two = {1, 0};
  EXPECT_EQ(ChunkSampleCount(two), 0);
}

// Corrupt input: every truncation and every single-bit flip of valid chunks must decode without
// crashing (sanitizers watch) to an error or to some samples, and never more than the count.
void ExpectSurvivesDamage(const std::vector<std::uint8_t>& chunk) {
  const auto decode = [](std::span<const std::uint8_t> bytes) {
    std::vector<Sample> out;
    const bool ok = DecodeChunk(bytes, std::numeric_limits<Timestamp>::min(),
                                std::numeric_limits<Timestamp>::max(), out);
    EXPECT_LE(out.size(), ChunkSampleCount(bytes));
    XorAppender appender;
    if (appender.Resume(bytes)) appender.Append(std::numeric_limits<Timestamp>::max(), 1.0);
    (void)Seal(bytes);
    return ok;
  };
  int truncation_errors = 0;
  for (std::size_t size = 0; size < chunk.size(); ++size) {
    if (!decode(std::span(chunk).first(size))) ++truncation_errors;
  }
  // A truncated chunk misses samples its count promises: every truncation is an error.
  EXPECT_EQ(truncation_errors, static_cast<int>(chunk.size()));
  std::vector<std::uint8_t> flipped = chunk;
  for (std::size_t bit = 0; bit < chunk.size() * 8; ++bit) {
    flipped[bit / 8] ^= static_cast<std::uint8_t>(0x80 >> (bit % 8));
    decode(flipped);
    flipped[bit / 8] ^= static_cast<std::uint8_t>(0x80 >> (bit % 8));
  }
}

TEST(CorruptChunk, TruncationsAndBitFlipsNeverCrash) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> uniform(0, 100);
  const std::vector<Series> cases = {
      Regular(120, 10'000, [](std::size_t) { return 5.0; }),
      Regular(120, 10'000, [](std::size_t i) { return 0.01 * static_cast<double>(i * 37 % 101); }),
      Regular(40, 10'003, [&](std::size_t) { return uniform(rng); }),
      Regular(30, 10'000, [](std::size_t i) { return i % 2 ? StaleMarker() : -0.0; }),
  };
  for (const Series& series : cases) {
    const std::vector<std::uint8_t> chunk = Encode(series);
    ExpectSurvivesDamage(chunk);
    const std::vector<std::uint8_t> sealed = Seal(chunk);
    if (sealed != chunk) ExpectSurvivesDamage(sealed);
  }
}

TEST(CorruptChunk, UnknownEncodingIsAnError) {
  const std::vector<std::uint8_t> chunk = {9, 0, 0};
  ChunkIterator it(chunk);
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.error());
}

TEST(CorruptChunk, HugeCountInTinyDecimalChunkIsBounded) {
  // A constant regular series costs no bits a sample, so a count of 65535 in a few bytes is a
  // valid chunk; decoding it is bounded by the count.
  std::vector<std::uint8_t> sealed = Seal(Encode(Regular(120, 10'000, [](std::size_t) { return 2.0; })));
  ASSERT_EQ(sealed[0], static_cast<std::uint8_t>(ChunkEncoding::kDecimal));
  sealed[1] = sealed[2] = 0xff;
  std::vector<Sample> out;
  EXPECT_TRUE(DecodeChunk(sealed, std::numeric_limits<Timestamp>::min(),
                          std::numeric_limits<Timestamp>::max(), out));
  EXPECT_EQ(out.size(), 0xffffu);
  EXPECT_EQ(out.back().t, kStart + 0xfffeLL * 10'000);
}

std::vector<AggregatePoint> SomeAggregates(std::size_t n) {
  std::vector<AggregatePoint> points;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(i);
    points.push_back({kStart + static_cast<Timestamp>(i) * 60'000, x, x + 1.5, 6 * x + 3, 6,
                      i % 9 == 0 ? StaleMarker() : x + 1});
  }
  return points;
}

TEST(AggregateChunk, RoundTrips) {
  for (std::size_t n : {0u, 1u, 2u, 3u, 200u}) {
    const std::vector<AggregatePoint> points = SomeAggregates(n);
    const std::vector<std::uint8_t> chunk = EncodeAggregates(points);
    std::vector<AggregatePoint> out;
    ASSERT_TRUE(DecodeAggregates(chunk, out)) << n;
    ASSERT_EQ(out.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(out[i].t, points[i].t);
      EXPECT_EQ(Bits(out[i].last), Bits(points[i].last));
      EXPECT_EQ(out[i].min, points[i].min);
      EXPECT_EQ(out[i].sum, points[i].sum);
    }
  }
}

TEST(AggregateChunk, ConstantColumnsCostAboutABitAPoint) {
  std::vector<AggregatePoint> points;
  for (int i = 0; i < 1000; ++i) points.push_back({kStart + i * 60'000, 1, 1, 6, 6, 1});
  // 1000 points × (1 timestamp bit + 5 column bits) + headers.
  EXPECT_LE(EncodeAggregates(points).size(), 1000u * 6 / 8 + 60);
}

TEST(AggregateChunk, CorruptChunksAreErrorsAndAppendNothing) {
  const std::vector<std::uint8_t> chunk = EncodeAggregates(SomeAggregates(20));
  std::vector<AggregatePoint> out;
  for (std::size_t size = 0; size < chunk.size(); ++size) {
    EXPECT_FALSE(DecodeAggregates(std::span(chunk).first(size), out)) << size;
    EXPECT_TRUE(out.empty());
  }
  std::vector<std::uint8_t> flipped = chunk;
  for (std::size_t bit = 0; bit < chunk.size() * 8; ++bit) {
    flipped[bit / 8] ^= static_cast<std::uint8_t>(0x80 >> (bit % 8));
    out.clear();
    if (DecodeAggregates(flipped, out)) {
      EXPECT_LE(out.size(), chunk.size() * 8);
    }
    flipped[bit / 8] ^= static_cast<std::uint8_t>(0x80 >> (bit % 8));
  }
  // A count far beyond what the bytes can hold is refused before any allocation.
  const std::vector<std::uint8_t> huge = {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0};
  EXPECT_FALSE(DecodeAggregates(huge, out));
}

}  // namespace
}  // namespace metricsd::storage
