// History chunks from arbitrary bytes, three ways:
//  - the input as a chunk: iterate, decode, Resume and append, Seal; bounded, never UB;
//  - the input as a tier chunk of aggregates;
//  - the input as samples (records of int16 timestamp step, selector byte, 8 payload bytes):
//    append them, seal, EncodeSamples, and decode each: every timestamp and value bit must come back,
//    and their aggregates must survive EncodeAggregates/DecodeAggregates.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "daemon/storage/chunk.h"

namespace {

using metricsd::storage::AggregatePoint;
using metricsd::storage::ChunkIterator;
using metricsd::storage::ChunkSampleCount;
using metricsd::storage::Sample;
using metricsd::storage::Timestamp;

void Check(bool condition) {
  if (!condition) std::abort();
}

void DecodeAsChunk(std::span<const std::uint8_t> bytes) {
  ChunkIterator it(bytes);
  std::size_t n = 0;
  while (it.Next()) ++n;
  Check(n <= ChunkSampleCount(bytes));
  std::vector<Sample> out;
  metricsd::storage::DecodeChunk(bytes, -1000, 1000, out);
  metricsd::storage::XorAppender appender;
  if (appender.Resume(bytes)) {
    Check(appender.count() == n);
    appender.Append(static_cast<Timestamp>(static_cast<std::uint64_t>(appender.max_t()) + 1), 0.5);
    Check(appender.count() == n + 1 || appender.full());
  }
  const std::vector<std::uint8_t> sealed = metricsd::storage::Seal(bytes);
  Check(sealed.size() <= bytes.size());
}

// The samples the records describe: values either raw bits or a short decimal.
std::vector<Sample> ParseRecords(std::span<const std::uint8_t> bytes) {
  constexpr std::size_t kRecord = 11;
  std::vector<Sample> samples;
  Timestamp t = 1'700'000'000'000;
  for (std::size_t i = 0; i + kRecord <= bytes.size() && samples.size() < 0xffff; i += kRecord) {
    std::int16_t step = 0;
    std::memcpy(&step, &bytes[i], 2);
    const std::uint8_t selector = bytes[i + 2];
    std::uint64_t payload = 0;
    std::memcpy(&payload, &bytes[i + 3], 8);
    t = static_cast<Timestamp>(static_cast<std::uint64_t>(t) + static_cast<std::uint64_t>(step));
    double v = std::bit_cast<double>(payload);
    if ((selector & 1) == 0) {
      static constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
      const auto mantissa = static_cast<std::int64_t>(payload) >> ((selector >> 1) & 63);
      v = static_cast<double>(mantissa) / kPow10[(selector >> 1) % 10];
    }
    samples.push_back({t, v});
  }
  return samples;
}

void ExpectSamples(std::span<const std::uint8_t> chunk, const std::vector<Sample>& samples) {
  Check(ChunkSampleCount(chunk) == samples.size());
  ChunkIterator it(chunk);
  for (const Sample& s : samples) {
    Check(it.Next());
    Check(it.t() == s.t);
    Check(std::bit_cast<std::uint64_t>(it.v()) == std::bit_cast<std::uint64_t>(s.v));
  }
  Check(!it.Next() && !it.error());
}

void RoundTrip(std::span<const std::uint8_t> bytes) {
  const std::vector<Sample> samples = ParseRecords(bytes);
  metricsd::storage::XorAppender appender;
  for (const Sample& s : samples) appender.Append(s.t, s.v);
  ExpectSamples(appender.bytes(), samples);
  ExpectSamples(metricsd::storage::Seal(appender.bytes()), samples);
  ExpectSamples(metricsd::storage::EncodeSamples(samples), samples);

  std::vector<AggregatePoint> points;
  for (const Sample& s : samples) points.push_back({s.t, s.v, -s.v, s.v * 2, 1, s.v});
  std::vector<AggregatePoint> decoded;
  Check(metricsd::storage::DecodeAggregates(metricsd::storage::EncodeAggregates(points), decoded));
  Check(decoded.size() == points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    Check(std::memcmp(&decoded[i], &points[i], sizeof(AggregatePoint)) == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  DecodeAsChunk(bytes);
  std::vector<AggregatePoint> points;
  metricsd::storage::DecodeAggregates(bytes, points);
  RoundTrip(bytes);
  return 0;
}
