#include "daemon/core/listen_address.h"

#include <gtest/gtest.h>

namespace metricsd {
namespace {

TEST(ListenAddressTest, ParsesHostPortForms) {
  auto v4 = ParseListenAddress("127.0.0.1:9102");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9102);

  auto v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(v6->ToString(), "[::1]:0");

  auto any = ParseListenAddress(":9102");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->host, "");

  auto local = ParseListenAddress("localhost:65535");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->port, 65535);
}

TEST(ListenAddressTest, RejectsBadAddresses) {
  for (const char* bad : {"", "9102", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                          "127.0.0.1:-1", "127.0.0.1:http", "256.0.0.1:80", "::1:80",
                          "[::1]", "[nothost]:80", "example.com:80", "1.2.3.4:80x"}) {
    EXPECT_EQ(ParseListenAddress(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace metricsd
