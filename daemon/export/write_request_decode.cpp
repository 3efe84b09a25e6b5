#include "daemon/export/write_request_decode.h"

#include <snappy.h>

#include <cstdint>
#include <string>

#include "prompb/remote.pb.h"

namespace metricsd::remote {

bool DecodeWriteRequest(std::string_view body, std::vector<OutgoingSeries>& out, std::string* error,
                        std::size_t max_bytes) {
  auto fail = [error](std::string message) {
    if (error) *error = std::move(message);
    return false;
  };
  out.clear();
  std::size_t length = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &length)) {
    return fail("not a snappy block");
  }
  if (length > max_bytes) {
    return fail("uncompressed size " + std::to_string(length) + " bytes is over the limit of " +
                std::to_string(max_bytes));
  }
  std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) return fail("corrupt snappy block");
  prompb::WriteRequest request;
  if (raw.size() > static_cast<std::size_t>(INT32_MAX) ||
      !request.ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    return fail("not a WriteRequest protobuf");
  }
  out.reserve(static_cast<std::size_t>(request.timeseries_size()));
  for (const prompb::TimeSeries& ts : request.timeseries()) {
    OutgoingSeries& series = out.emplace_back();
    series.labels.reserve(static_cast<std::size_t>(ts.labels_size()));
    for (const prompb::Label& label : ts.labels()) series.labels.emplace_back(label.name(), label.value());
    series.samples.reserve(static_cast<std::size_t>(ts.samples_size()));
    for (const prompb::Sample& sample : ts.samples()) {
      series.samples.push_back({sample.timestamp(), sample.value()});
    }
  }
  return true;
}

}  // namespace metricsd::remote
