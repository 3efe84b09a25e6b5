// Go 1.19's sort.Sort (pattern-defeating quicksort, the version that built Prometheus 2.42),
// comparison for comparison and swap for swap. std::sort would agree wherever the order is
// consistent; where it is not (histogram_quantile's bucket bounds compare NaN as equal to
// everything), only the same steps put the elements where Prometheus puts them. Translated from
// Go's sort/zsortinterface.go and sort.go.
#include <bit>
#include <cstdint>

#include "daemon/query/promql/functions_internal.h"

namespace metricsd::query::promql::functions_internal {

namespace {

using Index = std::int64_t;

enum class SortedHint { kUnknown, kIncreasing, kDecreasing };

// sort.go's xorshift (Go 1.19): the pseudo-random swaps breakPatterns makes.
struct XorShift {
  std::uint64_t state;
  std::uint64_t Next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

std::uint64_t NextPowerOfTwo(Index length) {
  return std::uint64_t{1} << std::bit_width(static_cast<std::uint64_t>(length));
}

void InsertionSort(GoSortable& data, Index a, Index b) {
  for (Index i = a + 1; i < b; ++i) {
    for (Index j = i; j > a && data.Less(j, j - 1); --j) data.Swap(j, j - 1);
  }
}

void SiftDown(GoSortable& data, Index lo, Index hi, Index first) {
  Index root = lo;
  for (;;) {
    Index child = 2 * root + 1;
    if (child >= hi) break;
    if (child + 1 < hi && data.Less(first + child, first + child + 1)) ++child;
    if (!data.Less(first + root, first + child)) return;
    data.Swap(first + root, first + child);
    root = child;
  }
}

void HeapSort(GoSortable& data, Index a, Index b) {
  const Index first = a;
  const Index lo = 0;
  const Index hi = b - a;
  for (Index i = (hi - 1) / 2; i >= 0; --i) SiftDown(data, i, hi, first);
  for (Index i = hi - 1; i >= 0; --i) {
    data.Swap(first, first + i);
    SiftDown(data, lo, i, first);
  }
}

// One partition around data[pivot]: smaller to the left, the rest to the right.
Index Partition(GoSortable& data, Index a, Index b, Index pivot, bool& already_partitioned) {
  data.Swap(a, pivot);
  Index i = a + 1;
  Index j = b - 1;
  while (i <= j && data.Less(i, a)) ++i;
  while (i <= j && !data.Less(j, a)) --j;
  if (i > j) {
    data.Swap(j, a);
    already_partitioned = true;
    return j;
  }
  data.Swap(i, j);
  ++i;
  --j;
  for (;;) {
    while (i <= j && data.Less(i, a)) ++i;
    while (i <= j && !data.Less(j, a)) --j;
    if (i > j) break;
    data.Swap(i, j);
    ++i;
    --j;
  }
  data.Swap(j, a);
  already_partitioned = false;
  return j;
}

// Elements equal to data[pivot] first, greater ones after (none is smaller).
Index PartitionEqual(GoSortable& data, Index a, Index b, Index pivot) {
  data.Swap(a, pivot);
  Index i = a + 1;
  Index j = b - 1;
  for (;;) {
    while (i <= j && !data.Less(a, i)) ++i;
    while (i <= j && data.Less(a, j)) --j;
    if (i > j) break;
    data.Swap(i, j);
    ++i;
    --j;
  }
  return i;
}

// Sorts a nearly sorted range by a few shifts; true when it is sorted at the end.
bool PartialInsertionSort(GoSortable& data, Index a, Index b) {
  constexpr int kMaxSteps = 5;
  constexpr Index kShortestShifting = 50;
  Index i = a + 1;
  for (int step = 0; step < kMaxSteps; ++step) {
    while (i < b && !data.Less(i, i - 1)) ++i;
    if (i == b) return true;
    if (b - a < kShortestShifting) return false;
    data.Swap(i, i - 1);
    if (i - a >= 2) {
      for (Index j = i - 1; j >= 1; --j) {
        if (!data.Less(j, j - 1)) break;
        data.Swap(j, j - 1);
      }
    }
    if (b - i >= 2) {
      for (Index j = i + 1; j < b; ++j) {
        if (!data.Less(j, j - 1)) break;
        data.Swap(j, j - 1);
      }
    }
  }
  return false;
}

void BreakPatterns(GoSortable& data, Index a, Index b) {
  const Index length = b - a;
  if (length < 8) return;
  XorShift random{static_cast<std::uint64_t>(length)};
  const std::uint64_t modulus = NextPowerOfTwo(length);
  for (Index idx = a + (length / 4) * 2 - 1; idx <= a + (length / 4) * 2 + 1; ++idx) {
    Index other = static_cast<Index>(random.Next() & (modulus - 1));
    if (other >= length) other -= length;
    data.Swap(idx, a + other);
  }
}

Index Median(GoSortable& data, Index a, Index b, Index c, int& swaps) {
  const auto order2 = [&](Index& x, Index& y) {
    if (data.Less(y, x)) {
      ++swaps;
      std::swap(x, y);
    }
  };
  order2(a, b);
  order2(b, c);
  order2(a, b);
  return b;
}

Index MedianAdjacent(GoSortable& data, Index a, int& swaps) {
  return Median(data, a - 1, a, a + 1, swaps);
}

Index ChoosePivot(GoSortable& data, Index a, Index b, SortedHint& hint) {
  constexpr Index kShortestNinther = 50;
  constexpr int kMaxSwaps = 4 * 3;
  const Index l = b - a;
  int swaps = 0;
  Index i = a + l / 4 * 1;
  Index j = a + l / 4 * 2;
  Index k = a + l / 4 * 3;
  if (l >= 8) {
    if (l >= kShortestNinther) {
      i = MedianAdjacent(data, i, swaps);
      j = MedianAdjacent(data, j, swaps);
      k = MedianAdjacent(data, k, swaps);
    }
    j = Median(data, i, j, k, swaps);
  }
  hint = swaps == 0           ? SortedHint::kIncreasing
         : swaps == kMaxSwaps ? SortedHint::kDecreasing
                              : SortedHint::kUnknown;
  return j;
}

void ReverseRange(GoSortable& data, Index a, Index b) {
  for (Index i = a, j = b - 1; i < j; ++i, --j) data.Swap(i, j);
}

void PdqSort(GoSortable& data, Index a, Index b, int limit) {
  constexpr Index kMaxInsertion = 12;
  bool was_balanced = true;
  bool was_partitioned = true;
  for (;;) {
    const Index length = b - a;
    if (length <= kMaxInsertion) {
      InsertionSort(data, a, b);
      return;
    }
    if (limit == 0) {
      HeapSort(data, a, b);
      return;
    }
    if (!was_balanced) {
      BreakPatterns(data, a, b);
      --limit;
    }
    SortedHint hint = SortedHint::kUnknown;
    Index pivot = ChoosePivot(data, a, b, hint);
    if (hint == SortedHint::kDecreasing) {
      ReverseRange(data, a, b);
      pivot = (b - 1) - (pivot - a);
      hint = SortedHint::kIncreasing;
    }
    if (was_balanced && was_partitioned && hint == SortedHint::kIncreasing) {
      if (PartialInsertionSort(data, a, b)) return;
    }
    if (a > 0 && !data.Less(a - 1, pivot)) {
      a = PartitionEqual(data, a, b, pivot);
      continue;
    }
    bool already_partitioned = false;
    const Index mid = Partition(data, a, b, pivot, already_partitioned);
    was_partitioned = already_partitioned;
    const Index left = mid - a;
    const Index right = b - mid;
    const Index balance_threshold = length / 8;
    if (left < right) {
      was_balanced = left >= balance_threshold;
      PdqSort(data, a, mid, limit);
      a = mid + 1;
    } else {
      was_balanced = right >= balance_threshold;
      PdqSort(data, mid + 1, b, limit);
      b = mid;
    }
  }
}

}  // namespace

void GoSort(GoSortable& data, std::int64_t n) {
  if (n <= 1) return;
  PdqSort(data, 0, n, static_cast<int>(std::bit_width(static_cast<std::uint64_t>(n))));
}

}  // namespace metricsd::query::promql::functions_internal
