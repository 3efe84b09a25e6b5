// Bit-level writing and reading for the chunk encodings: most significant bit first, as
// Prometheus's bstream, plus the varints and zig-zag mapping the encodings share.
// Internal to daemon/storage (chunk.cpp); not part of the store's interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace metricsd::storage::bits {

// Signed to unsigned so that small magnitudes of either sign get small codes (Go's varint).
inline std::uint64_t ZigZag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t UnZigZag(std::uint64_t u) {
  return static_cast<std::int64_t>((u >> 1) ^ (0 - (u & 1)));
}

// Appends bits to a byte vector. Bits past the written ones in the last byte are zero, so a
// writer can be re-created over the same vector to continue. Thread-safety: not thread-safe.
class BitWriter {
 public:
  // `used`: bits already written in the last byte of `bytes` (0: the next bit starts a byte).
  BitWriter(std::vector<std::uint8_t>& bytes, std::uint8_t used) : bytes_(bytes), used_(used) {}

  // Writes the low `n` bits of `value` (n in 0..64), highest first. The pending bits of the
  // last byte and the new ones are assembled in one word and stored a byte at a time: one
  // resize per call, which keeps XorAppender::Append well under 50 ns.
  void WriteBits(std::uint64_t value, int n) {
    if (n > 56) {
      WriteBits(value >> 32, n - 32);
      n = 32;
    }
    if (n <= 0) return;
    std::uint64_t word = value & ((1ULL << n) - 1);
    int total = n;
    std::size_t start = bytes_.size();
    if (used_ != 0) {
      --start;
      word |= static_cast<std::uint64_t>(bytes_.back() >> (8 - used_)) << n;
      total += used_;
    }
    const int out_bytes = (total + 7) / 8;
    word <<= 64 - total;
    bytes_.resize(start + static_cast<std::size_t>(out_bytes));
    for (int i = 0; i < out_bytes; ++i) {
      bytes_[start + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(word >> (56 - 8 * i));
    }
    used_ = static_cast<std::uint8_t>(total & 7);
  }
  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }

  void WriteUvarint(std::uint64_t v) {
    while (v >= 0x80) {
      WriteBits((v & 0x7f) | 0x80, 8);
      v >>= 7;
    }
    WriteBits(v, 8);
  }
  void WriteVarint(std::int64_t v) { WriteUvarint(ZigZag(v)); }

  // Bits written in the last byte (0: it is full).
  std::uint8_t used() const { return used_; }

 private:
  std::vector<std::uint8_t>& bytes_;
  std::uint8_t used_;
};

// Reads bits from a span, never past its end: every read reports whether the bits were there.
// Thread-safety: not thread-safe.
class BitReader {
 public:
  BitReader(std::span<const std::uint8_t> data, std::size_t bit_pos)
      : data_(data), pos_(bit_pos) {}

  std::size_t bit_pos() const { return pos_; }
  std::size_t bits_left() const {
    const std::size_t total = data_.size() * 8;
    return pos_ < total ? total - pos_ : 0;
  }

  // Reads `n` bits (0..64) into `out`; false (nothing consumed) when fewer are left.
  bool ReadBits(int n, std::uint64_t& out) {
    if (static_cast<std::size_t>(n) > bits_left()) return false;
    std::uint64_t v = 0;
    while (n > 0) {
      const int offset = static_cast<int>(pos_ & 7);
      const int avail = 8 - offset;
      const int take = n < avail ? n : avail;
      const unsigned byte = data_[pos_ >> 3];
      v = (v << take) | ((byte >> (avail - take)) & ((1u << take) - 1));
      pos_ += static_cast<std::size_t>(take);
      n -= take;
    }
    out = v;
    return true;
  }
  bool ReadBit(bool& bit) {
    if (pos_ >= data_.size() * 8) return false;
    bit = (data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
    ++pos_;
    return true;
  }

  // Go's binary.Uvarint: at most 10 bytes, and the 10th may only carry the top bit.
  bool ReadUvarint(std::uint64_t& out) {
    std::uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      std::uint64_t byte = 0;
      if (!ReadBits(8, byte)) return false;
      if (i == 9 && byte > 1) return false;
      v |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        out = v;
        return true;
      }
    }
    return false;
  }
  bool ReadVarint(std::int64_t& out) {
    std::uint64_t u = 0;
    if (!ReadUvarint(u)) return false;
    out = UnZigZag(u);
    return true;
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_;
};

}  // namespace metricsd::storage::bits
