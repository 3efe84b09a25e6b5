#include "daemon/query/request_body.h"

#include <zlib.h>

#include <gtest/gtest.h>

namespace metricsd::query {
namespace {

std::string GzipBody(std::string_view data) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, data.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

HttpRequest Post(std::string body, std::string encoding) {
  HttpRequest request{http::verb::post, "/api/v1/import", 11};
  if (!encoding.empty()) request.set(http::field::content_encoding, encoding);
  request.body() = std::move(body);
  return request;
}

TEST(RequestBodyTest, GzipIsInflated) {
  DecodedBody body = DecodeRequestBody(Post(GzipBody("hello\nworld\n"), "gzip"), 1024);
  EXPECT_EQ(body.error, BodyDecodeError::kNone);
  EXPECT_TRUE(body.decoded);
  EXPECT_EQ(body.text, "hello\nworld\n");
}

TEST(RequestBodyTest, ConcatenatedMembersAsGzipWritesThem) {
  DecodedBody body = Gunzip(GzipBody("a\n") + GzipBody("b\n"), 1024);
  EXPECT_EQ(body.error, BodyDecodeError::kNone);
  EXPECT_EQ(body.text, "a\nb\n");
}

TEST(RequestBodyTest, IdentityIsLeftInTheRequest) {
  DecodedBody body = DecodeRequestBody(Post("plain", ""), 1024);
  EXPECT_EQ(body.error, BodyDecodeError::kNone);
  EXPECT_FALSE(body.decoded);
  EXPECT_EQ(DecodeRequestBody(Post("plain", "identity"), 1024).error, BodyDecodeError::kNone);
  EXPECT_EQ(DecodeRequestBody(Post("plain", ""), 3).error, BodyDecodeError::kTooLarge);
}

// 64 MiB of zeros compress to ~64 KiB: refused once the output passes the cap, without
// inflating the rest.
TEST(RequestBodyTest, BombIsRefusedAtTheCap) {
  std::string bomb = GzipBody(std::string(64 << 20, '\0'));
  ASSERT_LT(bomb.size(), 100u << 10);
  DecodedBody body = DecodeRequestBody(Post(bomb, "gzip"), 1 << 20);
  EXPECT_EQ(body.error, BodyDecodeError::kTooLarge);
  EXPECT_TRUE(body.text.empty());
  EXPECT_NE(body.message.find("larger than 1048576 bytes"), std::string::npos);
}

TEST(RequestBodyTest, CorruptTruncatedAndUnknownEncodings) {
  EXPECT_EQ(Gunzip("not gzip at all", 1024).error, BodyDecodeError::kCorrupt);
  std::string truncated = GzipBody(std::string(10000, 'x'));
  truncated.resize(truncated.size() / 2);
  EXPECT_EQ(Gunzip(truncated, 1 << 20).error, BodyDecodeError::kCorrupt);
  EXPECT_EQ(DecodeRequestBody(Post("x", "br"), 1024).error, BodyDecodeError::kUnsupportedEncoding);
}

}  // namespace
}  // namespace metricsd::query
