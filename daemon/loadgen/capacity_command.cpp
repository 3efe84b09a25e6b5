#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "daemon/loadgen/capacity.h"
#include "daemon/loadgen/capacity_report.h"
#include "daemon/loadgen/command_flags.h"
#include "daemon/loadgen/loadgen_command.h"

namespace metricsd::loadgen {
namespace {

bool WriteFile(const std::filesystem::path& path, const std::string& text, std::string& error) {
  // Write then rename: a reader (the analytics runway) never sees half a report.
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      error = "cannot write " + tmp.string();
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    error = "cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace

std::string_view CapacityUsage() {
  return R"(usage: metricsd capacity --target=URL [<flags>]

Ramps game StatsD load on a running metricsd in steps (doubling, then bisecting) until it loses
lines or exceeds its CPU budget, reading its own /metrics before and after each step, and writes
a capacity report (capacity-report.json and capacity-report.md): the max lossless rate, CPU per
million lines, RSS per 100k series and probe cost, with the method.

Flags:
  -h, --help                  Show this help and exit.
      --target=URL            metricsd's web address (http://HOST:PORT); its /metrics is
                              read. Required.
      --statsd=URL            Where the load goes: udp://, tcp:// or http://HOST:PORT.
                              Default: udp://<target host>:8125.
      --cpu-budget=CORES      A step using more of the target's CPU fails. Default: 1.0.
      --loss-threshold=RATIO  A step losing more of its lines fails. Default: 0.001.
      --start-rate=N          Lines/s of the first step. Default: 1000.
      --max-rate=N            Never send faster. Default: 10000000.
      --step-duration=DURATION
                              Each step's length. Default: 10s.
      --max-bisections=N      Steps spent narrowing the limit. Default: 5.
      --deadline=DURATION     Bound of the whole run. Default: 15m.
      --idle-sample=DURATION  The target's idle CPU is measured this long first. Default: 2s.
      --drain-timeout=DURATION
                              Wait up to this after each step for the target to count the
                              lines. Default: 3s.
      --threads=N             Sending threads, as for loadgen. Default: 1.
      --players=N, --battles-per-second=B, --servers=N, --seed=N
                              The game profile, as for loadgen (--servers default: 100, so
                              that the run makes series to weigh; a target already fed
                              with another --servers refuses the lines as conflicts).
      --output-dir=DIR        Where the reports go (created). Default: the current directory.
      --output=FORMAT         What goes to standard output: text (a summary) or json (the
                              report). Default: text.
)";
}

int RunCapacityCommand(std::span<const std::string_view> args) {
  CapacityOptions options;
  options.profile.servers = 100;
  bool json = false, have_target = false, have_statsd = false;
  std::string output_dir = ".", error;
  FlagReader reader(args);
  while (reader.Next()) {
    const std::string_view name = reader.name();
    if (name == "-h" || name == "--help") {
      std::cout << CapacityUsage();
      return 0;
    }
    if (ReadProfileFlag(reader, options.profile)) continue;
    if (name == "--target") {
      if (auto v = reader.Value()) {
        auto endpoint = ParseEndpoint(*v, "/metrics", error);
        if (!endpoint || endpoint->kind != Endpoint::Kind::kHttp) {
          reader.Fail("--target: " + (endpoint ? "expected metricsd's http://HOST:PORT" : error));
        } else {
          options.web = *endpoint;
          have_target = true;
        }
      }
    } else if (name == "--statsd") {
      if (auto v = reader.Value()) {
        auto endpoint = ParseEndpoint(*v, "/api/v1/statsd", error);
        if (!endpoint) reader.Fail("--statsd: " + error);
        else options.statsd = *endpoint, have_statsd = true;
      }
    } else if (name == "--cpu-budget") {
      if (auto v = reader.Number(0.01, 1024)) options.cpu_budget = *v;
    } else if (name == "--loss-threshold") {
      if (auto v = reader.Number(0, 1)) options.loss_threshold = *v;
    } else if (name == "--start-rate") {
      if (auto v = reader.Number(1, 1e9)) options.start_rate = *v;
    } else if (name == "--max-rate") {
      if (auto v = reader.Number(1, 1e9)) options.max_rate = *v;
    } else if (name == "--step-duration") {
      if (auto v = reader.Seconds(0.5, 3600)) options.step_duration = *v;
    } else if (name == "--max-bisections") {
      if (auto v = reader.Number(0, 30)) options.max_bisections = static_cast<int>(*v);
    } else if (name == "--deadline") {
      if (auto v = reader.Seconds(1, 7 * 86400)) options.deadline = *v;
    } else if (name == "--idle-sample") {
      if (auto v = reader.Seconds(0, 600)) options.idle_sample = *v;
    } else if (name == "--threads") {
      if (auto v = reader.Number(1, 64)) options.threads = static_cast<int>(*v);
    } else if (name == "--drain-timeout") {
      if (auto v = reader.Seconds(0, 600)) options.drain_timeout = *v;
    } else if (name == "--output-dir") {
      if (auto v = reader.Value()) {
        if (v->empty()) reader.Fail("--output-dir must not be empty");
        output_dir = std::string(*v);
      }
    } else if (name == "--output") {
      auto v = reader.Value();
      if (v && *v != "text" && *v != "json") reader.Fail("--output must be text or json");
      json = v && *v == "json";
    } else {
      reader.Fail("unknown flag " + std::string(name) + " (see metricsd capacity --help)");
    }
  }
  if (reader.error().empty() && !have_target) reader.Fail("--target is required (see --help)");
  if (!reader.error().empty()) {
    std::cerr << "metricsd capacity: " << reader.error() << "\n";
    return 2;
  }
  if (!have_statsd) {
    options.statsd = Endpoint{.kind = Endpoint::Kind::kUdp, .host = options.web.host, .port = 8125, .path = {}};
  }
  options.start_rate = std::min(options.start_rate, options.max_rate);
  std::error_code ec;
  std::filesystem::create_directories(output_dir, ec);
  if (ec) {
    std::cerr << "metricsd capacity: cannot create " << output_dir << ": " << ec.message() << "\n";
    return 1;
  }

  InstallStopHandlers();
  std::cerr << "metricsd capacity: " << options.statsd.ToString() << " -> "
            << options.web.ToString() << ", steps of " << options.step_duration << " s\n";
  CapacityResult result = RunCapacity(options, StopRequested(), [](const CapacityStep& step) {
    char line[256];
    std::snprintf(line, sizeof line,
                  "  %-6s %10.0f lines/s: achieved %10.0f, loss %.4f%%, cpu %s cores -> %s\n",
                  step.phase.c_str(), step.rate, step.run.AchievedRate(),
                  step.run.loss_ratio * 100,
                  step.run.cpu_cores ? std::to_string(*step.run.cpu_cores).c_str() : "?",
                  std::string(VerdictName(step.verdict)).c_str());
    std::cerr << line;
  });
  const nlohmann::json report = CapacityReportJson(options, result);
  const std::filesystem::path json_path = std::filesystem::path(output_dir) / "capacity-report.json";
  const std::filesystem::path md_path = std::filesystem::path(output_dir) / "capacity-report.md";
  if (!WriteFile(json_path, report.dump(2) + "\n", error) ||
      !WriteFile(md_path, CapacityReportMarkdown(report), error)) {
    std::cerr << "metricsd capacity: " << error << "\n";
    return 1;
  }
  if (json) {
    std::cout << report.dump(2) << "\n";
  } else {
    std::cout << CapacityReportSummary(report) << "reports: " << json_path.string() << ", "
              << md_path.string() << "\n";
  }
  std::cout.flush();
  if (result.interrupted) return kExitInterrupted;
  return result.stopped_by == "error" ? 1 : 0;
}

}  // namespace metricsd::loadgen
