// Retention: each tier keeps its samples for its own time (history.retention.raw, .minute,
// .hour), and all tiers together stay under history.retention.size, the oldest chunks going
// first. A series whose last chunk is gone is forgotten (index and memory). Deleting never
// lowers a series' disk_max_t (store_state.h): it stays an upper bound of what is on disk.
#include <string>

#include "daemon/core/logging.h"
#include "daemon/storage/downsample.h"
#include "daemon/storage/store.h"
#include "daemon/storage/store_state.h"

namespace metricsd::storage {
namespace {

// Size-based deletion advances in steps of this much of the oldest data.
constexpr Timestamp kSizeStepMs = kHourMs;
constexpr int kMaxSizeSteps = 64;

}  // namespace

void Store::EnforceRetention(Timestamp now) {
  State& s = *state_;
  MutexLock write(s.write_mutex);
  std::vector<SeriesRef> forgotten;
  auto forget = [&](SeriesRef ref) { forgotten.push_back(ref); };
  auto delete_before = [&](Tier tier, Timestamp before) {
    std::uint64_t deleted = 0;
    WriteError error;
    {
      MutexLock db(s.db_mutex);
      error = s.db->DeleteBefore(tier, before, &deleted, forget);
    }
    s.retention_deleted[static_cast<int>(tier)].fetch_add(deleted, std::memory_order_relaxed);
    if (error != WriteError::kNone) {
      s.write_errors[static_cast<int>(error)].fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  };
  const std::pair<Tier, Duration> tiers[] = {{Tier::kRaw, options_.raw_retention},
                                             {Tier::kMinute, options_.minute_retention},
                                             {Tier::kHour, options_.hour_retention}};
  for (const auto& [tier, keep] : tiers) {
    if (!delete_before(tier, now - keep.count())) break;
  }
  if (options_.max_bytes > 0) {
    for (int step = 0; step < kMaxSizeSteps; ++step) {
      std::optional<std::pair<Tier, Timestamp>> oldest;
      {
        MutexLock db(s.db_mutex);
        if (s.db->UsedBytes() <= options_.max_bytes) break;
        oldest = s.db->OldestChunk();
      }
      if (!oldest || !delete_before(oldest->first, oldest->second + kSizeStepMs)) break;
    }
  }
  {
    MutexLock db(s.db_mutex);
    s.db->Checkpoint();
    s.disk_bytes = s.db->FileBytes();
    for (int tier = 0; tier < 3; ++tier) s.tier_bytes[tier] = s.db->ChunkBytes(static_cast<Tier>(tier));
  }
  if (forgotten.empty()) return;
  WriterMutexLock lock(s.mutex);
  // A series appended to since (it came back) stays, and is written anew by the next flush.
  s.ForgetUnlessAppended(forgotten);
}

}  // namespace metricsd::storage
