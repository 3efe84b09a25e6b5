#include "daemon/http/gzip.h"

#include <zlib.h>

#include <gtest/gtest.h>

namespace metricsd {
namespace {

std::string Gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

TEST(GzipTest, RoundTripsAndCompresses) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "node_cpu_seconds_total{cpu=\"" + std::to_string(i % 8) + "\",mode=\"idle\"} 1234.5\n";
  std::string compressed = GzipCompress(text);
  EXPECT_EQ(compressed.substr(0, 2), "\x1f\x8b");  // gzip magic
  EXPECT_LT(compressed.size(), text.size() / 5);
  EXPECT_EQ(Gunzip(compressed), text);
  EXPECT_EQ(Gunzip(GzipCompress("")), "");
}

TEST(GzipTest, ReadsAcceptEncoding) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("gzip;q=1.0, identity; q=0.5, *;q=0"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.000"));
  EXPECT_FALSE(AcceptsGzip("x-gzip-not"));
}

}  // namespace
}  // namespace metricsd
