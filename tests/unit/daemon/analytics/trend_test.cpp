// STUB: replaced by the tests of its owner.
#include <gtest/gtest.h>

TEST(AnalyticsStub, trend) { EXPECT_EQ(1 + 1, 2); }
