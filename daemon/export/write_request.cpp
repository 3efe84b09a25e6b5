#include "daemon/export/write_request.h"

#include <snappy.h>

#include <bit>
#include <cstdint>
#include <cstring>

namespace metricsd::remote {
namespace {

// Protobuf wire tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
constexpr char kTimeSeriesTag = 0x0a;  // WriteRequest.timeseries = 1, LEN
constexpr char kLabelTag = 0x0a;       // TimeSeries.labels = 1, LEN
constexpr char kSampleTag = 0x12;      // TimeSeries.samples = 2, LEN
constexpr char kNameTag = 0x0a;        // Label.name = 1, LEN
constexpr char kValueTag = 0x12;       // Label.value = 2, LEN
constexpr char kSampleValueTag = 0x09;      // Sample.value = 1, fixed64
constexpr char kSampleTimestampTag = 0x10;  // Sample.timestamp = 2, varint

std::size_t VarintSize(std::uint64_t v) {
  return static_cast<std::size_t>(std::bit_width(v | 1) + 6) / 7;
}

// A string field: omitted when empty (proto3).
std::size_t StringFieldSize(std::size_t length) {
  return length == 0 ? 0 : 1 + VarintSize(length) + length;
}

// A length-delimited submessage: always present (a repeated element).
std::size_t MessageFieldSize(std::size_t length) { return 1 + VarintSize(length) + length; }

std::uint64_t ValueBits(double v) {
  // A staleness marker goes out as exactly Prometheus's StaleNaN, whatever NaN bits it held.
  return storage::IsStaleMarker(v) ? storage::kStaleNaNBits : std::bit_cast<std::uint64_t>(v);
}

std::size_t SampleSize(const storage::Sample& s) {
  return (ValueBits(s.v) != 0 ? 9 : 0) +
         (s.t != 0 ? 1 + VarintSize(static_cast<std::uint64_t>(s.t)) : 0);
}

std::size_t LabelSize(const std::pair<std::string, std::string>& label) {
  return StringFieldSize(label.first.size()) + StringFieldSize(label.second.size());
}

std::size_t SeriesSize(const OutgoingSeries& series) {
  std::size_t size = 0;
  for (const auto& label : series.labels) size += MessageFieldSize(LabelSize(label));
  for (const auto& sample : series.samples) size += MessageFieldSize(SampleSize(sample));
  return size;
}

char* PutVarint(char* p, std::uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

char* PutString(char* p, char tag, const std::string& text) {
  if (text.empty()) return p;
  *p++ = tag;
  p = PutVarint(p, text.size());
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

char* PutSeries(char* p, const OutgoingSeries& series, std::size_t size) {
  *p++ = kTimeSeriesTag;
  p = PutVarint(p, size);
  for (const auto& label : series.labels) {
    *p++ = kLabelTag;
    p = PutVarint(p, LabelSize(label));
    p = PutString(p, kNameTag, label.first);
    p = PutString(p, kValueTag, label.second);
  }
  for (const auto& sample : series.samples) {
    *p++ = kSampleTag;
    p = PutVarint(p, SampleSize(sample));
    if (std::uint64_t bits = ValueBits(sample.v); bits != 0) {
      *p++ = kSampleValueTag;
      for (int i = 0; i < 8; ++i) *p++ = static_cast<char>(bits >> (8 * i));  // little-endian
    }
    if (sample.t != 0) {
      *p++ = kSampleTimestampTag;
      p = PutVarint(p, static_cast<std::uint64_t>(sample.t));  // int64: two's complement
    }
  }
  return p;
}

}  // namespace

struct WriteRequestEncoder::Buffers {
  std::string serialized;                // the WriteRequest before compression
  std::vector<std::size_t> series_sizes;  // each TimeSeries' encoded length
};

WriteRequestEncoder::WriteRequestEncoder() : buffers_(std::make_unique<Buffers>()) {}
WriteRequestEncoder::~WriteRequestEncoder() = default;

void WriteRequestEncoder::EncodeTo(std::span<const OutgoingSeries> series, std::string& body) {
  Buffers& b = *buffers_;
  b.series_sizes.clear();
  std::size_t total = 0;
  for (const OutgoingSeries& s : series) {
    std::size_t size = SeriesSize(s);
    b.series_sizes.push_back(size);
    total += MessageFieldSize(size);
  }
  b.serialized.resize(total);
  char* p = b.serialized.data();
  for (std::size_t i = 0; i < series.size(); ++i) p = PutSeries(p, series[i], b.series_sizes[i]);

  body.resize(snappy::MaxCompressedLength(total));
  std::size_t compressed = 0;
  snappy::RawCompress(b.serialized.data(), total, body.data(), &compressed);
  body.resize(compressed);
}

std::string WriteRequestEncoder::Encode(std::span<const OutgoingSeries> series) {
  std::string body;
  EncodeTo(series, body);
  return body;
}

std::string_view WriteRequestEncoder::LastUncompressed() const { return buffers_->serialized; }

}  // namespace metricsd::remote
