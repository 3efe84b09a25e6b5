// Memory for the StatsD series table's records: a series with its key, a family. There may be
// 100,000 of them, small, of a few sizes, freed and reused as series expire. malloc adds an
// 8-byte header to each and rounds it up to 16 bytes (a 44-byte series and key took 64);
// here a record costs its size rounded up to 8 and nothing else. Records are carved from
// 64 KiB blocks, a freed one goes on a free list of its size (the list runs through the freed
// records themselves), and blocks go back only with the arena. Records larger than a
// sixteenth of a block (keys of kilobytes) are left to operator new.
//
// Thread-safety: not thread-safe; the series table's exclusive lock guards it.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <vector>

namespace metricsd::statsd {

class RecordArena {
 public:
  static constexpr std::size_t kAlign = 8;

  RecordArena() = default;
  RecordArena(const RecordArena&) = delete;
  RecordArena& operator=(const RecordArena&) = delete;

  // `size` bytes aligned to 8; Free it with the same size.
  void* Allocate(std::size_t size) {
    size = Rounded(size);
    if (size > kMaxPooled) return ::operator new(size);
    void*& head = free_[size / kAlign];
    if (head != nullptr) {
      void* record = head;
      head = *static_cast<void**>(record);
      return record;
    }
    if (blocks_.empty() || used_ + size > kBlock) {
      blocks_.push_back(std::make_unique_for_overwrite<std::byte[]>(kBlock));
      used_ = 0;
    }
    void* record = blocks_.back().get() + used_;
    used_ += size;
    return record;
  }

  void Free(void* record, std::size_t size) {
    size = Rounded(size);
    if (size > kMaxPooled) {
      ::operator delete(record);
      return;
    }
    void*& head = free_[size / kAlign];
    *static_cast<void**>(record) = head;
    head = record;
  }

  // Bytes taken from the system in blocks (for tests and sizing).
  std::size_t block_bytes() const { return blocks_.size() * kBlock; }

 private:
  static constexpr std::size_t kBlock = std::size_t{64} << 10;
  static constexpr std::size_t kMaxPooled = kBlock / 16;
  static std::size_t Rounded(std::size_t size) {
    // A freed record holds the free list's next pointer.
    if (size < sizeof(void*)) size = sizeof(void*);
    return (size + kAlign - 1) & ~(kAlign - 1);
  }

  std::vector<std::unique_ptr<std::byte[]>> blocks_;  // new[] aligns to 16
  std::size_t used_ = 0;                              // in the newest block
  std::vector<void*> free_ = std::vector<void*>(kMaxPooled / kAlign + 1, nullptr);
};

}  // namespace metricsd::statsd
