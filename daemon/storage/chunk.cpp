// Chunk encodings: Gorilla XOR (Prometheus's XOR chunk behind our encoding byte), the kDecimal
// encoding Seal() picks when values are short decimals, and the tier chunks of aggregates.
//
// Every decoder reads through BitReader, which refuses to read past the end, and keeps its
// arithmetic in uint64 (wrapping), so a garbled chunk gives garbage samples or an error, never
// undefined behaviour. The loops are bounded by the 16-bit count.
#include "daemon/storage/chunk.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "daemon/storage/bit_stream.h"

namespace metricsd::storage {
namespace {

using bits::BitReader;
using bits::BitWriter;
using bits::UnZigZag;
using bits::ZigZag;

constexpr std::size_t kHeaderBytes = 3;  // encoding byte, 16-bit count
constexpr std::size_t kHeaderBits = kHeaderBytes * 8;
constexpr std::uint16_t kMaxCount = 0xffff;

void WriteCount(std::vector<std::uint8_t>& chunk, std::uint16_t count) {
  chunk[1] = static_cast<std::uint8_t>(count >> 8);
  chunk[2] = static_cast<std::uint8_t>(count & 0xff);
}

std::uint16_t ReadCount(std::span<const std::uint8_t> chunk) {
  return static_cast<std::uint16_t>((chunk[1] << 8) | chunk[2]);
}

constexpr std::uint64_t LowBits(int n) { return n >= 64 ? ~0ULL : (1ULL << n) - 1; }

// ---- Prometheus's XOR encoding -------------------------------------------------------------

// Prometheus's n-bit timestamp bucket holds [-(2^(n-1) - 1), 2^(n-1)].
bool FitsBucket(std::int64_t dod, int n) {
  const std::int64_t half = std::int64_t{1} << (n - 1);
  return -(half - 1) <= dod && dod <= half;
}

// Delta-of-delta of a timestamp: '0', '10'+14, '110'+17, '1110'+20 or '1111'+64 bits.
void WriteTimestampDod(BitWriter& w, std::int64_t dod) {
  const auto raw = static_cast<std::uint64_t>(dod);
  if (dod == 0) {
    w.WriteBits(0, 1);
  } else if (FitsBucket(dod, 14)) {
    w.WriteBits((0b10ULL << 14) | (raw & LowBits(14)), 16);
  } else if (FitsBucket(dod, 17)) {
    w.WriteBits((0b110ULL << 17) | (raw & LowBits(17)), 20);
  } else if (FitsBucket(dod, 20)) {
    w.WriteBits((0b1110ULL << 20) | (raw & LowBits(20)), 24);
  } else {
    w.WriteBits(0b1111, 4);
    w.WriteBits(raw, 64);
  }
}

bool ReadTimestampDod(BitReader& r, std::uint64_t& dod) {
  static constexpr int kBucketBits[] = {0, 14, 17, 20, 64};
  int ones = 0;
  while (ones < 4) {
    bool bit = false;
    if (!r.ReadBit(bit)) return false;
    if (!bit) break;
    ++ones;
  }
  const int size = kBucketBits[ones];
  std::uint64_t raw = 0;
  if (!r.ReadBits(size, raw)) return false;
  // Two's complement in `size` bits, the bucket's top value 2^(size-1) read as positive.
  if (size > 0 && size < 64 && raw > (1ULL << (size - 1))) raw -= 1ULL << size;
  dod = raw;
  return true;
}

// Gorilla's value coding: '0' for an unchanged value; '10' + the XOR's meaningful bits inside
// the previous window of leading/trailing zeros; '11' + 5 bits of leading zeros + 6 bits of
// length (0 means 64) + the bits, opening a new window. `leading` 0xff: no window yet.
void WriteXorValue(BitWriter& w, std::uint64_t previous, std::uint64_t value,
                   std::uint8_t& leading, std::uint8_t& trailing) {
  const std::uint64_t delta = previous ^ value;
  if (delta == 0) {
    w.WriteBits(0, 1);
    return;
  }
  // Leading zeros are clamped to 31 to fit 5 bits, as Prometheus does.
  const int new_leading = std::min(std::countl_zero(delta), 31);
  const int new_trailing = std::countr_zero(delta);
  if (leading != 0xff && new_leading >= leading && new_trailing >= trailing) {
    w.WriteBits(0b10, 2);
    w.WriteBits(delta >> trailing, 64 - leading - trailing);
    return;
  }
  leading = static_cast<std::uint8_t>(new_leading);
  trailing = static_cast<std::uint8_t>(new_trailing);
  const int significant = 64 - new_leading - new_trailing;
  w.WriteBits((0b11ULL << 11) | (static_cast<std::uint64_t>(new_leading) << 6) |
                  (static_cast<std::uint64_t>(significant) & 63),
              13);
  w.WriteBits(delta >> new_trailing, significant);
}

bool ReadXorValue(BitReader& r, std::uint64_t& value, std::uint8_t& leading,
                  std::uint8_t& trailing) {
  bool bit = false;
  if (!r.ReadBit(bit)) return false;
  if (!bit) return true;
  if (!r.ReadBit(bit)) return false;
  if (bit) {
    std::uint64_t window = 0;
    if (!r.ReadBits(11, window)) return false;
    const auto new_leading = static_cast<unsigned>(window >> 6);
    unsigned significant = static_cast<unsigned>(window & 63);
    if (significant == 0) significant = 64;
    if (new_leading + significant > 64) return false;
    leading = static_cast<std::uint8_t>(new_leading);
    trailing = static_cast<std::uint8_t>(64 - new_leading - significant);
  } else if (leading == 0xff) {
    return false;  // a window reused before any was opened: no writer does that
  }
  std::uint64_t meaningful = 0;
  if (!r.ReadBits(64 - leading - trailing, meaningful)) return false;
  value ^= meaningful << trailing;
  return true;
}

// ---- The kDecimal encoding -----------------------------------------------------------------
//
// Body, after the 3-byte header:
//   varint first timestamp, byte flags (low 4 bits: scale k in 0..9; bits 4-5: ValueColumn;
//   0x40: kResidualFlag), varint first mantissa, [uvarint residual]                [1 sample]
//   varint first timestamp delta, uvarint gcd (>0), varint first mantissa delta / gcd,
//   [uvarint residual]                                                                   [2]
//   for kDeltaAboveMinimum the varint minimum; the timestamp, value [and residual] buckets
//   (3 bits n-1, then n widths of 7 bits); then per sample: the zig-zag timestamp
//   delta-of-delta, the value column's code [and the residual], each in its buckets  [3+]
// Mantissa deltas are in units of the gcd.
// A sample's value is double(mantissa) / 10^k; Seal() uses kDecimal only when that gives back
// every value's exact bits.

constexpr int kMaxScale = 9;
constexpr std::array<double, kMaxScale + 1> kPow10 = {1e0, 1e1, 1e2, 1e3, 1e4,
                                                     1e5, 1e6, 1e7, 1e8, 1e9};
// Mantissas stay below 2^60 so their deltas and delta-of-deltas fit int64.
constexpr double kMantissaLimit = 0x1p60;
// How the value column codes the mantissa delta d[i] (i >= 2), chosen per chunk: a gauge's
// random walk wants kDelta, a steady counter kDeltaOfDelta (0 bits with one bucket), a counter
// with jittered increments kDeltaAboveMinimum (no sign bit wasted on always-positive deltas).
enum class ValueColumn : std::uint8_t {
  kDelta = 0,               // zig-zag d[i]
  kDeltaOfDelta = 1,        // zig-zag d[i] - d[i-1]
  kDeltaAboveMinimum = 2,   // d[i] - min(d[2..]), unsigned
};
constexpr int kValueColumnShift = 4;
// Set when values are decimals only approximately (a sum of decimals carries rounding error:
// 0.1 + 0.2 is 0.30000000000000004): each sample then also codes the XOR of its bits with
// mantissa / 10^k, a few low bits, in its own buckets.
constexpr std::uint8_t kResidualFlag = 0x40;
constexpr std::uint64_t kFlagsMask = 0x7f;
// A value is "approximately decimal" at a scale when its residual has at most this many bits;
// a float with no decimal structure misses by far more (2^20 ulps and up at scale 9).
constexpr int kMaxResidualBits = 12;
constexpr int kMaxBuckets = 8;
constexpr int kBucketWidthBits = 7;

double DecimalValue(std::uint64_t mantissa, int scale) {
  return static_cast<double>(static_cast<std::int64_t>(mantissa)) / kPow10[scale];
}

int BitLength(std::uint64_t u) { return 64 - std::countl_zero(u); }

// The bits that turn mantissa / 10^scale into `v`.
std::uint64_t Residual(double v, std::int64_t mantissa, int scale) {
  return std::bit_cast<std::uint64_t>(v) ^
         std::bit_cast<std::uint64_t>(DecimalValue(static_cast<std::uint64_t>(mantissa), scale));
}

// The smallest scale in [from, kMaxScale] at which `v` is a mantissa / 10^scale whose residual
// has at most `residual_bits` bits (0: converts back to exactly `v`), or -1. NaN, infinities
// and -0 never qualify (unless residual_bits is 64).
int DecimalScale(double v, int from, int residual_bits, std::int64_t& mantissa) {
  for (int scale = from; scale <= kMaxScale; ++scale) {
    const double scaled = v * kPow10[scale];
    if (!(std::fabs(scaled) < kMantissaLimit)) return -1;  // larger scales only grow
    const auto m = static_cast<std::int64_t>(std::round(scaled));
    if (BitLength(Residual(v, m, scale)) <= residual_bits) {
      mantissa = m;
      return scale;
    }
  }
  return -1;
}

using BitLengthHistogram = std::array<std::uint32_t, 65>;

// The unary bucket number: bucket i < n-1 is i ones and a zero, the last is n-1 ones.
int PrefixBits(int bucket, int n) {
  if (n == 1) return 0;
  return bucket < n - 1 ? bucket + 1 : n - 1;
}

// The buckets that code a column with these bit lengths in the fewest bits (table included):
// for each bucket count, a dynamic program over the distinct lengths present (a bucket is
// never wider than the widest value it holds).
DecimalBuckets ChooseBuckets(const BitLengthHistogram& histogram, std::uint64_t& bits) {
  std::array<int, 65> lengths{};
  std::array<std::uint64_t, 66> cumulative{};  // values with a length among lengths[0..j)
  int m = 0;
  for (int b = 0; b <= 64; ++b) {
    if (histogram[b] == 0) continue;
    lengths[m] = b;
    cumulative[m + 1] = cumulative[m] + histogram[b];
    ++m;
  }
  DecimalBuckets best;
  bits = 3 + kBucketWidthBits;
  if (m == 0) return best;
  constexpr std::uint64_t kInfinite = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t best_cost = kInfinite;
  // cost[i][j]: buckets 0..i code lengths[0..j], bucket i being lengths[j] wide.
  std::array<std::array<std::uint64_t, 65>, kMaxBuckets> cost;
  std::array<std::array<int, 65>, kMaxBuckets> previous_end;
  for (int n = 1; n <= std::min(kMaxBuckets, m); ++n) {
    for (int j = 0; j < m; ++j) {
      cost[0][j] = static_cast<std::uint64_t>(PrefixBits(0, n) + lengths[j]) * cumulative[j + 1];
    }
    for (int i = 1; i < n; ++i) {
      const auto per_value = [&](int j) {
        return static_cast<std::uint64_t>(PrefixBits(i, n) + lengths[j]);
      };
      for (int j = 0; j < m; ++j) {
        cost[i][j] = kInfinite;
        for (int k = i - 1; k < j; ++k) {
          if (cost[i - 1][k] == kInfinite) continue;
          const std::uint64_t c =
              cost[i - 1][k] + per_value(j) * (cumulative[j + 1] - cumulative[k + 1]);
          if (c < cost[i][j]) {
            cost[i][j] = c;
            previous_end[i][j] = k;
          }
        }
      }
    }
    if (cost[n - 1][m - 1] == kInfinite) continue;
    const std::uint64_t total =
        cost[n - 1][m - 1] + 3 + static_cast<std::uint64_t>(kBucketWidthBits * n);
    if (total >= best_cost) continue;
    best_cost = total;
    best.n = static_cast<std::uint8_t>(n);
    int j = m - 1;
    for (int i = n - 1; i >= 0; --i) {
      best.widths[i] = static_cast<std::uint8_t>(lengths[j]);
      if (i > 0) j = previous_end[i][j];
    }
  }
  bits = best_cost;
  return best;
}

void WriteBuckets(BitWriter& w, const DecimalBuckets& buckets) {
  w.WriteBits(buckets.n - 1U, 3);
  for (int i = 0; i < buckets.n; ++i) w.WriteBits(buckets.widths[i], kBucketWidthBits);
}

bool ReadBuckets(BitReader& r, DecimalBuckets& buckets) {
  std::uint64_t n = 0;
  if (!r.ReadBits(3, n)) return false;
  buckets.n = static_cast<std::uint8_t>(n + 1);
  for (int i = 0; i < buckets.n; ++i) {
    std::uint64_t width = 0;
    if (!r.ReadBits(kBucketWidthBits, width) || width > 64) return false;
    if (i > 0 && width <= buckets.widths[i - 1]) return false;
    buckets.widths[i] = static_cast<std::uint8_t>(width);
  }
  return true;
}

void WriteBucketed(BitWriter& w, const DecimalBuckets& buckets, std::uint64_t u) {
  const int length = BitLength(u);
  int i = 0;
  while (buckets.widths[i] < length) ++i;  // the last bucket holds the longest value
  const int n = buckets.n;
  if (n > 1) {
    if (i < n - 1) {
      w.WriteBits((1ULL << (i + 1)) - 2, i + 1);
    } else {
      w.WriteBits((1ULL << (n - 1)) - 1, n - 1);
    }
  }
  w.WriteBits(u, buckets.widths[i]);
}

bool ReadBucketed(BitReader& r, const DecimalBuckets& buckets, std::uint64_t& u) {
  int i = 0;
  while (i < buckets.n - 1) {
    bool bit = false;
    if (!r.ReadBit(bit)) return false;
    if (!bit) break;
    ++i;
  }
  return r.ReadBits(buckets.widths[i], u);
}

// The kDecimal chunk of `samples`, or nullopt when a value is not a short decimal.
// The kDecimal chunk of `samples` at `scale`, or nullopt when a value is out of range or,
// without residuals, not exactly a decimal at that scale.
std::optional<std::vector<std::uint8_t>> EncodeDecimalAt(std::span<const Sample> samples,
                                                         int scale, bool with_residuals) {
  const std::size_t n = samples.size();
  std::vector<std::int64_t> mantissas(n);
  std::vector<std::uint64_t> residuals(n);
  for (std::size_t i = 0; i < n; ++i) {
    // With residuals any residual is exact (it is stored whole), so only the range matters.
    if (DecimalScale(samples[i].v, scale, with_residuals ? 64 : 0, mantissas[i]) != scale) {
      return std::nullopt;
    }
    residuals[i] = Residual(samples[i].v, mantissas[i], scale);
  }
  // Deltas are below 2^61 in magnitude (mantissas below 2^60): no overflow anywhere below.
  std::uint64_t gcd = 0;
  for (std::size_t i = 1; i < n; ++i) {
    const std::int64_t delta = mantissas[i] - mantissas[i - 1];
    gcd = std::gcd(gcd, static_cast<std::uint64_t>(delta < 0 ? -delta : delta));
  }
  if (gcd == 0) gcd = 1;
  const auto step = static_cast<std::int64_t>(gcd);
  const auto value_delta = [&](std::size_t i) { return (mantissas[i] - mantissas[i - 1]) / step; };
  const auto time_delta = [&](std::size_t i) {
    return static_cast<std::uint64_t>(samples[i].t) - static_cast<std::uint64_t>(samples[i - 1].t);
  };
  const auto time_dod = [&](std::size_t i) {
    return ZigZag(static_cast<std::int64_t>(time_delta(i) - time_delta(i - 1)));
  };
  std::int64_t minimum_delta = 0;
  for (std::size_t i = 2; i < n; ++i) {
    minimum_delta = i == 2 ? value_delta(i) : std::min(minimum_delta, value_delta(i));
  }
  const auto value_code = [&](ValueColumn column, std::size_t i) -> std::uint64_t {
    switch (column) {
      case ValueColumn::kDelta: return ZigZag(value_delta(i));
      case ValueColumn::kDeltaOfDelta: return ZigZag(value_delta(i) - value_delta(i - 1));
      case ValueColumn::kDeltaAboveMinimum:
        return static_cast<std::uint64_t>(value_delta(i) - minimum_delta);
    }
    return 0;
  };

  constexpr std::array<ValueColumn, 3> kColumns = {
      ValueColumn::kDelta, ValueColumn::kDeltaOfDelta, ValueColumn::kDeltaAboveMinimum};
  BitLengthHistogram time_lengths{};
  BitLengthHistogram residual_lengths{};
  std::array<BitLengthHistogram, kColumns.size()> value_lengths{};
  for (std::size_t i = 2; i < n; ++i) {
    ++time_lengths[BitLength(time_dod(i))];
    ++residual_lengths[BitLength(residuals[i])];
    for (std::size_t c = 0; c < kColumns.size(); ++c) {
      ++value_lengths[c][BitLength(value_code(kColumns[c], i))];
    }
  }
  std::uint64_t time_bits = 0;
  const DecimalBuckets time_buckets = ChooseBuckets(time_lengths, time_bits);
  std::uint64_t residual_column_bits = 0;
  const DecimalBuckets residual_buckets = ChooseBuckets(residual_lengths, residual_column_bits);
  ValueColumn column = ValueColumn::kDelta;
  DecimalBuckets value_buckets;
  std::uint64_t best_bits = std::numeric_limits<std::uint64_t>::max();
  for (std::size_t c = 0; c < kColumns.size(); ++c) {
    std::uint64_t bits = 0;
    const DecimalBuckets buckets = ChooseBuckets(value_lengths[c], bits);
    if (kColumns[c] == ValueColumn::kDeltaAboveMinimum) {
      bits += 8 * static_cast<std::uint64_t>(1 + BitLength(ZigZag(minimum_delta)) / 7);
    }
    if (bits < best_bits) {
      best_bits = bits;
      column = kColumns[c];
      value_buckets = buckets;
    }
  }

  std::vector<std::uint8_t> out = {static_cast<std::uint8_t>(ChunkEncoding::kDecimal), 0, 0};
  WriteCount(out, static_cast<std::uint16_t>(n));
  BitWriter w(out, 0);
  w.WriteVarint(samples[0].t);
  w.WriteBits(static_cast<std::uint64_t>(scale) |
                  (static_cast<std::uint64_t>(column) << kValueColumnShift) |
                  (with_residuals ? kResidualFlag : 0),
              8);
  w.WriteVarint(mantissas[0]);
  if (with_residuals) w.WriteUvarint(residuals[0]);
  if (n >= 2) {
    w.WriteVarint(static_cast<std::int64_t>(time_delta(1)));
    w.WriteUvarint(gcd);
    w.WriteVarint(value_delta(1));
    if (with_residuals) w.WriteUvarint(residuals[1]);
  }
  if (n >= 3) {
    if (column == ValueColumn::kDeltaAboveMinimum) w.WriteVarint(minimum_delta);
    WriteBuckets(w, time_buckets);
    WriteBuckets(w, value_buckets);
    if (with_residuals) WriteBuckets(w, residual_buckets);
    for (std::size_t i = 2; i < n; ++i) {
      WriteBucketed(w, time_buckets, time_dod(i));
      WriteBucketed(w, value_buckets, value_code(column, i));
      if (with_residuals) WriteBucketed(w, residual_buckets, residuals[i]);
    }
  }
  return out;
}

// The smallest kDecimal chunk of `samples`, or nullopt when their values are not decimals.
std::optional<std::vector<std::uint8_t>> EncodeDecimal(std::span<const Sample> samples) {
  if (samples.empty() || samples.size() > kMaxCount) return std::nullopt;
  // Exact decimals: one scale for the chunk, the largest any value needs (a value exact at
  // scale k is exact at every larger one; EncodeDecimalAt checks rather than trusts that).
  int scale = 0;
  std::int64_t mantissa = 0;
  for (const Sample& s : samples) {
    scale = DecimalScale(s.v, scale, 0, mantissa);
    if (scale < 0) break;
  }
  if (scale >= 0) return EncodeDecimalAt(samples, scale, false);
  // Decimals up to rounding: every value must be near a decimal at some scale; the best scale
  // for the chunk is not the largest (at scale 9 a sum of milliseconds is near a decimal too,
  // with 20 more bits of mantissa), so each scale some value prefers is tried.
  std::array<bool, kMaxScale + 1> candidates{};
  for (const Sample& s : samples) {
    const int k = DecimalScale(s.v, 0, kMaxResidualBits, mantissa);
    if (k < 0) return std::nullopt;
    candidates[static_cast<std::size_t>(k)] = true;
  }
  std::optional<std::vector<std::uint8_t>> best;
  for (int k = 0; k <= kMaxScale; ++k) {
    if (!candidates[static_cast<std::size_t>(k)]) continue;
    std::optional<std::vector<std::uint8_t>> chunk = EncodeDecimalAt(samples, k, true);
    if (chunk && (!best || chunk->size() < best->size())) best = std::move(chunk);
  }
  return best;
}

}  // namespace

// ---- XorAppender ---------------------------------------------------------------------------

XorAppender::XorAppender() : bytes_{static_cast<std::uint8_t>(ChunkEncoding::kXor), 0, 0} {}

std::uint16_t XorAppender::count() const { return ReadCount(bytes_); }

void XorAppender::Append(Timestamp t, double v) {
  const std::uint16_t n = count();
  if (n == kMaxCount) return;
  BitWriter w(bytes_, bit_pos_);
  const auto value_bits = std::bit_cast<std::uint64_t>(v);
  if (n == 0) {
    w.WriteVarint(t);
    w.WriteBits(value_bits, 64);
    min_t_ = t;
  } else {
    const std::uint64_t delta = static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(last_t_);
    if (n == 1) {
      w.WriteUvarint(delta);
    } else {
      WriteTimestampDod(w, static_cast<std::int64_t>(delta - static_cast<std::uint64_t>(last_delta_)));
    }
    WriteXorValue(w, last_bits_, value_bits, leading_, trailing_);
    last_delta_ = static_cast<std::int64_t>(delta);
  }
  last_t_ = max_t_ = t;
  last_bits_ = value_bits;
  bit_pos_ = w.used();
  WriteCount(bytes_, static_cast<std::uint16_t>(n + 1));
}

bool XorAppender::Resume(std::span<const std::uint8_t> chunk) {
  *this = XorAppender();
  if (chunk.size() < kHeaderBytes || chunk[0] != static_cast<std::uint8_t>(ChunkEncoding::kXor)) {
    return false;
  }
  ChunkIterator it(chunk);
  Timestamp first = 0;
  std::uint16_t n = 0;
  while (it.Next()) {
    if (n++ == 0) first = it.t();
  }
  if (it.error()) return false;
  // Keep the bytes the samples use; bits past them in the last byte must be zero for the
  // writer to continue.
  const std::size_t used_bits = it.bit_pos_;
  bytes_.assign(chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>((used_bits + 7) / 8));
  bit_pos_ = static_cast<std::uint8_t>(used_bits % 8);
  if (bit_pos_ != 0) bytes_.back() = static_cast<std::uint8_t>(bytes_.back() & (0xff << (8 - bit_pos_)));
  if (n == 0) return true;
  min_t_ = first;
  max_t_ = last_t_ = it.t();
  last_delta_ = static_cast<std::int64_t>(it.t_delta_);
  last_bits_ = it.value_bits_;
  leading_ = it.leading_;
  trailing_ = it.trailing_;
  return true;
}

// ---- ChunkIterator -------------------------------------------------------------------------

ChunkIterator::ChunkIterator(std::span<const std::uint8_t> chunk)
    : chunk_(chunk), bit_pos_(kHeaderBits) {
  if (chunk.size() < kHeaderBytes ||
      (chunk[0] != static_cast<std::uint8_t>(ChunkEncoding::kXor) &&
       chunk[0] != static_cast<std::uint8_t>(ChunkEncoding::kDecimal))) {
    error_ = done_ = true;
    return;
  }
  encoding_ = static_cast<ChunkEncoding>(chunk[0]);
  count_ = ReadCount(chunk);
}

bool ChunkIterator::Next() {
  if (done_) return false;
  if (index_ == count_) {
    done_ = true;
    return false;
  }
  if (!(encoding_ == ChunkEncoding::kXor ? NextXor() : NextDecimal())) {
    error_ = done_ = true;
    return false;
  }
  ++index_;
  return true;
}

bool ChunkIterator::NextXor() {
  BitReader r(chunk_, bit_pos_);
  if (index_ == 0) {
    std::int64_t t = 0;
    if (!r.ReadVarint(t) || !r.ReadBits(64, value_bits_)) return false;
    t_ = t;
  } else {
    if (index_ == 1) {
      if (!r.ReadUvarint(t_delta_)) return false;
    } else {
      std::uint64_t dod = 0;
      if (!ReadTimestampDod(r, dod)) return false;
      t_delta_ += dod;
    }
    if (!ReadXorValue(r, value_bits_, leading_, trailing_)) return false;
    t_ = static_cast<Timestamp>(static_cast<std::uint64_t>(t_) + t_delta_);
  }
  v_ = std::bit_cast<double>(value_bits_);
  bit_pos_ = r.bit_pos();
  return true;
}

bool ChunkIterator::NextDecimal() {
  BitReader r(chunk_, bit_pos_);
  if (index_ == 0) {
    std::int64_t t = 0;
    std::uint64_t flags = 0;
    std::int64_t mantissa = 0;
    if (!r.ReadVarint(t) || !r.ReadBits(8, flags) || !r.ReadVarint(mantissa)) return false;
    scale_ = static_cast<std::uint8_t>(flags & 0x0f);
    value_column_ = static_cast<std::uint8_t>((flags >> kValueColumnShift) & 3);
    has_residuals_ = (flags & kResidualFlag) != 0;
    residual_ = 0;
    if (has_residuals_ && !r.ReadUvarint(residual_)) return false;
    if (scale_ > kMaxScale || (flags & ~kFlagsMask) != 0 ||
        value_column_ > static_cast<std::uint8_t>(ValueColumn::kDeltaAboveMinimum)) {
      return false;
    }
    t_ = t;
    mantissa_ = static_cast<std::uint64_t>(mantissa);
  } else {
    if (index_ == 1) {
      std::int64_t time_delta = 0;
      std::int64_t delta = 0;
      if (!r.ReadVarint(time_delta) || !r.ReadUvarint(gcd_) || !r.ReadVarint(delta)) return false;
      if (gcd_ == 0) return false;
      if (has_residuals_ && !r.ReadUvarint(residual_)) return false;
      t_delta_ = static_cast<std::uint64_t>(time_delta);
      mantissa_delta_ = static_cast<std::uint64_t>(delta);
    } else {
      if (index_ == 2) {
        std::int64_t minimum = 0;
        if (value_column_ == static_cast<std::uint8_t>(ValueColumn::kDeltaAboveMinimum) &&
            !r.ReadVarint(minimum)) {
          return false;
        }
        value_offset_ = static_cast<std::uint64_t>(minimum);
        if (!ReadBuckets(r, time_buckets_) || !ReadBuckets(r, value_buckets_)) return false;
        if (has_residuals_ && !ReadBuckets(r, residual_buckets_)) return false;
      }
      std::uint64_t time_code = 0;
      std::uint64_t value_code = 0;
      if (!ReadBucketed(r, time_buckets_, time_code) ||
          !ReadBucketed(r, value_buckets_, value_code) ||
          (has_residuals_ && !ReadBucketed(r, residual_buckets_, residual_))) {
        return false;
      }
      t_delta_ += static_cast<std::uint64_t>(UnZigZag(time_code));
      switch (static_cast<ValueColumn>(value_column_)) {
        case ValueColumn::kDelta:
          mantissa_delta_ = static_cast<std::uint64_t>(UnZigZag(value_code));
          break;
        case ValueColumn::kDeltaOfDelta:
          mantissa_delta_ += static_cast<std::uint64_t>(UnZigZag(value_code));
          break;
        case ValueColumn::kDeltaAboveMinimum:
          mantissa_delta_ = value_offset_ + value_code;
          break;
      }
    }
    t_ = static_cast<Timestamp>(static_cast<std::uint64_t>(t_) + t_delta_);
    mantissa_ += mantissa_delta_ * gcd_;
  }
  v_ = std::bit_cast<double>(std::bit_cast<std::uint64_t>(DecimalValue(mantissa_, scale_)) ^
                              residual_);
  bit_pos_ = r.bit_pos();
  return true;
}

// ---- Whole chunks --------------------------------------------------------------------------

std::uint16_t ChunkSampleCount(std::span<const std::uint8_t> chunk) {
  return chunk.size() < kHeaderBytes ? 0 : ReadCount(chunk);
}

bool DecodeChunk(std::span<const std::uint8_t> chunk, Timestamp mint, Timestamp maxt,
                 std::vector<Sample>& out) {
  ChunkIterator it(chunk);
  // Reserve only into an empty vector: callers append chunk after chunk, and an exact reserve
  // per chunk would copy the whole vector each time. Bounded by the 16-bit count.
  if (out.empty()) out.reserve(ChunkSampleCount(chunk));
  while (it.Next()) {
    if (it.t() > maxt) break;
    if (it.t() >= mint) out.push_back({it.t(), it.v()});
  }
  return !it.error();
}

std::vector<std::uint8_t> Seal(std::span<const std::uint8_t> chunk) {
  std::vector<std::uint8_t> original(chunk.begin(), chunk.end());
  if (chunk.size() < kHeaderBytes || chunk[0] != static_cast<std::uint8_t>(ChunkEncoding::kXor)) {
    return original;
  }
  std::vector<Sample> samples;
  if (!DecodeChunk(chunk, std::numeric_limits<Timestamp>::min(),
                   std::numeric_limits<Timestamp>::max(), samples)) {
    return original;
  }
  std::optional<std::vector<std::uint8_t>> decimal = EncodeDecimal(samples);
  if (decimal && decimal->size() < original.size()) return std::move(*decimal);
  return original;
}

std::vector<std::uint8_t> EncodeSamples(std::span<const Sample> samples) {
  samples = samples.first(std::min<std::size_t>(samples.size(), kMaxCount));
  XorAppender appender;
  for (const Sample& s : samples) appender.Append(s.t, s.v);
  std::optional<std::vector<std::uint8_t>> decimal = EncodeDecimal(samples);
  if (decimal && decimal->size() < appender.bytes().size()) return std::move(*decimal);
  return {appender.bytes().begin(), appender.bytes().end()};
}

// ---- Tier chunks ---------------------------------------------------------------------------
//
// Format byte, uvarint point count, varint first timestamp, varint first delta, timestamp
// delta-of-deltas in Prometheus's buckets; then each column (min, max, sum, count, last): its
// first value's 64 bits and the rest XOR'd as in a kXor chunk.

namespace {

constexpr std::uint8_t kAggregateFormat = 1;
// Format 2: uvarint point count, then each column as a whole sample chunk (EncodeSamples: the
// sealed decimal coding when smaller) preceded by its uvarint length; every column repeats the
// points' timestamps, which cost nothing past the first two when they are regular. A minute
// column of a counter's `count` or a gauge's `last` then costs what a raw chunk of it costs,
// where the XOR columns of format 1 paid 6-8 bytes a point.
constexpr std::uint8_t kAggregateColumnsFormat = 2;
constexpr std::array<double AggregatePoint::*, 5> kAggregateColumns = {
    &AggregatePoint::min, &AggregatePoint::max, &AggregatePoint::sum, &AggregatePoint::count,
    &AggregatePoint::last};
// Past the first, a point costs at least one bit for its timestamp and one per column.
constexpr std::size_t kMinBitsPerPoint = 1 + kAggregateColumns.size();

}  // namespace

// Format 1: kept for chunks with more points than a sample chunk holds, and read back always.
static std::vector<std::uint8_t> EncodeAggregatesXor(std::span<const AggregatePoint> points) {
  std::vector<std::uint8_t> out = {kAggregateFormat};
  BitWriter w(out, 0);
  w.WriteUvarint(points.size());
  if (points.empty()) return out;
  w.WriteVarint(points[0].t);
  std::uint64_t previous_delta = 0;
  for (std::size_t i = 1; i < points.size(); ++i) {
    const std::uint64_t delta =
        static_cast<std::uint64_t>(points[i].t) - static_cast<std::uint64_t>(points[i - 1].t);
    if (i == 1) {
      w.WriteVarint(static_cast<std::int64_t>(delta));
    } else {
      WriteTimestampDod(w, static_cast<std::int64_t>(delta - previous_delta));
    }
    previous_delta = delta;
  }
  for (double AggregatePoint::*column : kAggregateColumns) {
    std::uint64_t previous = std::bit_cast<std::uint64_t>(points[0].*column);
    w.WriteBits(previous, 64);
    std::uint8_t leading = 0xff;
    std::uint8_t trailing = 0;
    for (std::size_t i = 1; i < points.size(); ++i) {
      const auto value = std::bit_cast<std::uint64_t>(points[i].*column);
      WriteXorValue(w, previous, value, leading, trailing);
      previous = value;
    }
  }
  return out;
}

static bool DecodeAggregatesXor(std::span<const std::uint8_t> chunk, std::vector<AggregatePoint>& out) {
  if (chunk.empty() || chunk[0] != kAggregateFormat) return false;
  BitReader r(chunk, 8);
  std::uint64_t count = 0;
  if (!r.ReadUvarint(count)) return false;
  if (count == 0) return true;
  // Bounds the allocation by the input's size.
  if (count - 1 > r.bits_left() / kMinBitsPerPoint) return false;
  std::vector<AggregatePoint> points(count);
  std::int64_t t = 0;
  if (!r.ReadVarint(t)) return false;
  points[0].t = t;
  std::uint64_t delta = 0;
  for (std::size_t i = 1; i < count; ++i) {
    if (i == 1) {
      std::int64_t first_delta = 0;
      if (!r.ReadVarint(first_delta)) return false;
      delta = static_cast<std::uint64_t>(first_delta);
    } else {
      std::uint64_t dod = 0;
      if (!ReadTimestampDod(r, dod)) return false;
      delta += dod;
    }
    points[i].t =
        static_cast<Timestamp>(static_cast<std::uint64_t>(points[i - 1].t) + delta);
  }
  for (double AggregatePoint::*column : kAggregateColumns) {
    std::uint64_t value = 0;
    if (!r.ReadBits(64, value)) return false;
    points[0].*column = std::bit_cast<double>(value);
    std::uint8_t leading = 0xff;
    std::uint8_t trailing = 0;
    for (std::size_t i = 1; i < count; ++i) {
      if (!ReadXorValue(r, value, leading, trailing)) return false;
      points[i].*column = std::bit_cast<double>(value);
    }
  }
  out.insert(out.end(), points.begin(), points.end());
  return true;
}

std::vector<std::uint8_t> EncodeAggregates(std::span<const AggregatePoint> points) {
  if (points.size() > kMaxCount) return EncodeAggregatesXor(points);
  std::vector<std::uint8_t> out = {kAggregateColumnsFormat};
  BitWriter w(out, 0);
  w.WriteUvarint(points.size());
  std::vector<Sample> column(points.size());
  for (double AggregatePoint::*member : kAggregateColumns) {
    for (std::size_t i = 0; i < points.size(); ++i) column[i] = Sample{points[i].t, points[i].*member};
    std::vector<std::uint8_t> encoded = EncodeSamples(column);
    w.WriteUvarint(encoded.size());
    for (std::uint8_t byte : encoded) w.WriteBits(byte, 8);
  }
  return out;
}

bool DecodeAggregates(std::span<const std::uint8_t> chunk, std::vector<AggregatePoint>& out) {
  if (chunk.empty()) return false;
  if (chunk[0] == kAggregateFormat) return DecodeAggregatesXor(chunk, out);
  if (chunk[0] != kAggregateColumnsFormat) return false;
  BitReader r(chunk, 8);
  std::uint64_t count = 0;
  if (!r.ReadUvarint(count) || count > kMaxCount) return false;
  if (count == 0) return true;
  std::vector<AggregatePoint> points(count);
  std::vector<Sample> column;
  for (std::size_t c = 0; c < kAggregateColumns.size(); ++c) {
    std::uint64_t length = 0;
    if (!r.ReadUvarint(length) || length > r.bits_left() / 8) return false;
    std::vector<std::uint8_t> bytes(length);
    for (std::uint8_t& byte : bytes) {
      std::uint64_t bits = 0;
      if (!r.ReadBits(8, bits)) return false;
      byte = static_cast<std::uint8_t>(bits);
    }
    column.clear();
    if (!DecodeChunk(bytes, std::numeric_limits<Timestamp>::min(), std::numeric_limits<Timestamp>::max(), column) ||
        column.size() != count) {
      return false;
    }
    for (std::size_t i = 0; i < count; ++i) {
      // Every column carries the same timestamps; a chunk where they differ is corrupt.
      if (c == 0) {
        points[i].t = column[i].t;
      } else if (points[i].t != column[i].t) {
        return false;
      }
      points[i].*kAggregateColumns[c] = column[i].v;
    }
  }
  out.insert(out.end(), points.begin(), points.end());
  return true;
}

}  // namespace metricsd::storage
