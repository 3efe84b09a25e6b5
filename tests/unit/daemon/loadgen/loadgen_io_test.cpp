// The load generator's plumbing: endpoint URLs, datagram packing, the UDP and TCP senders over
// real loopback sockets, reading sums out of an exposition, a capacity step's verdict, and the
// capacity report's schema.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "daemon/loadgen/capacity.h"
#include "daemon/loadgen/capacity_report.h"
#include "daemon/loadgen/game_profile.h"
#include "daemon/loadgen/loadgen.h"
#include "daemon/loadgen/statsd_sender.h"
#include "daemon/loadgen/target.h"
#include "daemon/loadgen/target_metrics.h"

namespace metricsd::loadgen {
namespace {

TEST(EndpointTest, ParsesTheThreeKinds) {
  std::string error;
  auto udp = ParseEndpoint("udp://127.0.0.1:8125", "/api/v1/statsd", error);
  ASSERT_TRUE(udp) << error;
  EXPECT_EQ(udp->kind, Endpoint::Kind::kUdp);
  EXPECT_EQ(udp->host, "127.0.0.1");
  EXPECT_EQ(udp->port, 8125);
  auto tcp = ParseEndpoint("tcp://[::1]:9125", "", error);
  ASSERT_TRUE(tcp) << error;
  EXPECT_EQ(tcp->host, "::1");
  EXPECT_EQ(tcp->ToString(), "tcp://[::1]:9125");
  auto http = ParseEndpoint("http://localhost:9100", "/api/v1/statsd", error);
  ASSERT_TRUE(http) << error;
  EXPECT_EQ(http->path, "/api/v1/statsd");
  auto metrics = ParseEndpoint("http://localhost:9100/custom/metrics", "/metrics", error);
  ASSERT_TRUE(metrics) << error;
  EXPECT_EQ(metrics->path, "/custom/metrics");
}

TEST(EndpointTest, RefusesWhatItCannotUse) {
  std::string error;
  for (const char* bad : {"127.0.0.1:8125", "udp://127.0.0.1", "udp://:8125", "udp://h:0",
                          "udp://h:70000", "udp://h:8125/path", "https://h:443", "ftp://h:1"}) {
    EXPECT_FALSE(ParseEndpoint(bad, "", error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(PackLinesTest, FillsDatagramsUpToTheLimitInOrder) {
  std::vector<std::string> lines;
  for (int i = 0; i < 500; ++i) lines.push_back("ao.handler.battle.Attack:" + std::to_string(i) + ".5|ms");
  std::vector<Packet> packets;
  const std::size_t used = PackLines(lines, kMaxDatagramBytes, packets);
  std::string joined;
  std::size_t total = 0;
  for (std::size_t i = 0; i < used; ++i) {
    EXPECT_LE(packets[i].payload.size(), kMaxDatagramBytes);
    // Full: the next line would not have fit.
    if (i + 1 < used) {
      EXPECT_GT(packets[i].payload.size() + 1 + lines[total + packets[i].lines].size(),
                kMaxDatagramBytes);
    }
    total += packets[i].lines;
    joined += (joined.empty() ? "" : "\n") + packets[i].payload;
  }
  EXPECT_EQ(total, lines.size());
  std::string expected;
  for (const std::string& line : lines) expected += (expected.empty() ? "" : "\n") + line;
  EXPECT_EQ(joined, expected);
  // Reused: a smaller batch fills fewer packets with no leftovers.
  EXPECT_EQ(PackLines(std::span(lines).first(1), kMaxDatagramBytes, packets), 1u);
  EXPECT_EQ(packets[0].payload, lines[0]);
  EXPECT_EQ(packets[0].lines, 1u);
}

// A socket bound to 127.0.0.1 on a port the kernel picks.
int BoundSocket(int type, std::uint16_t& port) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

std::vector<std::string> SomeLines(int count) {
  GameProfileOptions options;
  options.servers = 4;
  GameProfile profile(options);
  std::vector<std::string> lines(count);
  for (std::string& line : lines) profile.Next(line);
  return lines;
}

TEST(StatsdSenderTest, UdpDatagramsCarryEveryLine) {
  std::uint16_t port = 0;
  const int receiver = BoundSocket(SOCK_DGRAM, port);
  int buffer = 4 << 20;
  ::setsockopt(receiver, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  auto sender = MakeSender({.kind = Endpoint::Kind::kUdp, .host = "127.0.0.1", .port = port, .path = {}},
                           std::chrono::seconds(2));
  const std::vector<std::string> lines = SomeLines(300);
  sender->Send(lines);
  EXPECT_EQ(sender->stats().lines_sent, 300u);
  EXPECT_EQ(sender->stats().errors, 0u);
  std::vector<std::string> received;
  char datagram[65536];
  while (received.size() < lines.size()) {
    pollfd p{.fd = receiver, .events = POLLIN, .revents = 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1) << "datagrams missing after " << received.size() << " lines";
    const ssize_t n = ::recv(receiver, datagram, sizeof datagram, 0);
    ASSERT_GT(n, 0);
    EXPECT_LE(static_cast<std::size_t>(n), kMaxDatagramBytes);
    std::string_view payload(datagram, static_cast<std::size_t>(n));
    while (!payload.empty()) {
      const std::size_t newline = payload.find('\n');
      received.emplace_back(payload.substr(0, newline));
      payload = newline == std::string_view::npos ? "" : payload.substr(newline + 1);
    }
  }
  EXPECT_EQ(received, lines);
  EXPECT_GE(sender->stats().writes, 300u * 40 / kMaxDatagramBytes);
  ::close(receiver);
}

TEST(StatsdSenderTest, TcpWritesNewlineTerminatedLinesAndCountsARefusal) {
  std::uint16_t port = 0;
  const int listener = BoundSocket(SOCK_STREAM, port);
  ASSERT_EQ(::listen(listener, 4), 0);
  std::string received;
  std::thread reader([&] {
    const int connection = ::accept(listener, nullptr, nullptr);
    char buffer[65536];
    ssize_t n;
    while ((n = ::recv(connection, buffer, sizeof buffer, 0)) > 0) received.append(buffer, n);
    ::close(connection);
  });
  const Endpoint endpoint{.kind = Endpoint::Kind::kTcp, .host = "127.0.0.1", .port = port, .path = {}};
  const std::vector<std::string> lines = SomeLines(1000);
  {
    auto sender = MakeSender(endpoint, std::chrono::seconds(2));
    sender->Send(std::span(lines).first(400));
    sender->Send(std::span(lines).subspan(400));
    EXPECT_EQ(sender->stats().lines_sent, 1000u);
    EXPECT_EQ(sender->stats().errors, 0u);
  }  // closes the connection
  reader.join();
  std::string expected;
  for (const std::string& line : lines) expected += line + "\n";
  EXPECT_EQ(received, expected);
  ::close(listener);

  // Nobody listens any more: every line is counted failed, with the reason.
  auto refused = MakeSender(endpoint, std::chrono::seconds(2));
  refused->Send(std::span(lines).first(10));
  EXPECT_EQ(refused->stats().lines_sent, 0u);
  EXPECT_EQ(refused->stats().lines_failed, 10u);
  EXPECT_EQ(refused->stats().errors, 1u);
  EXPECT_NE(refused->stats().last_error.find("refused"), std::string::npos)
      << refused->stats().last_error;
}

// Counts only (no timing): what two sending threads sent is what a UDP sink got, never more
// than the schedule allows, every line counted by kind.
TEST(RunLoadgenTest, ThreadsShareTheRateAndEveryLineIsCounted) {
  std::uint16_t port = 0;
  const int sink = BoundSocket(SOCK_DGRAM, port);
  int buffer = 4 << 20;
  ::setsockopt(sink, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  LoadgenOptions options;
  options.target = {.kind = Endpoint::Kind::kUdp, .host = "127.0.0.1", .port = port, .path = {}};
  options.rate = 4000;
  options.duration = 0.5;
  options.ramp = 0.2;
  options.threads = 2;
  const std::atomic<bool> stop{false};
  const LoadgenResult result = RunLoadgen(options, stop);
  EXPECT_FALSE(result.interrupted);
  EXPECT_FALSE(result.measured);
  EXPECT_EQ(result.send_errors, 0u);
  // Each thread's share: at most its integral, whole lines.
  EXPECT_LE(result.lines_sent, 4000 * 0.1 + 4000 * 0.3 + 2);
  EXPECT_GT(result.lines_sent, 0u);
  std::uint64_t by_kind = 0;
  for (std::uint64_t n : result.lines_by_kind) by_kind += n;
  EXPECT_EQ(by_kind, result.lines_sent);
  std::uint64_t received = 0;
  char datagram[65536];
  pollfd p{.fd = sink, .events = POLLIN, .revents = 0};
  while (received < result.lines_sent && ::poll(&p, 1, 2000) == 1) {
    const ssize_t n = ::recv(sink, datagram, sizeof datagram, 0);
    ASSERT_GT(n, 0);
    received += 1 + std::count(datagram, datagram + n, '\n');
  }
  EXPECT_EQ(received, result.lines_sent);
  ::close(sink);
}

TEST(TargetMetricsTest, SumsEachNameOverItsSeries) {
  std::size_t samples = 0;
  const auto sums = SumByName(
      "# HELP metricsd_statsd_lines_total The total number of StatsD lines received.\n"
      "# TYPE metricsd_statsd_lines_total counter\n"
      "metricsd_statsd_lines_total 1234\n"
      "metricsd_statsd_series{type=\"counter\"} 3\n"
      "metricsd_statsd_series{type=\"histogram\"} 30\n"
      "weird{label=\"a } b\",other=\"q\\\"x\"} 2.5 1700000000000\n"
      "process_resident_memory_bytes 1.5e+07\n"
      "nan_metric NaN\n"
      "broken{label=\"unterminated 5\n"
      "\n",
      &samples);
  EXPECT_EQ(samples, 6u);
  EXPECT_EQ(sums.at("metricsd_statsd_lines_total"), 1234);
  EXPECT_EQ(sums.at("metricsd_statsd_series"), 33);
  EXPECT_EQ(sums.at("weird"), 2.5);
  EXPECT_EQ(sums.at("process_resident_memory_bytes"), 1.5e7);
  EXPECT_TRUE(std::isnan(sums.at("nan_metric")));
  EXPECT_FALSE(sums.contains("broken"));
}

TEST(TargetMetricsTest, AStatsdExporterIsReadAsMetricsd) {
  TargetReading exporter = ReadingFromExposition(
      "statsd_exporter_lines_total 10\n"
      "statsd_exporter_events_conflict_total{type=\"counter\"} 2\n"
      "process_cpu_seconds_total 1.5\n");
  ASSERT_TRUE(exporter.ok) << exporter.error;
  EXPECT_EQ(exporter.GetOr(kLinesReceived), 10);
  EXPECT_EQ(exporter.GetOr(kConflicts), 2);
  EXPECT_EQ(exporter.GetOr(kCpuSeconds), 1.5);
  EXPECT_EQ(exporter.exposed_series, 3u);
  TargetReading other = ReadingFromExposition("node_load1 0.5\n");
  EXPECT_FALSE(other.ok);
  EXPECT_NE(other.error.find("metricsd_statsd_lines_total"), std::string::npos);
}

LoadgenResult MeasuredRun(double rate, double achieved, double sent, double received, double cpu) {
  LoadgenResult run;
  run.rate = rate;
  run.elapsed = sent / achieved;
  run.lines_sent = static_cast<std::uint64_t>(sent);
  run.measured = true;
  run.received = received;
  run.loss = sent - received;
  run.loss_ratio = (sent - received) / sent;
  run.cpu_cores = cpu;
  return run;
}

TEST(CapacityTest, JudgesLossCpuAndTheGenerator) {
  CapacityOptions options;  // loss 0.1%, 1 core
  EXPECT_EQ(Judge(options, MeasuredRun(1000, 1000, 10000, 10000, 0.2)), StepVerdict::kOk);
  EXPECT_EQ(Judge(options, MeasuredRun(1000, 1000, 10000, 9995, 0.2)), StepVerdict::kOk);
  EXPECT_EQ(Judge(options, MeasuredRun(1000, 1000, 10000, 9980, 0.2)), StepVerdict::kLoss);
  EXPECT_EQ(Judge(options, MeasuredRun(1000, 1000, 10000, 10000, 1.5)), StepVerdict::kCpu);
  // Asked 2000/s, sent 1000/s: the generator's limit, not the target's.
  EXPECT_EQ(Judge(options, MeasuredRun(2000, 1000, 10000, 10000, 0.2)), StepVerdict::kGenerator);
  EXPECT_EQ(Judge(options, MeasuredRun(2000, 1900, 10000, 10000, 0.2)), StepVerdict::kOk);
  // Received but dropped as label conflicts: not a measure of the target's capacity.
  LoadgenResult conflicted = MeasuredRun(1000, 1000, 10000, 10000, 0.2);
  conflicted.conflicts = 5;
  EXPECT_EQ(Judge(options, conflicted), StepVerdict::kError);
  LoadgenResult unmeasured;
  EXPECT_EQ(Judge(options, unmeasured), StepVerdict::kError);
  unmeasured.interrupted = true;
  EXPECT_EQ(Judge(options, unmeasured), StepVerdict::kInterrupted);
}

TargetReading Reading(double lines, double cpu, double rss, double series, Clock::time_point at) {
  TargetReading reading;
  reading.ok = true;
  reading.at = at;
  reading.sums = {{std::string(kLinesReceived), lines}, {std::string(kCpuSeconds), cpu},
                  {std::string(kResidentBytes), rss}, {std::string(kSeriesHeld), series}};
  return reading;
}

TEST(CapacityReportTest, TheJsonHasItsSchemaAndTheMarkdownItsFigures) {
  CapacityOptions options;
  options.web = {.kind = Endpoint::Kind::kHttp, .host = "127.0.0.1", .port = 9100, .path = "/metrics"};
  options.statsd = {.kind = Endpoint::Kind::kUdp, .host = "127.0.0.1", .port = 8125, .path = {}};
  const Clock::time_point t0{};
  CapacityResult result;
  result.started_at = "2026-12-03T13:00:00Z";
  result.baseline = Reading(0, 1.0, 50e6, 0, t0);
  result.idle_end = Reading(0, 1.02, 50e6, 0, t0 + std::chrono::seconds(2));
  result.idle_cpu_cores = 0.01;
  for (double rate : {1000.0, 2000.0}) {
    CapacityStep& step = result.steps.emplace_back();
    step.phase = "double";
    step.rate = rate;
    step.run = MeasuredRun(rate, rate, rate * 10, rate * 10, 0.1);
    step.cpu_seconds = 1.0;
    step.wall_seconds = 10;
  }
  CapacityStep& failed = result.steps.emplace_back();
  failed.phase = "double";
  failed.rate = 4000;
  failed.run = MeasuredRun(4000, 4000, 40000, 39000, 0.3);
  failed.verdict = StepVerdict::kLoss;
  result.max_lossless_rate = 1990;
  result.max_lossless_rate_asked = 2000;
  result.stopped_by = "loss";
  result.final = Reading(69000, 5.0, 150e6, 2000, t0 + std::chrono::seconds(40));
  const nlohmann::json report = CapacityReportJson(options, result);
  EXPECT_EQ(report["version"], kCapacityReportVersion);
  EXPECT_EQ(report["kind"], "metricsd-capacity-report");
  EXPECT_EQ(report["result"]["max_lossless_rate"], 1990);
  EXPECT_EQ(report["result"]["max_lossless_rate_asked"], 2000);
  EXPECT_EQ(report["result"]["stopped_by"], "loss");
  // At the max lossless step: 1 CPU second over its 20000 lines received.
  EXPECT_NEAR(report["result"]["cpu_seconds_per_million_lines"].get<double>(), 1.0 / 20000 * 1e6, 1e-6);
  // Net of 0.01 idle cores over its 10 s.
  EXPECT_NEAR(report["result"]["cpu_seconds_per_million_lines_net"].get<double>(), 0.9 / 20000 * 1e6, 1e-6);
  // Two good steps: no line to fit.
  EXPECT_TRUE(report["result"]["cpu_seconds_per_million_lines_marginal"].is_null());
  EXPECT_EQ(report["result"]["rss_bytes_per_100k_series"], 150e6 / 2000 * 1e5);
  EXPECT_EQ(report["result"]["rss_growth_bytes_per_100k_series"], 100e6 / 2000 * 1e5);
  EXPECT_FALSE(report["result"]["probe_cost"]["measured"].get<bool>());
  EXPECT_EQ(report["steps"].size(), 3u);
  EXPECT_EQ(report["steps"][2]["verdict"], "loss");
  EXPECT_EQ(report["steps"][2]["loss"], 1000);
  EXPECT_FALSE(report["method"].get<std::string>().empty());
  const std::string markdown = CapacityReportMarkdown(report);
  EXPECT_NE(markdown.find("| max lossless rate | 1990 lines/s (step asked 2000) |"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("## Method"), std::string::npos);
  EXPECT_NE(markdown.find("| probe cost | not measured |"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("| 3 | double | 4000 |"), std::string::npos) << markdown;
}

TEST(CapacityReportTest, TheMarginalCostIsTheSlopeOverTheGoodSteps) {
  CapacityOptions options;
  CapacityResult result;
  result.baseline = Reading(0, 0, 50e6, 0, Clock::time_point{});
  // cores = 0.05 + 0.2 per million lines/s, exactly.
  for (double rate : {1e5, 2e5, 4e5, 8e5}) {
    CapacityStep& step = result.steps.emplace_back();
    step.phase = "double";
    step.rate = rate;
    step.run = MeasuredRun(rate, rate, rate * 10, rate * 10, 0.05 + 0.2 * rate / 1e6);
    step.wall_seconds = 10;
    step.cpu_seconds = *step.run.cpu_cores * step.wall_seconds;
  }
  result.max_lossless_rate = result.max_lossless_rate_asked = 8e5;
  const nlohmann::json report = CapacityReportJson(options, result);
  EXPECT_NEAR(report["result"]["cpu_seconds_per_million_lines_marginal"].get<double>(), 0.2, 1e-9);
  EXPECT_NEAR(report["result"]["fixed_cpu_cores"].get<double>(), 0.05, 1e-9);
  // At the top step the fixed part is spread over its lines: (0.05 + 0.16) / 0.8.
  EXPECT_NEAR(report["result"]["cpu_seconds_per_million_lines"].get<double>(), 0.2625, 1e-9);
}

}  // namespace
}  // namespace metricsd::loadgen
