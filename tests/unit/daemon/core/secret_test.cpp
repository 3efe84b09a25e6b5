#include "daemon/core/secret.h"

#include <gtest/gtest.h>

namespace metricsd {
namespace {

TEST(SecretTest, ShowsWhetherASecretIsSetButNeverItsValue) {
  EXPECT_EQ(Secret("hunter2"), "<secret>");
  EXPECT_EQ(Secret(""), "");
}

TEST(SecretTest, RedactUrlHidesOnlyTheUserinfoPassword) {
  EXPECT_EQ(RedactUrl("http://bob:hunter2@example.com:9093/api?x=1"),
            "http://bob:<secret>@example.com:9093/api?x=1");
  EXPECT_EQ(RedactUrl("https://bob@example.com/"), "https://bob@example.com/");
  EXPECT_EQ(RedactUrl("http://example.com/a@b"), "http://example.com/a@b");
  // Ambiguous with a password holding '/': redacted too much rather than too little.
  EXPECT_EQ(RedactUrl("http://example.com:8080/a@b"), "http://example.com:<secret>@b");
  EXPECT_EQ(RedactUrl("http://example.com/"), "http://example.com/");
  EXPECT_EQ(RedactUrl("not a url"), "not a url");
}

TEST(SecretTest, RedactUrlCoversPasswordsWithUnescapedDelimiters) {
  // A '/', '?' or '@' typed into a password must not leak its tail.
  EXPECT_EQ(RedactUrl("http://bob:pa/ss?w@rd@example.com/x"), "http://bob:<secret>@example.com/x");
  EXPECT_EQ(RedactUrl("bob:pass@example.com"), "bob:<secret>@example.com");
}

}  // namespace
}  // namespace metricsd
