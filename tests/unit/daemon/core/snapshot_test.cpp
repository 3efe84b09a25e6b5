#include "daemon/core/snapshot.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace metricsd {
namespace {

struct Pair {
  int a;
  int b;  // always a + 1: a reader must never see a torn or half-built value
};

TEST(SnapshotTest, ReadersSeeWholeValuesWhileAWriterPublishes) {
  Snapshot<Pair> snapshot(std::make_shared<const Pair>(Pair{0, 1}));
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        auto value = snapshot.Load();
        if (value->b != value->a + 1) ++torn;
      }
    });
  }
  for (int i = 1; i <= 20000; ++i) snapshot.Store(std::make_shared<const Pair>(Pair{i, i + 1}));
  done = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(snapshot.Load()->a, 20000);
}

TEST(SnapshotTest, AReaderKeepsItsValueAfterAStore) {
  Snapshot<Pair> snapshot(std::make_shared<const Pair>(Pair{1, 2}));
  auto held = snapshot.Load();
  snapshot.Store(std::make_shared<const Pair>(Pair{5, 6}));
  EXPECT_EQ(held->a, 1);
  EXPECT_EQ(snapshot.Load()->a, 5);
}

}  // namespace
}  // namespace metricsd
