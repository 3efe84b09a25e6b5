#include "daemon/loadgen/loadgen.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <thread>
#include <vector>

#include "daemon/loadgen/rate_controller.h"
#include "daemon/loadgen/statsd_sender.h"

namespace metricsd::loadgen {
namespace {

constexpr std::size_t kMaxLinesPerBatch = 4096;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// How long to let tokens gather before a batch: short for UDP (datagrams are cheap and small),
// longer for TCP writes and HTTP POSTs, whose cost is per call.
double MinInterval(Endpoint::Kind kind) {
  switch (kind) {
    case Endpoint::Kind::kUdp: return 0.001;
    case Endpoint::Kind::kTcp: return 0.005;
    case Endpoint::Kind::kHttp: return 0.02;
  }
  return 0.001;
}

std::string Format(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// Reads the target until it has counted every line sent, or its count stopped moving (UDP
// lost the rest), or the drain timeout.
TargetReading Drain(HttpConnection& connection, const std::string& path, double before_lines,
                    std::uint64_t sent, double timeout, const std::atomic<bool>& stop,
                    double& waited) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(timeout));
  TargetReading reading;
  std::optional<double> previous;
  int unchanged = 0;
  while (true) {
    reading = ReadTargetMetrics(connection, path);
    if (!reading.ok) break;
    const double received = reading.GetOr(kLinesReceived) - before_lines;
    if (received >= static_cast<double>(sent)) break;
    // Three equal readings 200 ms apart: what is missing is not coming.
    unchanged = previous && *previous == received ? unchanged + 1 : 0;
    previous = received;
    if (unchanged >= 3 || Clock::now() >= deadline || stop.load()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  waited = Seconds(Clock::now() - start);
  return reading;
}

struct SenderRun {
  SendStats stats;
  std::array<std::uint64_t, kLineKinds> lines_by_kind{};
  double elapsed = 0;
  double steady_rate = 0;  // after the ramp
  bool interrupted = false;
};

// One sending thread: `rate` lines/s (after the ramp) of profile stream `index` from `start`
// until the duration or `stop`.
void SendShare(const LoadgenOptions& options, double rate, int index, Clock::time_point start,
          const std::atomic<bool>& stop, SenderRun& run) {
  const double duration = std::max(0.0, options.duration);
  const double ramp = std::clamp(options.ramp, 0.0, duration);
  std::unique_ptr<StatsdSender> sender = MakeSender(options.target, options.io_timeout);
  GameProfileOptions profile_options = options.profile;
  profile_options.seed += static_cast<std::uint64_t>(index) * 1'000'003;  // stream 0: the seed
  GameProfile profile(profile_options);
  // A tenth of a second of tokens at most: enough to ride out a scheduling hiccup without
  // turning a long stall into a flood.
  RateController pacing(rate, ramp, std::max(64.0, rate * 0.1));
  const double min_interval = MinInterval(options.target.kind);
  // Lines per write: what accrues in min_interval at the rate (at least 1; a batch is never
  // held back longer than that interval).
  const std::size_t batch = static_cast<std::size_t>(std::clamp(
      std::floor(rate * min_interval), 1.0, static_cast<double>(kMaxLinesPerBatch)));
  std::vector<std::string> lines(kMaxLinesPerBatch);

  double t = 0;
  std::optional<std::pair<double, std::uint64_t>> ramp_end;  // (instant, lines sent then)
  while (true) {
    t = Seconds(Clock::now() - start);
    if (t >= duration) break;
    if (stop.load()) {
      run.interrupted = true;
      break;
    }
    if (!ramp_end && t >= ramp) ramp_end.emplace(t, sender->stats().lines_sent);
    const std::size_t due = static_cast<std::size_t>(
        std::min<double>(pacing.Available(t), kMaxLinesPerBatch));
    const bool last_chance = t + min_interval >= duration;  // send what is due before the end
    if (due < batch && !(last_chance && due > 0)) {
      // Sleep until a batch is due (fewer, larger writes), at most 50 ms (to see ctrl-C) and
      // never past the end.
      double wake = pacing.WhenAvailable(t, static_cast<double>(batch));
      wake = std::min({wake, t + 0.05, duration});
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(wake)));
      continue;
    }
    for (std::size_t i = 0; i < due; ++i) {
      ++run.lines_by_kind[static_cast<std::size_t>(profile.Next(lines[i]))];
    }
    pacing.Consume(static_cast<double>(due));
    sender->Send(std::span<const std::string>(lines.data(), due));
  }
  run.elapsed = std::min(t, duration);
  run.stats = sender->stats();
  if (ramp_end && run.elapsed - ramp_end->first >= 0.5) {
    run.steady_rate = static_cast<double>(run.stats.lines_sent - ramp_end->second) /
                      (run.elapsed - ramp_end->first);
  }
  // The sender closes here: a TCP connection's last lines are read by the target.
}

}  // namespace

LoadgenResult RunLoadgen(const LoadgenOptions& options, const std::atomic<bool>& stop) {
  LoadgenResult result;
  result.rate = options.rate > 0 ? options.rate : NaturalRate(options.profile);
  std::unique_ptr<HttpConnection> metrics;
  if (options.metrics) {
    metrics = std::make_unique<HttpConnection>(options.metrics->host, options.metrics->port,
                                               options.io_timeout);
    result.before = ReadTargetMetrics(*metrics, options.metrics->path);
    if (!result.before.ok) {
      result.measure_error = "reading " + options.metrics->ToString() + " before: " +
                             result.before.error;
    }
  }

  // Each sending thread paces its share of the rate with its own sender (a socket or a
  // connection of its own) and its own profile stream; their counts add up.
  const int threads = std::max(1, options.threads);
  std::vector<SenderRun> runs(static_cast<std::size_t>(threads));
  const Clock::time_point start = Clock::now();
  {
    std::vector<std::jthread> workers;
    for (int i = 1; i < threads; ++i) {
      workers.emplace_back([&, i] {
        SendShare(options, result.rate / threads, i, start, stop, runs[static_cast<std::size_t>(i)]);
      });
    }
    SendShare(options, result.rate / threads, 0, start, stop, runs[0]);
  }  // joins
  for (const SenderRun& run : runs) {
    result.elapsed = std::max(result.elapsed, run.elapsed);
    result.interrupted = result.interrupted || run.interrupted;
    result.lines_sent += run.stats.lines_sent;
    result.lines_failed += run.stats.lines_failed;
    result.send_errors += run.stats.errors;
    result.writes += run.stats.writes;
    if (!run.stats.last_error.empty()) result.last_error = run.stats.last_error;
    for (std::size_t k = 0; k < kLineKinds; ++k) result.lines_by_kind[k] += run.lines_by_kind[k];
    result.steady_rate += run.steady_rate;
  }

  if (metrics && result.before.ok) {
    const double before_lines = result.before.GetOr(kLinesReceived);
    // Interrupted: still read the target, but do not wait long for it.
    static const std::atomic<bool> kNever{false};
    const double drain = result.interrupted ? std::min(options.drain_timeout, 1.0)
                                            : options.drain_timeout;
    result.after = Drain(*metrics, options.metrics->path, before_lines, result.lines_sent, drain,
                         result.interrupted ? kNever : stop, result.drain_seconds);
    if (!result.after.ok) {
      result.measure_error = "reading " + options.metrics->ToString() + " after: " +
                             result.after.error;
    } else {
      result.measured = true;
      result.received = result.after.GetOr(kLinesReceived) - before_lines;
      result.loss = static_cast<double>(result.lines_sent) - result.received;
      result.loss_ratio =
          result.lines_sent > 0 ? result.loss / static_cast<double>(result.lines_sent) : 0;
      result.sample_errors =
          result.after.GetOr(kSampleErrors) - result.before.GetOr(kSampleErrors);
      result.kernel_drops =
          result.after.GetOr(kUdpKernelDrops) - result.before.GetOr(kUdpKernelDrops);
      result.conflicts = result.after.GetOr(kConflicts) - result.before.GetOr(kConflicts);
      result.series_dropped =
          result.after.GetOr(kSeriesDropped) - result.before.GetOr(kSeriesDropped);
      const auto cpu_before = result.before.Get(kCpuSeconds);
      const auto cpu_after = result.after.Get(kCpuSeconds);
      const double wall = Seconds(result.after.at - result.before.at);
      if (cpu_before && cpu_after && wall > 0) result.cpu_cores = (*cpu_after - *cpu_before) / wall;
    }
  }
  return result;
}

nlohmann::json ToJson(const LoadgenOptions& options, const LoadgenResult& r) {
  nlohmann::json by_kind = nlohmann::json::object();
  for (std::size_t i = 0; i < kLineKinds; ++i) {
    by_kind[std::string(LineKindName(static_cast<LineKind>(i)))] = r.lines_by_kind[i];
  }
  nlohmann::json json = {
      {"version", 1},
      {"target", options.target.ToString()},
      {"profile",
       {{"name", "game"},
        {"players", options.profile.players},
        {"battles_per_second", options.profile.battles_per_second},
        {"servers", options.profile.servers},
        {"seed", options.profile.seed}}},
      {"rate", r.rate},
      {"threads", std::max(1, options.threads)},
      {"duration_seconds", options.duration},
      {"ramp_seconds", options.ramp},
      {"elapsed_seconds", r.elapsed},
      {"interrupted", r.interrupted},
      {"lines_sent", r.lines_sent},
      {"lines_failed", r.lines_failed},
      {"send_errors", r.send_errors},
      {"writes", r.writes},
      {"achieved_rate", r.AchievedRate()},
      {"steady_rate", r.steady_rate},
      {"lines_by_kind", by_kind},
  };
  if (!r.last_error.empty()) json["last_error"] = r.last_error;
  if (options.metrics) {
    nlohmann::json target = {{"metrics_url", options.metrics->ToString()},
                             {"measured", r.measured}};
    if (r.measured) {
      target["lines_received_before"] = r.before.GetOr(kLinesReceived);
      target["lines_received_after"] = r.after.GetOr(kLinesReceived);
      target["received"] = r.received;
      target["loss"] = r.loss;
      target["loss_ratio"] = r.loss_ratio;
      target["sample_errors"] = r.sample_errors;
      target["udp_kernel_drops"] = r.kernel_drops;
      target["conflicts"] = r.conflicts;
      target["series_dropped"] = r.series_dropped;
      target["drain_seconds"] = r.drain_seconds;
      target["cpu_cores"] = r.cpu_cores ? nlohmann::json(*r.cpu_cores) : nlohmann::json();
      target["resident_memory_bytes"] = r.after.GetOr(kResidentBytes);
      target["series"] = r.after.GetOr(kSeriesHeld);
    } else {
      target["error"] = r.measure_error;
    }
    json["target_counters"] = target;
  }
  return json;
}

std::string ToText(const LoadgenOptions& options, const LoadgenResult& r) {
  std::ostringstream out;
  out << "loadgen: game profile (" << options.profile.players << " players, "
      << options.profile.battles_per_second << " battles/s, seed " << options.profile.seed
      << ") to " << options.target.ToString() << (r.interrupted ? " (interrupted)" : "") << "\n";
  out << "  sent:      " << r.lines_sent << " lines in " << Format(r.elapsed, 2) << " s ("
      << r.writes << " " << (options.target.kind == Endpoint::Kind::kUdp   ? "datagrams"
                             : options.target.kind == Endpoint::Kind::kTcp ? "writes"
                                                                           : "POSTs")
      << ")\n";
  out << "  rate:      " << Format(r.AchievedRate(), 1) << " lines/s achieved overall";
  if (r.steady_rate > 0) out << ", " << Format(r.steady_rate, 1) << " after the ramp";
  out << " (asked " << Format(r.rate, 1) << ")\n";
  out << "  errors:    " << r.send_errors << " failed sends, " << r.lines_failed << " lines";
  if (!r.last_error.empty()) out << " (last: " << r.last_error << ")";
  out << "\n";
  if (options.metrics) {
    if (!r.measured) {
      out << "  target:    not measured: " << r.measure_error << "\n";
    } else {
      out << "  received:  " << Format(r.received, 0) << " lines (" << kLinesReceived
          << ", after " << Format(r.drain_seconds, 1) << " s of drain)\n";
      out << "  loss:      " << Format(r.loss, 0) << " lines, " << Format(r.loss_ratio * 100, 4)
          << "%";
      if (r.kernel_drops > 0) out << " (" << Format(r.kernel_drops, 0) << " datagrams dropped by the kernel)";
      out << "\n";
      if (r.sample_errors > 0) {
        out << "  malformed: " << Format(r.sample_errors, 0) << " samples (" << kSampleErrors
            << ")\n";
      }
      if (r.conflicts > 0) {
        out << "  conflicts: " << Format(r.conflicts, 0) << " samples dropped by the target: its "
            << "game families have other label names (fed with another --servers?) ("
            << kConflicts << ")\n";
      }
      if (r.series_dropped > 0) {
        out << "  series:    " << Format(r.series_dropped, 0)
            << " new series dropped by the target's limits (" << kSeriesDropped << ")\n";
      }
      if (r.cpu_cores) out << "  target CPU: " << Format(*r.cpu_cores, 3) << " cores\n";
    }
  }
  return out.str();
}

}  // namespace metricsd::loadgen
