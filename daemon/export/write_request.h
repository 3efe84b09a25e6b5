// The remote_write 1.0 wire format: a prometheus.WriteRequest protobuf (prompb/remote.proto,
// the fields Prometheus 2.42 sends for samples) compressed as one snappy block (the body of a
// POST with Content-Encoding: snappy, Content-Type: application/x-protobuf,
// X-Prometheus-Remote-Write-Version: 0.1.0).
//
// The encoder writes the protobuf wire format itself, straight from the caller's series into
// one reused buffer: the canonical encoding (fields in number order, proto3 zero values left
// out), byte for byte what protobuf's generated WriteRequest serializes (the unit test checks
// it), without first copying every label into a message. It is the hot path of remote_write.
//
// Thread-safety: WriteRequestEncoder is not thread-safe (one per shard: it reuses its buffers);
// the free functions are.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/export/relabel.h"
#include "daemon/storage/sample.h"

namespace metricsd::remote {

// One series of a request: its labels (sorted, after relabelling and external labels) and its
// samples, ascending (a staleness marker is sent as Prometheus's StaleNaN bit pattern).
struct OutgoingSeries {
  Labels labels;
  std::vector<storage::Sample> samples;
};

class WriteRequestEncoder {
 public:
  WriteRequestEncoder();
  ~WriteRequestEncoder();
  WriteRequestEncoder(const WriteRequestEncoder&) = delete;
  WriteRequestEncoder& operator=(const WriteRequestEncoder&) = delete;

  // The body of one POST: the serialized WriteRequest, snappy-compressed.
  std::string Encode(std::span<const OutgoingSeries> series);
  // The same into `body` (its capacity reused: no allocation once it has grown).
  void EncodeTo(std::span<const OutgoingSeries> series, std::string& body);
  // The serialized WriteRequest of the last Encode, before compression (tests, benchmarks).
  std::string_view LastUncompressed() const;

 private:
  struct Buffers;
  std::unique_ptr<Buffers> buffers_;
};

}  // namespace metricsd::remote
