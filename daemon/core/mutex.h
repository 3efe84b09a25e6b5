// Mutexes the compiler checks: std::mutex and std::shared_mutex wrapped with Abseil's
// thread-safety attributes, so clang's -Wthread-safety (on in CI's clang build, see
// cmake/Warnings.cmake) proves that every member marked ABSL_GUARDED_BY(mutex_) is touched only
// with mutex_ held, and that every function marked ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) is
// called with it held. libstdc++'s own mutexes carry no such attributes.
//
// Why not absl::Mutex: it is annotated already, but it is a different primitive (its own waiter
// queue, no std::condition_variable) and a second synchronization library in every hot path;
// these wrappers compile to exactly the std:: calls they replace.
//
//   class Counter {
//    public:
//     void Add(int n) { MutexLock lock(mutex_); value_ += n; }
//    private:
//     Mutex mutex_;
//     int value_ ABSL_GUARDED_BY(mutex_) = 0;
//   };
//
// A condition variable: std::condition_variable_any waits on a Mutex directly (it is
// BasicLockable): `cv.wait(mutex_)` inside a MutexLock's scope. Read guarded state in the
// loop around the wait, not in a predicate lambda (the analysis does not see a lambda's caller's
// locks).
#pragma once

#include <mutex>
#include <shared_mutex>

#include <absl/base/thread_annotations.h>

namespace metricsd {

// Thread-safety: a mutex; every member may be called from any thread (as std::mutex).
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mutex_.try_lock(); }

  // BasicLockable spelling, for std::condition_variable_any and std::unique_lock.
  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }
  bool try_lock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mutex_.try_lock(); }

  // Tells the analysis the caller holds the mutex where it cannot see it (a callback invoked
  // under the lock). Checks nothing at run time.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  std::mutex mutex_;
};

// Holds a Mutex for its scope (std::lock_guard with the attributes).
// Thread-safety: a stack object owned by the thread that made it.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ABSL_EXCLUSIVE_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_.Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mutex_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mutex_;
};

// A reader/writer mutex (std::shared_mutex): many readers or one writer.
// Thread-safety: a mutex; every member may be called from any thread (as std::shared_mutex).
class ABSL_LOCKABLE SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { mutex_.lock_shared(); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock_shared(); }

  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}
  void AssertReaderHeld() const ABSL_ASSERT_SHARED_LOCK() {}

 private:
  std::shared_mutex mutex_;
};

// Holds a SharedMutex exclusively for its scope.
// Thread-safety: a stack object owned by the thread that made it.
class ABSL_SCOPED_LOCKABLE WriterMutexLock {
 public:
  explicit WriterMutexLock(SharedMutex& mutex) ABSL_EXCLUSIVE_LOCK_FUNCTION(mutex)
      : mutex_(mutex) {
    mutex_.Lock();
  }
  ~WriterMutexLock() ABSL_UNLOCK_FUNCTION() { mutex_.Unlock(); }
  WriterMutexLock(const WriterMutexLock&) = delete;
  WriterMutexLock& operator=(const WriterMutexLock&) = delete;

 private:
  SharedMutex& mutex_;
};

// Holds a SharedMutex shared (as a reader) for its scope.
// Thread-safety: a stack object owned by the thread that made it.
class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(SharedMutex& mutex) ABSL_SHARED_LOCK_FUNCTION(mutex)
      : mutex_(mutex) {
    mutex_.ReaderLock();
  }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mutex_.ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  SharedMutex& mutex_;
};

}  // namespace metricsd
