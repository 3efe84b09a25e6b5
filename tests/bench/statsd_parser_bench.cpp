// The StatsD line parser alone: ns per line for the dialects a game server and UI send.
//
// Run: build/tests/bench/statsd_parser_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "collectors/statsd/parser.h"

namespace metricsd::statsd {
namespace {

void BM_ParseLine(benchmark::State& state, std::string line) {
  ParsedLine out;
  ParseOptions options;
  for (auto _ : state) {
    ParseLine(line, options, out);
    benchmark::DoNotOptimize(out.samples.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_ParseLine, etsy_counter, std::string("game.battle.hits:1|c"));
BENCHMARK_CAPTURE(BM_ParseLine, etsy_timer_rate, std::string("game.battle.duration:250|ms|@0.5"));
BENCHMARK_CAPTURE(BM_ParseLine, dogstatsd_tags,
                  std::string("db.query.duration:12.5|ms|#table:users,op:select,shard:7"));
BENCHMARK_CAPTURE(BM_ParseLine, influx_tags, std::string("ao.handler,action=Eval,pid=abc:3|ms"));
BENCHMARK_CAPTURE(BM_ParseLine, multi_sample, std::string("ui.frame:16|ms:17|ms:33|ms"));

}  // namespace
}  // namespace metricsd::statsd

BENCHMARK_MAIN();
