// Which aggregator a StatsD line belongs to: a stable 64-bit key of the line's series (its
// name and its tags, whatever their order) and rendezvous hashing over the destinations.
//
// Rendezvous (highest random weight) hashing: each destination has a seed (a hash of its
// address as configured); a key's weight at a destination is a mix of key and seed; the line
// goes to the destination of highest weight among those up. Its "home" is the highest over
// all destinations. So:
//  - a series always lands on one destination while the set of healthy ones stays the same;
//  - when a destination dies, only its own series move, each to its second choice, which is
//    spread evenly over the others (no single neighbour inherits the whole share, unlike a
//    ring without virtual nodes);
//  - on recovery exactly its own series return, everything else stays put;
//  - the choice depends on addresses, not on their order in the config or on the process:
//    several relays with the same destinations agree, so they can run side by side.
// It costs one mix per destination per line; at the few destinations a relay has, cheaper
// than a ring lookup and it needs no table.
//
// The key follows StatsD identity (name and tags as sent, dialects as the parser reads them),
// not the Prometheus series a mapping makes of it: two StatsD identities that a mapping folds
// into one Prometheus series may land on two aggregators (sum them in PromQL).
//
// Thread-safety: pure functions; SeriesKey writes only its `scratch`.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "collectors/statsd/parser.h"

namespace metricsd::statsd {

// A stable 64-bit hash of bytes (the same in every process and build on little-endian
// machines): 8 bytes a step, each mixed with a multiply, and a strong finaliser.
std::uint64_t Hash64(std::string_view bytes, std::uint64_t seed);

// splitmix64's finaliser: every input bit reaches every output bit.
std::uint64_t Mix64(std::uint64_t x);

// The key of the series a line (no '\n') updates: its name and its tags, the tags combined
// by a sum of per-tag hashes so their order does not matter (the parser keeps the last of a
// repeated tag name, as the aggregator does). Events and service checks hash as their whole
// line; a line the parser rejects (it is relayed anyway: the aggregator counts it) hashes
// the name as far as the parser found it, else the text before the first ':'.
// `scratch` is reused between calls so a line allocates nothing once it has grown.
std::uint64_t SeriesKey(std::string_view line, const ParseOptions& options, ParsedLine& scratch);

// A destination's seed: the hash of its address ("udp://10.0.0.1:9125").
std::uint64_t DestinationSeed(std::string_view address);

// A key's weight at a destination.
inline std::uint64_t RendezvousWeight(std::uint64_t key, std::uint64_t seed) {
  return Mix64(key ^ seed);
}

struct RendezvousPick {
  int chosen = -1;  // the destination of highest weight among those up; -1 when none is up
  int home = -1;    // the destination of highest weight among all
};

// Destinations are the indexes of `seeds` (at most 64); bit i of `up_mask` says whether
// destination i is up. Ties (two equal weights: never in practice) go to the lower index.
RendezvousPick PickDestination(std::uint64_t key, std::span<const std::uint64_t> seeds,
                               std::uint64_t up_mask);

}  // namespace metricsd::statsd
