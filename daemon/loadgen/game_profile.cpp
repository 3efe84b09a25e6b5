#include "daemon/loadgen/game_profile.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>

namespace metricsd::loadgen {
namespace {

// What the game's servers and UI send per second, per player online and per battle. A player
// triggers an AO Action every 2 s; the UI reports a sample of its round trips to AO (1 in 10
// s) and of its frame times (1 in 5 s); a battle has five timed phases, one result and four
// DB queries, and players' sessions cause 0.15 queries/s each; every server reports players
// per region every 5 s; about 1% of the lines are debug counters the mapping drops.
constexpr double kAoActionsPerPlayer = 0.5;
constexpr double kUiRttPerPlayer = 0.1;
constexpr double kFramesPerPlayer = 0.2;
constexpr double kDbPerPlayer = 0.15;
constexpr double kDbPerBattle = 4;
constexpr double kPhasesPerBattle = 5;
constexpr double kGaugeReportsPerSecond = 0.2;
constexpr double kDebugShare = 0.01;

struct Timed {
  std::string_view name;
  double typical_ms;
};
struct AoProcess {
  std::string_view name;
  std::array<Timed, 4> actions;
  std::size_t count;
};
// The AO processes of the game and the Actions each handles (typical handler time).
constexpr std::array<AoProcess, 3> kAoProcesses{{
    {"battle", {{{"Attack", 40}, {"Move", 12}, {"Info", 4}, {"Resolve", 90}}}, 4},
    {"inventory", {{{"Transfer", 25}, {"Balance", 3}, {"Equip", 15}, {}}}, 3},
    {"matchmaker", {{{"Join", 30}, {"Leave", 8}, {"Info", 3}, {}}}, 3},
}};
// Actions the UI sends to AO, with a typical round trip: network + MU + CU.
constexpr std::array<Timed, 5> kUiActions{{
    {"Attack", 450}, {"Move", 300}, {"Join", 700}, {"Transfer", 550}, {"Balance", 250}}};
constexpr std::array<Timed, 5> kBattlePhases{{
    {"matchmaking", 800}, {"load", 300}, {"simulate", 120}, {"resolve", 40}, {"reward", 15}}};
struct DbQuery {
  std::string_view table, op;
  double typical_ms;
};
constexpr std::array<DbQuery, 8> kDbQueries{{
    {"players", "select", 1.2}, {"players", "update", 3.0}, {"players", "upsert", 4.0},
    {"inventory", "select", 1.5}, {"inventory", "insert", 2.5}, {"inventory", "delete", 2.0},
    {"battles", "insert", 5.0}, {"battles", "select", 8.0}}};
struct Region {
  std::string_view name;
  double share;  // of the players online
};
constexpr std::array<Region, 3> kRegions{{{"eu", 0.45}, {"us", 0.35}, {"asia", 0.20}}};
constexpr std::array<std::string_view, 2> kDebugNames{"gc_pause", "cache_miss"};
constexpr double kFrameMs = 14.0, kHitchMs = 45.0, kHitchShare = 0.05;

constexpr std::array<std::string_view, kLineKinds> kKindNames{
    "ao_handler", "db_query", "ui_frame", "ui_ao_rtt", "battle_phase", "battle_result",
    "players", "debug"};

std::uint64_t SplitMix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void AppendInt(std::string& out, long long value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

}  // namespace

std::string_view LineKindName(LineKind kind) { return kKindNames[static_cast<std::size_t>(kind)]; }

KindShares KindRates(const GameProfileOptions& o) {
  const double players = std::max(0.0, o.players);
  const double battles = std::max(0.0, o.battles_per_second);
  KindShares rates{};
  auto at = [&rates](LineKind kind) -> double& { return rates[static_cast<std::size_t>(kind)]; };
  at(LineKind::kAoHandler) = players * kAoActionsPerPlayer;
  at(LineKind::kDbQuery) = battles * kDbPerBattle + players * kDbPerPlayer;
  at(LineKind::kUiFrame) = players * kFramesPerPlayer;
  at(LineKind::kUiAoRtt) = players * kUiRttPerPlayer;
  at(LineKind::kBattlePhase) = battles * kPhasesPerBattle;
  at(LineKind::kBattleResult) = battles;
  at(LineKind::kPlayers) =
      static_cast<double>(kRegions.size()) * std::max(1, o.servers) * kGaugeReportsPerSecond;
  double rest = 0;
  for (double rate : rates) rest += rate;
  at(LineKind::kDebug) = rest * kDebugShare / (1 - kDebugShare);
  return rates;
}

double NaturalRate(const GameProfileOptions& options) {
  double total = 0;
  for (double rate : KindRates(options)) total += rate;
  return total;
}

KindShares Shares(const GameProfileOptions& options) {
  KindShares shares = KindRates(options);
  const double total = NaturalRate(options);
  for (double& share : shares) share /= total;
  return shares;
}

Random::Random(std::uint64_t seed) {
  for (std::uint64_t& word : state_) word = SplitMix64(seed);
}

std::uint64_t Random::Next() {
  const std::uint64_t result = Rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = Rotl(state_[3], 45);
  return result;
}

double Random::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

std::size_t Random::Below(std::size_t n) {
  return static_cast<std::size_t>(Uniform() * static_cast<double>(n));
}

double Random::Gaussian() {
  // Box-Muller; 1 - Uniform() is in (0, 1], so the log is finite.
  const double u = 1.0 - Uniform(), v = Uniform();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}

GameProfile::GameProfile(const GameProfileOptions& options)
    : options_(options), random_(options.seed) {
  const KindShares shares = Shares(options);
  double sum = 0;
  for (std::size_t i = 0; i < kLineKinds; ++i) cumulative_[i] = sum += shares[i];
  cumulative_.back() = 1.0;
}

LineKind GameProfile::DrawKind() {
  const double pick = random_.Uniform();
  std::size_t i = 0;
  while (i + 1 < kLineKinds && pick >= cumulative_[i]) ++i;
  return static_cast<LineKind>(i);
}

void GameProfile::AppendMs(std::string& line, double typical_ms, double sigma) {
  // Log-normal around the typical time, as measured latencies are; 3 decimals.
  const double ms = typical_ms * std::exp(random_.Gaussian() * sigma);
  char buffer[32];
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, ms, std::chars_format::fixed, 3);
  line.append(buffer, end);
  line += "|ms";
}

LineKind GameProfile::Next(std::string& line) {
  line.clear();
  const LineKind kind = DrawKind();
  switch (kind) {
    case LineKind::kAoHandler: {
      const AoProcess& process = kAoProcesses[random_.Below(kAoProcesses.size())];
      const Timed& action = process.actions[random_.Below(process.count)];
      line += "ao.handler.";
      line += process.name;
      line += '.';
      line += action.name;
      line += ':';
      AppendMs(line, action.typical_ms, 0.5);
      break;
    }
    case LineKind::kDbQuery: {
      const DbQuery& query = kDbQueries[random_.Below(kDbQueries.size())];
      line += "db.";
      line += query.table;
      line += '.';
      line += query.op;
      line += ':';
      AppendMs(line, query.typical_ms, 0.7);
      break;
    }
    case LineKind::kUiFrame:
      line += "ui.frame_time:";
      // Mostly 60 fps, sometimes a hitch.
      AppendMs(line, random_.Uniform() < kHitchShare ? kHitchMs : kFrameMs, 0.25);
      break;
    case LineKind::kUiAoRtt: {
      const Timed& action = kUiActions[random_.Below(kUiActions.size())];
      line += "ui.ao_rtt.";
      line += action.name;
      line += ':';
      AppendMs(line, action.typical_ms, 0.4);
      break;
    }
    case LineKind::kBattlePhase: {
      const Timed& phase = kBattlePhases[random_.Below(kBattlePhases.size())];
      line += "battle.";
      line += phase.name;
      line += ".duration:";
      AppendMs(line, phase.typical_ms, 0.4);
      break;
    }
    case LineKind::kBattleResult: {
      const double pick = random_.Uniform();
      line += "battle.result.";
      line += pick < 0.45 ? "win" : pick < 0.90 ? "loss" : "draw";
      line += ":1|c";
      break;
    }
    case LineKind::kPlayers: {
      const Region& region = kRegions[random_.Below(kRegions.size())];
      // Each server's share of the region's players, within 2% of its level.
      const double level = std::max(0.0, options_.players) * region.share /
                           std::max(1, options_.servers);
      line += "session.";
      line += region.name;
      line += ".players:";
      AppendInt(line, std::llround(level * (1 + (random_.Uniform() * 2 - 1) * 0.02)));
      line += "|g";
      break;
    }
    case LineKind::kDebug:
      line += "debug.";
      line += kDebugNames[random_.Below(kDebugNames.size())];
      line += ":1|c";
      break;
  }
  if (options_.servers > 0) {
    line += "|#server:gs-";
    const std::size_t server = random_.Below(static_cast<std::size_t>(options_.servers)) + 1;
    if (server < 10) line += '0';
    AppendInt(line, static_cast<long long>(server));
  }
  return kind;
}

}  // namespace metricsd::loadgen
