// Publishing an immutable value to many readers: a writer builds a new T and Store()s it;
// readers Load() a shared_ptr and use it for as long as they like, never seeing a half-built T.
// Used for the running config, the SourceSet and (later) each collector's latest snapshot.
//
// Why not std::atomic<std::shared_ptr<T>>: libstdc++ 12 implements it with a spin lock hidden
// in the pointer's low bit, which ThreadSanitizer cannot see and reports as a race. A mutex
// held for one pointer copy costs the same and keeps the TSan build meaningful.
#pragma once

#include <memory>
#include <utility>

#include "daemon/core/mutex.h"

namespace metricsd {

// Thread-safety: thread-safe; any thread may Load() and Store().
template <typename T>
class Snapshot {
 public:
  Snapshot() = default;
  explicit Snapshot(std::shared_ptr<const T> value) : value_(std::move(value)) {}

  std::shared_ptr<const T> Load() const {
    MutexLock lock(mutex_);
    return value_;
  }

  void Store(std::shared_ptr<const T> value) {
    MutexLock lock(mutex_);
    value_.swap(value);
    // The old value (now in `value`) is released after the lock, outside the critical section.
  }

 private:
  mutable Mutex mutex_;
  std::shared_ptr<const T> value_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace metricsd
