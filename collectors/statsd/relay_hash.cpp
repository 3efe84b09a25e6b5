#include "collectors/statsd/relay_hash.h"

#include <cstring>

namespace metricsd::statsd {
namespace {

constexpr std::uint64_t kMultiplier = 0x9fb21c651e98df25ULL;
constexpr std::uint64_t kNameSeed = 0x5851f42d4c957f2dULL;
constexpr std::uint64_t kTagSeed = 0x14057b7ef767814fULL;
constexpr std::uint64_t kLineSeed = 0x2545f4914f6cdd1dULL;
constexpr std::uint64_t kDestinationSeed = 0x7fb5d329728ea185ULL;

std::uint64_t Load64(const char* p) {
  std::uint64_t value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

}  // namespace

std::uint64_t Mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

std::uint64_t Hash64(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = seed ^ (bytes.size() * kMultiplier);
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  for (; left >= 8; p += 8, left -= 8) {
    std::uint64_t word = Load64(p) * kMultiplier;
    word ^= word >> 29;
    h = (h ^ word) * kMultiplier;
    h ^= h >> 32;
  }
  if (left > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, left);
    h = (h ^ (word * kMultiplier)) * kMultiplier;
  }
  return Mix64(h);
}

std::uint64_t SeriesKey(std::string_view line, const ParseOptions& options, ParsedLine& scratch) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ParseLine(line, options, scratch);
  if (scratch.kind != LineKind::kMetric) return Hash64(line, kLineSeed);
  std::string_view name = scratch.name;
  if (name.empty()) name = line.substr(0, line.find(':'));
  std::uint64_t key = Hash64(name, kNameSeed);
  // Order-free: a sum of per-tag hashes. Each tag hashes its value seeded by its name's hash,
  // so "a:bc" and "ab:c" differ.
  std::uint64_t tags = 0;
  for (const Tag& tag : scratch.tags) tags += Hash64(tag.value, Hash64(tag.name, kTagSeed));
  return Mix64(key ^ Mix64(tags + scratch.tags.size()));
}

std::uint64_t DestinationSeed(std::string_view address) {
  return Hash64(address, kDestinationSeed);
}

RendezvousPick PickDestination(std::uint64_t key, std::span<const std::uint64_t> seeds,
                               std::uint64_t up_mask) {
  RendezvousPick pick;
  std::uint64_t best = 0, best_up = 0;
  for (std::size_t i = 0; i < seeds.size() && i < 64; ++i) {
    std::uint64_t weight = RendezvousWeight(key, seeds[i]);
    if (pick.home < 0 || weight > best) {
      best = weight;
      pick.home = static_cast<int>(i);
    }
    if ((up_mask >> i) & 1) {
      if (pick.chosen < 0 || weight > best_up) {
        best_up = weight;
        pick.chosen = static_cast<int>(i);
      }
    }
  }
  return pick;
}

}  // namespace metricsd::statsd
