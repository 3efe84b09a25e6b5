// The game profile: deterministic for a seed, each kind of line at its share, and every line
// one the StatsD parser accepts and the shipped game mapping maps to the family it documents.
#include "daemon/loadgen/game_profile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "collectors/statsd/mapper.h"
#include "collectors/statsd/parser.h"
#include "collectors/statsd/statsd_config.h"

namespace metricsd::loadgen {
namespace {

std::vector<std::string> Lines(const GameProfileOptions& options, int count) {
  GameProfile profile(options);
  std::vector<std::string> lines(count);
  for (std::string& line : lines) profile.Next(line);
  return lines;
}

TEST(GameProfileTest, TheSameSeedGivesTheSameLines) {
  GameProfileOptions options;
  options.seed = 42;
  EXPECT_EQ(Lines(options, 2000), Lines(options, 2000));
  GameProfileOptions other = options;
  other.seed = 43;
  EXPECT_NE(Lines(options, 50), Lines(other, 50));
  for (const std::string& line : Lines(options, 3)) std::printf("seed 42: %s\n", line.c_str());
}

TEST(GameProfileTest, SharesFollowThePlayersAndBattles) {
  GameProfileOptions options;  // 1000 players, 10 battles/s
  const KindShares rates = KindRates(options);
  EXPECT_DOUBLE_EQ(rates[static_cast<int>(LineKind::kAoHandler)], 500);
  EXPECT_DOUBLE_EQ(rates[static_cast<int>(LineKind::kBattlePhase)], 50);
  EXPECT_DOUBLE_EQ(rates[static_cast<int>(LineKind::kBattleResult)], 10);
  EXPECT_DOUBLE_EQ(rates[static_cast<int>(LineKind::kDbQuery)], 190);
  double sum = 0;
  for (double share : Shares(options)) sum += share;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_NEAR(Shares(options)[static_cast<int>(LineKind::kDebug)], 0.01, 1e-12);
  // More battles: a larger share of battle lines.
  GameProfileOptions war = options;
  war.battles_per_second = 100;
  EXPECT_GT(Shares(war)[static_cast<int>(LineKind::kBattlePhase)],
            Shares(options)[static_cast<int>(LineKind::kBattlePhase)]);
  std::printf("FIGURE natural_rate_default_lines_per_second %.1f\n", NaturalRate(options));
}

TEST(GameProfileTest, EachKindIsDrawnAtItsShare) {
  GameProfileOptions options;
  options.seed = 7;
  options.servers = 3;
  GameProfile profile(options);
  constexpr int kDraws = 200000;
  std::array<int, kLineKinds> counts{};
  std::string line;
  for (int i = 0; i < kDraws; ++i) ++counts[static_cast<std::size_t>(profile.Next(line))];
  const KindShares shares = Shares(options);
  for (std::size_t i = 0; i < kLineKinds; ++i) {
    const double expected = shares[i] * kDraws;
    // Five standard deviations of a binomial count: a failure is a wrong share, not chance.
    const double tolerance = 5 * std::sqrt(expected * (1 - shares[i])) + 1;
    EXPECT_NEAR(counts[i], expected, tolerance) << LineKindName(static_cast<LineKind>(i));
  }
}

// The family the shipped mapping gives each kind (config/examples/statsd-mapping/game.yaml).
std::string FamilyOf(LineKind kind) {
  switch (kind) {
    case LineKind::kAoHandler: return "game_ao_handler_duration_seconds";
    case LineKind::kDbQuery: return "game_db_query_duration_seconds";
    case LineKind::kUiFrame: return "game_ui_frame_seconds";
    case LineKind::kUiAoRtt: return "game_ui_ao_latency_seconds";
    case LineKind::kBattlePhase: return "game_battle_phase_duration_seconds";
    case LineKind::kBattleResult: return "game_battles_total";
    case LineKind::kPlayers: return "game_players";
    case LineKind::kDebug: return "<drop>";
  }
  return "?";
}

statsd::MetricKind KindOf(statsd::SampleType type) {
  switch (type) {
    case statsd::SampleType::kCounter: return statsd::MetricKind::kCounter;
    case statsd::SampleType::kGauge: return statsd::MetricKind::kGauge;
    default: return statsd::MetricKind::kObserver;
  }
}

void ExpectParsedAndMapped(int servers) {
  const statsd::Mapper mapper(statsd::LoadMappingFile(
      std::string(METRICSD_SOURCE_DIR) + "/config/examples/statsd-mapping/game.yaml"));
  GameProfileOptions options;
  options.seed = 99;
  options.servers = servers;
  GameProfile profile(options);
  statsd::ParsedLine parsed;
  statsd::MapResult mapped;
  std::string line;
  std::map<std::string, std::set<std::string>> label_sets;  // family -> label name lists
  std::set<LineKind> seen;
  for (int i = 0; i < 20000; ++i) {
    const LineKind kind = profile.Next(line);
    seen.insert(kind);
    statsd::ParseLine(line, statsd::ParseOptions{}, parsed);
    ASSERT_TRUE(parsed.errors.empty()) << line;
    ASSERT_EQ(parsed.samples.size(), 1u) << line;
    ASSERT_EQ(parsed.tag_errors, 0) << line;
    ASSERT_EQ(parsed.tags.size(), servers > 0 ? 1u : 0u) << line;
    const statsd::Sample& sample = parsed.samples.front();
    ASSERT_TRUE(std::isfinite(sample.value) && sample.value >= 0) << line;
    ASSERT_TRUE(mapper.Map(parsed.name, KindOf(sample.type), mapped)) << line << " is unmapped";
    const std::string family = mapped.mapping->drop ? "<drop>" : mapped.name;
    ASSERT_EQ(family, FamilyOf(kind)) << line;
    std::string labels;
    for (const auto& [name, value] : mapped.labels) labels += name + ",";
    label_sets[family].insert(labels);
  }
  EXPECT_EQ(seen.size(), kLineKinds);
  // Each family always has the same label names (else metricsd counts conflicts).
  for (const auto& [family, sets] : label_sets) EXPECT_EQ(sets.size(), 1u) << family;
}

TEST(GameProfileTest, EveryLineParsesAndTheShippedMappingMapsIt) { ExpectParsedAndMapped(0); }

TEST(GameProfileTest, ServerTagsAreDogStatsdTags) {
  ExpectParsedAndMapped(12);
  GameProfileOptions options;
  options.servers = 12;
  std::set<std::string> servers;
  for (const std::string& line : Lines(options, 5000)) {
    servers.insert(line.substr(line.find("|#server:") + 9));
  }
  EXPECT_EQ(servers.size(), 12u);
  EXPECT_TRUE(servers.contains("gs-01"));
  EXPECT_TRUE(servers.contains("gs-12"));
}

TEST(GameProfileTest, PlayersGaugeSumsToThePlayersOnline) {
  GameProfileOptions options;
  options.players = 10000;
  GameProfile profile(options);
  std::map<std::string, double> last;  // region -> players
  std::string line;
  for (int i = 0; i < 100000; ++i) {
    if (profile.Next(line) != LineKind::kPlayers) continue;
    const std::size_t dot = line.find(".players:");
    last[line.substr(8, dot - 8)] = std::stod(line.substr(dot + 9));
  }
  ASSERT_EQ(last.size(), 3u);
  double total = 0;
  for (const auto& [region, players] : last) total += players;
  EXPECT_NEAR(total, 10000, 10000 * 0.02);
}

TEST(RandomTest, UniformStaysInRangeAndBelowCoversAll) {
  Random random(1);
  std::array<int, 7> seen{};
  for (int i = 0; i < 10000; ++i) {
    const double u = random.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ++seen[random.Below(7)];
  }
  for (int count : seen) EXPECT_GT(count, 1000);
}

}  // namespace
}  // namespace metricsd::loadgen
