#include "daemon/loadgen/loadgen_command.h"

#include <iostream>
#include <string>

#include "daemon/loadgen/command_flags.h"
#include "daemon/loadgen/loadgen.h"

namespace metricsd::loadgen {
std::string_view LoadgenUsage() {
  return R"(usage: metricsd loadgen --target=URL [<flags>]

Sends the game's StatsD traffic (AO handler timings, DB queries, UI timings, battle phases and
results, players per region: the lines the shipped game mapping maps) to a StatsD server at a
paced rate, and reports the rate achieved and, reading the target's own counters, the loss.

Flags:
  -h, --help                  Show this help and exit.
      --target=URL            udp://HOST:PORT, tcp://HOST:PORT or http://HOST:PORT[/PATH]
                              (POSTs to /api/v1/statsd by default). Required.
      --profile=game          The traffic model (only "game").
      --rate=LINES_PER_S      Lines per second after the ramp. Default: the profile's own
                              rate for its players and battles.
      --duration=DURATION     How long to send, the ramp included. Default: 30s.
      --ramp=DURATION         Rise linearly from 0 to the rate over this. Default: 10s.
      --players=N             Players online (AO Actions, UI timings). Default: 1000.
      --battles-per-second=B  Battles (phases, results, DB queries). Default: 10.
      --servers=N             Tag lines server:gs-01..N (series x N). Default: 0 (untagged).
                              Keep it the same against one target: metricsd, like
                              statsd_exporter, drops samples whose label names differ
                              from their family's (metricsd_statsd_events_conflict_total).
      --seed=N                The same seed sends the same lines. Default: 1.
      --threads=N             Sending threads, each with its own socket and rate/N (one
                              thread sends about 2M lines/s over UDP). Default: 1.
      --metrics-url=URL       The target's /metrics (http://HOST:PORT[/metrics]): its
                              metricsd_statsd_lines_total (a statsd_exporter's
                              statsd_exporter_lines_total) before and after gives the loss.
      --drain-timeout=DURATION
                              Wait up to this for the target to count what was sent.
                              Default: 5s.
      --timeout=DURATION      Bound of each connect, send and request. Default: 2s.
      --output=FORMAT         text or json. Default: text.
      --print-lines=N         Print N lines of the profile and exit (nothing is sent).
)";
}

int RunLoadgenCommand(std::span<const std::string_view> args) {
  LoadgenOptions options;
  bool json = false, have_target = false;
  long long print_lines = -1;
  FlagReader reader(args);
  std::string error;
  while (reader.Next()) {
    const std::string_view name = reader.name();
    if (name == "-h" || name == "--help") {
      std::cout << LoadgenUsage();
      return 0;
    }
    if (ReadProfileFlag(reader, options.profile)) continue;
    if (name == "--target") {
      if (auto v = reader.Value()) {
        auto endpoint = ParseEndpoint(*v, "/api/v1/statsd", error);
        if (!endpoint) reader.Fail("--target: " + error);
        else options.target = *endpoint, have_target = true;
      }
    } else if (name == "--metrics-url") {
      if (auto v = reader.Value()) {
        auto endpoint = ParseEndpoint(*v, "/metrics", error);
        if (!endpoint || endpoint->kind != Endpoint::Kind::kHttp) {
          reader.Fail("--metrics-url: " + (endpoint ? "expected http://HOST:PORT[/metrics]" : error));
        } else {
          options.metrics = *endpoint;
        }
      }
    } else if (name == "--rate") {
      if (auto v = reader.Number(0.001, 1e9)) options.rate = *v;
    } else if (name == "--duration") {
      if (auto v = reader.Seconds(0, 7 * 86400)) options.duration = *v;
    } else if (name == "--ramp") {
      if (auto v = reader.Seconds(0, 7 * 86400)) options.ramp = *v;
    } else if (name == "--threads") {
      if (auto v = reader.Number(1, 64)) options.threads = static_cast<int>(*v);
    } else if (name == "--drain-timeout") {
      if (auto v = reader.Seconds(0, 600)) options.drain_timeout = *v;
    } else if (name == "--timeout") {
      if (auto v = reader.Seconds(0.001, 600)) {
        options.io_timeout = std::chrono::milliseconds(static_cast<long long>(*v * 1000));
      }
    } else if (name == "--output") {
      auto v = reader.Value();
      if (v && *v != "text" && *v != "json") reader.Fail("--output must be text or json");
      json = v && *v == "json";
    } else if (name == "--print-lines") {
      if (auto v = reader.Number(0, 1e9)) print_lines = static_cast<long long>(*v);
    } else {
      reader.Fail("unknown flag " + std::string(name) + " (see metricsd loadgen --help)");
    }
  }
  if (!reader.error().empty()) {
    std::cerr << "metricsd loadgen: " << reader.error() << "\n";
    return 2;
  }
  if (print_lines >= 0) {
    GameProfile profile(options.profile);
    std::string line;
    for (long long i = 0; i < print_lines; ++i) {
      profile.Next(line);
      std::cout << line << "\n";
    }
    return 0;
  }
  if (!have_target) {
    std::cerr << "metricsd loadgen: --target is required (see --help)\n";
    return 2;
  }
  InstallStopHandlers();
  LoadgenResult result = RunLoadgen(options, StopRequested());
  if (json) {
    std::cout << ToJson(options, result).dump(2) << "\n";
  } else {
    std::cout << ToText(options, result);
  }
  std::cout.flush();
  if (result.interrupted) return kExitInterrupted;
  if (result.lines_sent == 0 && result.lines_failed > 0) return 1;
  if (options.metrics && !result.measured) return 1;
  return 0;
}

}  // namespace metricsd::loadgen
