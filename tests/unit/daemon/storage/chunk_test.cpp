// Chunk encodings: round trips, Resume, Seal, and corrupt input.
#include "daemon/storage/chunk.h"

#include <bit>

#include <gtest/gtest.h>

namespace metricsd::storage {
namespace {

TEST(StaleMarker, IsRecognisedByItsBits) {
  EXPECT_TRUE(IsStaleMarker(StaleMarker()));
  EXPECT_FALSE(IsStaleMarker(std::bit_cast<double>(0x7ff8000000000000ULL)));
}

}  // namespace
}  // namespace metricsd::storage
