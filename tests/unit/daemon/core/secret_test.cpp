#include "daemon/core/secret.h"

#include <gtest/gtest.h>

namespace metricsd {
namespace {

TEST(SecretTest, ShowsWhetherASecretIsSetButNeverItsValue) {
  EXPECT_EQ(Secret("hunter2"), "<secret>");
  EXPECT_EQ(Secret(""), "");
  EXPECT_EQ(kSecret, "<secret>");  // Prometheus's spelling, which tools grep for
}

}  // namespace
}  // namespace metricsd
