#include "daemon/query/request_body.h"

#include <zlib.h>

#include <algorithm>

namespace metricsd::query {

DecodedBody Gunzip(std::string_view compressed, std::uint64_t max_bytes) {
  DecodedBody result;
  result.decoded = true;
  z_stream stream{};
  // 15 + 32: a gzip or zlib header, detected.
  if (inflateInit2(&stream, 15 + 32) != Z_OK) {
    result.error = BodyDecodeError::kCorrupt;
    result.message = "cannot start decompression";
    return result;
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  char buffer[64 * 1024];
  for (;;) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    int rc = inflate(&stream, Z_NO_FLUSH);
    std::size_t produced = sizeof buffer - stream.avail_out;
    if (result.text.size() + produced > max_bytes) {
      result.error = BodyDecodeError::kTooLarge;
      result.message = "decompressed body larger than " + std::to_string(max_bytes) + " bytes";
      break;
    }
    result.text.append(buffer, produced);
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (cat a.gz b.gz).
      if (stream.avail_in == 0) break;
      if (inflateReset(&stream) != Z_OK) {
        result.error = BodyDecodeError::kCorrupt;
        result.message = "corrupt gzip stream";
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && stream.avail_in == 0) {
      result.error = BodyDecodeError::kCorrupt;
      result.message = "truncated gzip stream";
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      result.error = BodyDecodeError::kCorrupt;
      result.message = std::string("corrupt gzip stream: ") + (stream.msg ? stream.msg : "error");
      break;
    }
  }
  inflateEnd(&stream);
  if (result.error != BodyDecodeError::kNone) result.text.clear();
  return result;
}

DecodedBody DecodeRequestBody(const HttpRequest& request, std::uint64_t max_bytes) {
  std::string_view encoding = request[http::field::content_encoding];
  while (!encoding.empty() && encoding.back() == ' ') encoding.remove_suffix(1);
  while (!encoding.empty() && encoding.front() == ' ') encoding.remove_prefix(1);
  if (encoding.empty() || beast::iequals(encoding, "identity")) {
    DecodedBody result;
    if (request.body().size() > max_bytes) {
      result.error = BodyDecodeError::kTooLarge;
      result.message = "body larger than " + std::to_string(max_bytes) + " bytes";
    }
    return result;
  }
  if (beast::iequals(encoding, "gzip") || beast::iequals(encoding, "x-gzip")) {
    return Gunzip(request.body(), max_bytes);
  }
  DecodedBody result;
  result.error = BodyDecodeError::kUnsupportedEncoding;
  result.message = "unsupported Content-Encoding \"" + std::string(encoding) + "\" (use gzip)";
  return result;
}

}  // namespace metricsd::query
