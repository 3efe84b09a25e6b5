// The game's StatsD traffic as a model: what a game with N players online and B battles per
// second sends, in the names, types and shapes the shipped mapping
// (config/examples/statsd-mapping/game.yaml) turns into the game_* families:
//
//     ao.handler.<process>.<Action>:<ms>|ms    game_ao_handler_duration_seconds{process,action}
//     db.<table>.<op>:<ms>|ms                  game_db_query_duration_seconds{table,op}
//     ui.frame_time:<ms>|ms                    game_ui_frame_seconds
//     ui.ao_rtt.<Action>:<ms>|ms               game_ui_ao_latency_seconds{action}
//     battle.<phase>.duration:<ms>|ms          game_battle_phase_duration_seconds{phase}
//     battle.result.<outcome>:1|c              game_battles_total{outcome}
//     session.<region>.players:<n>|g           game_players{region}
//     debug.<name>:1|c                         dropped by the mapping (about 1%)
//
// (tests/support/game_workload.py writes the same lines for the Python tests.) The share of
// each kind follows from the players and the battle rate (see KindShares); a load generator
// scales the whole mix to its line rate. With `servers` > 0 every line carries a DogStatsD tag
// `server:gs-NN`, a label of every mapped family, which multiplies the series by the servers.
// Sets are not generated: metricsd, like statsd_exporter, rejects them (illegal_event).
//
// Deterministic: the same options and seed give the same lines on every platform (its own
// xoshiro256** generator and Box-Muller, no std:: distributions, whose output the standard
// leaves to each library).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace metricsd::loadgen {

enum class LineKind : std::uint8_t {
  kAoHandler,
  kDbQuery,
  kUiFrame,
  kUiAoRtt,
  kBattlePhase,
  kBattleResult,
  kPlayers,
  kDebug,
};
inline constexpr std::size_t kLineKinds = 8;
std::string_view LineKindName(LineKind kind);

struct GameProfileOptions {
  double players = 1000;              // players online: AO Actions, UI timings, the gauge
  double battles_per_second = 10;     // battle phases, results and their DB queries
  int servers = 0;                    // > 0: lines tagged server:gs-01..NN
  std::uint64_t seed = 1;
};

using KindShares = std::array<double, kLineKinds>;

// Lines per second of each kind the modelled game sends, by LineKind (see game_profile.cpp).
KindShares KindRates(const GameProfileOptions& options);
// KindRates normalised to sum to 1.
KindShares Shares(const GameProfileOptions& options);
// The sum of KindRates: the game's own line rate (what `loadgen` sends without --rate).
double NaturalRate(const GameProfileOptions& options);

// xoshiro256** (Blackman and Vigna), seeded through splitmix64. Not thread-safe.
class Random {
 public:
  explicit Random(std::uint64_t seed);
  std::uint64_t Next();
  double Uniform();                 // [0, 1)
  std::size_t Below(std::size_t n);  // [0, n)
  double Gaussian();                // mean 0, standard deviation 1

 private:
  std::array<std::uint64_t, 4> state_;
};

// Draws game lines. Not thread-safe: one per sending thread.
class GameProfile {
 public:
  explicit GameProfile(const GameProfileOptions& options);

  // Replaces `line` with the next line (no newline); returns its kind.
  LineKind Next(std::string& line);

  const GameProfileOptions& options() const { return options_; }

 private:
  LineKind DrawKind();
  void AppendMs(std::string& line, double typical_ms, double sigma);

  GameProfileOptions options_;
  std::array<double, kLineKinds> cumulative_{};  // cumulative shares, last = 1
  Random random_;
};

}  // namespace metricsd::loadgen
