// STUB: replaced by the tests of its owner.
#include <gtest/gtest.h>

TEST(AnalyticsStub, remote) { EXPECT_EQ(1 + 1, 2); }
