// A receiver's memory of line identities (a line minus its value: name, type, rate and tags
// as sent) and what each resolved to, so a repeated line skips the parser, the mapper and the
// series index.
//
// An identity is looked up in its two parts as they lie in the line (hashed and compared
// piecewise: a lookup copies nothing), and stored as name '\0' rest. An identity holding a
// '\0' of its own is not stored, so a stored one has exactly one, where its name ends, and no
// other split of the same bytes can match it.
// The hash is our own seeded one (per cache): identities are short, and absl's string hash
// cost a tenth of a cached line's user time.
//
// Sized for 100,000 identities and more, so it is kept small per entry: the identities' bytes
// live in one arena (no allocation per entry, compacted when half of it is garbage), and a
// slot is 16 bytes (32 bits of the hash, where the identity is, the caller's value of at most
// 6 bytes; an empty identity size marks a free slot).
// Lookups compare the identity's bytes, so two lines never share an entry by a hash collision.
//
// When full, each insertion evicts one entry picked at random. Clearing the cache at once made
// a cliff (every line took the slow path once distinct lines outnumbered it); LRU or CLOCK
// would too, for StatsD's usual pattern, every client sending its whole set of names in turn:
// a cycle longer than the cache always misses under LRU. Random replacement degrades
// gradually instead (a cycle 20% longer than the cache still hits ~60% of the time; see
// line_cache_test), and a line in use that is evicted costs one slow path to come back.
//
// Thread-safety: not thread-safe; one per Ingester, used under its shard's lock.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace metricsd::statsd {

// A line's identity: its name, and the rest from the first '|' after the value (type, rate,
// tags). Views into the line.
struct LineIdentity {
  std::string_view name;
  std::string_view rest;
  std::size_t size() const { return name.size() + 1 + rest.size(); }
};

template <typename Value>
class LineCache {
  static_assert(std::is_trivially_copyable_v<Value>);

 public:
  explicit LineCache(std::size_t max_entries = 0)
      : seed_(Finish(reinterpret_cast<std::uintptr_t>(this) ^
                     static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()))) {
    SetMaxEntries(max_entries);
  }

  // Forgets every entry; the new limit holds from now on.
  void SetMaxEntries(std::size_t max_entries) {
    max_entries_ = max_entries;
    Clear();
  }

  void Clear() {
    slots_.assign(kInitialSlots, Slot{});
    arena_.clear();
    arena_.shrink_to_fit();
    size_ = 0;
    garbage_ = 0;
  }

  std::size_t size() const { return size_; }
  // Bytes held: the slots and the arena (for tests and the README's sizing).
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot) + arena_.capacity(); }

  // Seeded per cache, so which identities share a slot differs from one receiver (and one
  // process) to the next.
  std::uint64_t Hash(const LineIdentity& identity) const {
    return Finish(Absorb(Absorb(seed_ ^ identity.name.size(), identity.name), identity.rest) ^ identity.rest.size());
  }

  // The value remembered for `identity` (hashed by Hash), or null. The pointer is valid until
  // the next Insert, Erase or Clear.
  const Value* Find(const LineIdentity& identity, std::uint64_t hash) const {
    std::size_t at = FindSlot(identity, hash);
    return at == kAbsent ? nullptr : &slots_[at].value;
  }

  // Remembers `identity`, which must be absent. Identities too long to be worth keeping
  // (over 64 KiB), and those holding a '\0', are not remembered.
  void Insert(const LineIdentity& identity, std::uint64_t hash, const Value& value) {
    if (max_entries_ == 0 || identity.size() > kMaxIdentity ||
        identity.name.find('\0') != std::string_view::npos ||
        identity.rest.find('\0') != std::string_view::npos) {
      return;
    }
    if (size_ >= max_entries_) EvictOne();
    if ((size_ + 1) * kLoadDen > slots_.size() * kLoadNum) Grow();
    if (garbage_ > kMinCompact && garbage_ * 2 > arena_.size()) Compact();
    // Offsets are 32-bit: an arena that would pass 4 GiB of live identities takes no more.
    if (arena_.size() + identity.size() > kMaxArena) return;
    Slot slot;
    slot.hash = static_cast<std::uint32_t>(hash);
    slot.key_at = static_cast<std::uint32_t>(arena_.size());
    slot.key_size = static_cast<std::uint16_t>(identity.size());
    slot.value = value;
    arena_.append(identity.name);
    arena_ += '\0';
    arena_.append(identity.rest);
    Place(slot);
    ++size_;
  }

  // Forgets `identity` if remembered.
  void Erase(const LineIdentity& identity, std::uint64_t hash) {
    std::size_t at = FindSlot(identity, hash);
    if (at != kAbsent) EraseSlot(at);
  }

 private:
  struct Slot {
    std::uint32_t hash = 0;    // the low 32 bits: the home slot, and a filter before memcmp
    std::uint32_t key_at = 0;  // the identity's offset in arena_
    std::uint16_t key_size = 0;  // 0: the slot is free (no identity is empty)
    Value value{};
    bool occupied() const { return key_size != 0; }
  };
  static constexpr std::size_t kAbsent = ~std::size_t{0};
  static constexpr std::size_t kInitialSlots = 64;
  static constexpr std::size_t kMaxIdentity = 0xffff;
  // Linear probing stays short up to 80% full.
  static constexpr std::size_t kLoadNum = 4;
  static constexpr std::size_t kLoadDen = 5;
  static constexpr std::size_t kMinCompact = 1 << 16;
  static constexpr std::size_t kMaxArena = 0xffffffff;

  std::size_t Mask() const { return slots_.size() - 1; }
  std::size_t Home(std::uint32_t hash) const { return hash & Mask(); }

  // wyhash's way of reading 0..8 bytes, then one multiply-xorshift round per 8 bytes.
  static std::uint64_t Absorb(std::uint64_t h, std::string_view bytes) {
    constexpr std::uint64_t kMultiplier = 0x9e3779b97f4a7c15ULL;
    const char* p = bytes.data();
    std::size_t n = bytes.size();
    for (; n >= 8; p += 8, n -= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      h = (h ^ word) * kMultiplier;
      h ^= h >> 29;
    }
    std::uint64_t tail = 0;
    if (n >= 4) {
      std::uint32_t first, last;
      std::memcpy(&first, p, 4);
      std::memcpy(&last, p + n - 4, 4);
      tail = (std::uint64_t{first} << 32) | last;
    } else if (n > 0) {
      tail = (std::uint64_t{static_cast<std::uint8_t>(p[0])} << 16) |
             (std::uint64_t{static_cast<std::uint8_t>(p[n >> 1])} << 8) | static_cast<std::uint8_t>(p[n - 1]);
    }
    h = (h ^ tail ^ (std::uint64_t{n} << 56)) * kMultiplier;
    return h ^ (h >> 29);
  }

  // MurmurHash3's finaliser: every input bit reaches the low bits the table indexes by.
  static std::uint64_t Finish(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
  }

  bool Matches(const Slot& slot, const LineIdentity& identity) const {
    const char* at = arena_.data() + slot.key_at;
    std::size_t name = identity.name.size();
    return slot.key_size == identity.size() && SameBytes(at, identity.name.data(), name) &&
           at[name] == '\0' && SameBytes(at + name + 1, identity.rest.data(), identity.rest.size());
  }
  // memcmp(a, b, n) == 0 inline: identities are a few dozen bytes, where the call to libc's
  // memcmp (twice per cached line) cost more than the comparison. Reads only [a, a + n) and
  // [b, b + n): eight bytes at a time, the last eight overlapping the ones before.
  static bool SameBytes(const char* a, const char* b, std::size_t n) {
    auto load8 = [](const char* p) { std::uint64_t v; std::memcpy(&v, p, 8); return v; };
    auto load4 = [](const char* p) { std::uint32_t v; std::memcpy(&v, p, 4); return v; };
    if (n >= 8) {
      for (; n > 8; a += 8, b += 8, n -= 8) {
        if (load8(a) != load8(b)) return false;
      }
      return load8(a + n - 8) == load8(b + n - 8);
    }
    if (n >= 4) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }

  std::size_t FindSlot(const LineIdentity& identity, std::uint64_t hash) const {
    auto low = static_cast<std::uint32_t>(hash);
    // Bounded: the table is never full (kLoadNum/kLoadDen), so an empty slot ends the probe.
    for (std::size_t at = Home(low);; at = (at + 1) & Mask()) {
      const Slot& slot = slots_[at];
      if (!slot.occupied()) return kAbsent;
      if (slot.hash == low && Matches(slot, identity)) return at;
    }
  }

  void Place(const Slot& slot) {
    std::size_t at = Home(slot.hash);
    while (slots_[at].occupied()) at = (at + 1) & Mask();
    slots_[at] = slot;
  }

  // Linear probing's deletion without tombstones: later entries of the probe run move back
  // into the hole unless their home lies after it.
  void EraseSlot(std::size_t hole) {
    garbage_ += slots_[hole].key_size;
    --size_;
    for (std::size_t at = (hole + 1) & Mask();; at = (at + 1) & Mask()) {
      const Slot& slot = slots_[at];
      if (!slot.occupied()) break;
      std::size_t home = Home(slot.hash);
      // Moves back when its home is not in (hole, at], cyclically.
      if (((at - home) & Mask()) >= ((at - hole) & Mask())) {
        slots_[hole] = slot;
        hole = at;
      }
    }
    slots_[hole] = Slot{};
  }

  // Random replacement: the first entry at or after a random slot (the table is at least a
  // fifth empty and at most 80% full, so the scan is short and ends).
  void EvictOne() {
    random_ ^= random_ << 13;
    random_ ^= random_ >> 7;
    random_ ^= random_ << 17;
    std::size_t at = static_cast<std::size_t>(random_) & Mask();
    while (!slots_[at].occupied()) at = (at + 1) & Mask();
    EraseSlot(at);
  }

  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, Slot{});
    for (const Slot& slot : old) {
      if (slot.occupied()) Place(slot);
    }
  }

  // Copies the live identities into a new arena, in slot order.
  void Compact() {
    std::string fresh;
    fresh.reserve(arena_.size() - garbage_);
    for (Slot& slot : slots_) {
      if (!slot.occupied()) continue;
      auto at = static_cast<std::uint32_t>(fresh.size());
      fresh.append(arena_, slot.key_at, slot.key_size);
      slot.key_at = at;
    }
    arena_.swap(fresh);
    garbage_ = 0;
  }

  std::uint64_t seed_;
  std::vector<Slot> slots_;
  std::string arena_;
  std::size_t max_entries_ = 0;
  std::size_t size_ = 0;
  std::size_t garbage_ = 0;  // arena bytes of erased entries
  std::uint64_t random_ = 0x9e3779b97f4a7c15ULL;  // xorshift64: which entry makes room
};

}  // namespace metricsd::statsd
