// Compressed chunks of one series' samples, the unit the head keeps in memory and the database
// keeps on disk.
//
// Every chunk starts with one encoding byte, then a 16-bit sample count (big endian), then the
// encoding's body:
//   kXor      Gorilla, as Prometheus's XOR chunk: first timestamp varint, first value 64 bits,
//             second timestamp as a uvarint delta, then delta-of-delta timestamps in Prometheus's
//             bit buckets (0 / 14 / 17 / 20 / 64 bits) and XOR'd values reusing the previous
//             leading/trailing-zero window. Appendable: the head's open chunk is always kXor.
//   kDecimal  for a sealed chunk whose values are all decimals with few digits (byte counts,
//             centiseconds, 0.25 steps): values scaled to integers (mantissas) by one power of
//             ten, as VictoriaMetrics does with its decimal conversion, their deltas divided by
//             the deltas' common divisor (4096-byte pages cost nothing extra), then stored as
//             zig-zag deltas, zig-zag delta-of-deltas or deltas above their minimum (whichever
//             is smallest for the chunk) in bit buckets chosen per chunk to fit its data;
//             timestamps as zig-zag delta-of-delta in their own buckets, so a regular interval
//             and a constant value cost 0 bits a sample. Values that are decimals only up to float rounding (sums of decimals)
//             also store each value's XOR with its decimal, a few low bits. Chosen by Seal()
//             only when it is smaller.
// A reader never trusts a chunk: a truncated or garbled chunk ends iteration with error() set.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "daemon/storage/sample.h"

namespace metricsd::storage {

enum class ChunkEncoding : std::uint8_t { kXor = 1, kDecimal = 2 };

// Prometheus cuts a head chunk at 120 samples; so do we (at 10 s that is 20 minutes).
inline constexpr std::uint16_t kSamplesPerChunk = 120;

// Appends samples to an open kXor chunk. Timestamps must strictly increase (the caller drops
// out-of-order samples and counts them). Thread-safety: not thread-safe.
class XorAppender {
 public:
  XorAppender();
  // Resumes appending to an existing kXor chunk (a head chunk reloaded from the database);
  // false when `chunk` is not a valid kXor chunk (then the appender is empty).
  bool Resume(std::span<const std::uint8_t> chunk);

  // Appends one sample. A chunk holds at most 65535 samples (the count is 16 bits): appends to
  // a full() chunk are ignored; the head cuts chunks long before (kSamplesPerChunk).
  void Append(Timestamp t, double v);

  std::uint16_t count() const;
  bool full() const { return count() == 0xffff; }
  Timestamp min_t() const { return min_t_; }
  Timestamp max_t() const { return max_t_; }
  // The chunk so far, a valid kXor chunk at any moment.
  std::span<const std::uint8_t> bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
  Timestamp min_t_ = 0;
  Timestamp max_t_ = 0;
  Timestamp last_t_ = 0;
  std::int64_t last_delta_ = 0;
  std::uint64_t last_bits_ = 0;
  std::uint8_t leading_ = 0xff;  // the XOR window's leading zeros; 0xff: no window yet
  std::uint8_t trailing_ = 0;
  std::uint8_t bit_pos_ = 0;  // bits used in the last byte (0 = byte full / none)
};

// The smallest encoding of a finished chunk: kDecimal when its values allow and it is smaller,
// else `chunk` as it is. `chunk` is any valid chunk.
std::vector<std::uint8_t> Seal(std::span<const std::uint8_t> chunk);

// The smallest chunk holding `samples` (at most 65535; the rest are left out): kDecimal when
// possible and smaller, else kXor. For sealing several head chunks as one: a sealed chunk
// costs ~20 bytes besides its samples, 0.16 bytes a sample at 120 samples, 0.03 at 720.
std::vector<std::uint8_t> EncodeSamples(std::span<const Sample> samples);

// The bit buckets of one kDecimal column: `n` (1..8) widths in bits, strictly increasing; a value
// is coded in the first bucket wide enough, after a unary bucket number (see chunk.cpp).
struct DecimalBuckets {
  std::uint8_t n = 1;
  std::array<std::uint8_t, 8> widths = {};
};

// Iterates any chunk. Thread-safety: not thread-safe; the bytes must outlive it.
class ChunkIterator {
 public:
  explicit ChunkIterator(std::span<const std::uint8_t> chunk);
  // Advances to the next sample; false at the end or on a corrupt chunk.
  bool Next();
  Timestamp t() const { return t_; }
  double v() const { return v_; }
  // Whether iteration stopped on a corrupt chunk rather than at its end.
  bool error() const { return error_; }

 private:
  friend class XorAppender;  // Resume() continues from the decoder's state
  bool NextXor();
  bool NextDecimal();

  std::span<const std::uint8_t> chunk_;
  std::size_t bit_pos_ = 0;  // the next bit to read
  std::uint16_t count_ = 0;
  std::uint16_t index_ = 0;  // samples read so far
  bool done_ = false;
  bool error_ = false;
  ChunkEncoding encoding_ = ChunkEncoding::kXor;
  Timestamp t_ = 0;
  double v_ = 0;
  std::uint64_t t_delta_ = 0;  // the last timestamp delta (wrapping arithmetic)
  // kXor
  std::uint64_t value_bits_ = 0;
  std::uint8_t leading_ = 0xff;
  std::uint8_t trailing_ = 0;
  // kDecimal: value = mantissa / 10^scale; mantissa steps by delta * gcd
  std::uint64_t mantissa_ = 0;
  std::uint64_t mantissa_delta_ = 0;  // in units of gcd_
  std::uint64_t gcd_ = 1;
  std::uint64_t value_offset_ = 0;  // added to every coded delta (kDeltaAboveMinimum)
  std::uint8_t scale_ = 0;
  std::uint8_t value_column_ = 0;  // how the value column codes deltas (see chunk.cpp)
  bool has_residuals_ = false;     // values are mantissa / 10^scale XOR residual_
  std::uint64_t residual_ = 0;
  DecimalBuckets time_buckets_;
  DecimalBuckets value_buckets_;
  DecimalBuckets residual_buckets_;
};

// The number of samples a chunk says it holds (0 for a chunk too short to say).
std::uint16_t ChunkSampleCount(std::span<const std::uint8_t> chunk);

// Decodes every sample of `chunk` in [mint, maxt] onto `out`; false when the chunk is corrupt
// (the samples before the damage are still appended).
bool DecodeChunk(std::span<const std::uint8_t> chunk, Timestamp mint, Timestamp maxt,
                 std::vector<Sample>& out);

// One downsampled point of a tier: the aggregates of the raw samples in [t, t + resolution).
// Staleness markers are not aggregated.
struct AggregatePoint {
  Timestamp t = 0;  // the bucket's start, a multiple of the tier's resolution
  double min = 0;
  double max = 0;
  double sum = 0;
  double count = 0;
  double last = 0;
  friend bool operator==(const AggregatePoint&, const AggregatePoint&) = default;
};

// A tier chunk: each of the five columns as its own sample chunk (EncodeSamples: decimal when
// smaller), so a column of equal values costs nothing a point and a column of decimals what a
// raw chunk of them costs. (Format 1, all columns XOR'd, is still read.)
std::vector<std::uint8_t> EncodeAggregates(std::span<const AggregatePoint> points);
// false on a corrupt chunk; then nothing is appended to `out` (a column cannot be read
// without the ones before it).
bool DecodeAggregates(std::span<const std::uint8_t> chunk, std::vector<AggregatePoint>& out);

}  // namespace metricsd::storage
