// StatsD relay mode: the series key (name + tags, tag order and dialect free), rendezvous
// hashing (even spread, a dead destination's share and only it moves, and returns), the
// `statsd.relay` config's errors, and a Relay over real sockets on 127.0.0.1: batching into
// datagrams, per-series placement, tcp connect health checks marking a destination down and
// up again, a refused udp datagram re-routed, and the counters.
#include "collectors/statsd/relay.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/statsd/relay_hash.h"
#include "collectors/statsd/statsd_config.h"
#include "collectors/statsd/statsd_service.h"
#include "daemon/core/family_builder.h"
#include "tests/unit/support/config_error_of.h"

namespace metricsd::statsd {
namespace {

using namespace std::chrono_literals;

std::uint64_t Key(std::string_view line) {
  ParsedLine scratch;
  return SeriesKey(line, ParseOptions{}, scratch);
}

TEST(RelayHashTest, KeyIgnoresTagOrderValuesAndDialect) {
  std::uint64_t key = Key("game.kills:1|c|#zone:eu,map:dust,mode:ranked");
  EXPECT_EQ(Key("game.kills:5|c|#map:dust,mode:ranked,zone:eu"), key);
  EXPECT_EQ(Key("game.kills:7|c|@0.5|#mode:ranked,zone:eu,map:dust"), key);
  // The same identity in another tag dialect is the same series to the aggregator.
  EXPECT_EQ(Key("game.kills,mode=ranked,zone=eu,map=dust:2|c"), key);
  EXPECT_EQ(Key("game.kills#zone=eu,map=dust,mode=ranked:3|c"), key);
  EXPECT_EQ(Key("game.kills[map=dust,zone=eu,mode=ranked]:3|c"), key);
  // A repeated tag keeps its last value, as the aggregator does.
  EXPECT_EQ(Key("game.kills:1|c|#zone:us,map:dust,mode:ranked,zone:eu"), key);

  EXPECT_NE(Key("game.kills:1|c|#zone:us,map:dust,mode:ranked"), key);
  EXPECT_NE(Key("game.kills:1|c|#zone:eu,map:dust"), key);
  EXPECT_NE(Key("game.deaths:1|c|#zone:eu,map:dust,mode:ranked"), key);
  EXPECT_NE(Key("game.kills:1|c"), key);
  // Where the name/value boundary of a tag lies matters.
  EXPECT_NE(Key("m:1|c|#ab:c"), Key("m:1|c|#a:bc"));
  // Swapping values between tags is another series.
  EXPECT_NE(Key("m:1|c|#a:x,b:y"), Key("m:1|c|#a:y,b:x"));
}

TEST(RelayHashTest, MalformedLinesEventsAndStabilityHashDeterministically) {
  EXPECT_EQ(Key("no_colon_here"), Key("no_colon_here"));
  EXPECT_EQ(Key("bad:abc|c"), Key("bad:def|c"));  // rejected values: the name decides
  EXPECT_EQ(Key("_e{5,4}:title|text"), Key("_e{5,4}:title|text"));
  EXPECT_NE(Key("_e{5,4}:title|text"), Key("_e{5,4}:title|txet"));
  // Stable across processes and builds: pinned values (little-endian).
  EXPECT_EQ(Hash64("", 0), Mix64(0));
  EXPECT_EQ(Hash64("abc", 1), Hash64("abc", 1));
  EXPECT_NE(Hash64("abc", 1), Hash64("abc", 2));
  EXPECT_NE(Hash64("abcdefgh", 0), Hash64("abcdefgi", 0));
  EXPECT_NE(Hash64("abcdefgh1", 0), Hash64("abcdefgh2", 0));
}

std::vector<std::uint64_t> Seeds(const std::vector<std::string>& addresses) {
  std::vector<std::uint64_t> seeds;
  for (const auto& address : addresses) seeds.push_back(DestinationSeed(address));
  return seeds;
}

TEST(RendezvousTest, SpreadsEvenlyMovesOnlyTheDeadShareAndReturnsIt) {
  std::vector<std::string> addresses = {"udp://10.0.0.1:9125", "udp://10.0.0.2:9125",
                                        "udp://10.0.0.3:9125", "udp://10.0.0.4:9125"};
  std::vector<std::uint64_t> seeds = Seeds(addresses);
  constexpr int kKeys = 40000;
  std::vector<int> before(kKeys);
  std::vector<int> count(4);
  for (int k = 0; k < kKeys; ++k) {
    RendezvousPick pick = PickDestination(Key("series." + std::to_string(k) + ":1|c"), seeds, 0b1111);
    ASSERT_EQ(pick.chosen, pick.home);
    before[k] = pick.chosen;
    ++count[pick.chosen];
  }
  for (int c : count) {
    EXPECT_GT(c, kKeys / 4 * 0.9);
    EXPECT_LT(c, kKeys / 4 * 1.1);
  }
  // Destination 2 dies: only its keys move, spread over all three others.
  std::vector<int> inherited(4);
  for (int k = 0; k < kKeys; ++k) {
    RendezvousPick pick = PickDestination(Key("series." + std::to_string(k) + ":1|c"), seeds, 0b1011);
    EXPECT_EQ(pick.home, before[k]);
    if (before[k] != 2) {
      EXPECT_EQ(pick.chosen, before[k]);
    } else {
      EXPECT_NE(pick.chosen, 2);
      ++inherited[pick.chosen];
    }
  }
  for (int d : {0, 1, 3}) {
    EXPECT_GT(inherited[d], count[2] / 3 * 0.8) << d;
    EXPECT_LT(inherited[d], count[2] / 3 * 1.2) << d;
  }
  // Back up: everything is where it was.
  for (int k = 0; k < kKeys; ++k) {
    EXPECT_EQ(PickDestination(Key("series." + std::to_string(k) + ":1|c"), seeds, 0b1111).chosen, before[k]);
  }
  // Nothing up: no choice, the home still known (the drop is counted against it).
  RendezvousPick none = PickDestination(Key("series.1:1|c"), seeds, 0);
  EXPECT_EQ(none.chosen, -1);
  EXPECT_EQ(none.home, before[1]);
}

TEST(RendezvousTest, ChoiceDependsOnAddressesNotTheirOrder) {
  std::vector<std::string> addresses = {"udp://a:1", "tcp://b:2", "udp://c:3"};
  std::vector<std::string> reversed(addresses.rbegin(), addresses.rend());
  std::vector<std::uint64_t> seeds = Seeds(addresses), reversed_seeds = Seeds(reversed);
  for (int k = 0; k < 1000; ++k) {
    std::uint64_t key = Key("m" + std::to_string(k) + ":1|c");
    int chosen = PickDestination(key, seeds, 0b111).chosen;
    int chosen_reversed = PickDestination(key, reversed_seeds, 0b111).chosen;
    EXPECT_EQ(addresses[chosen], reversed[chosen_reversed]);
  }
}

RelayConfig ParseRelay(const std::string& yaml) {
  return ParseStatsdConfig(ParseYaml(yaml, "m.yaml")).relay;
}

TEST(RelayConfigTest, ParsesDestinationsAndDefaults) {
  RelayConfig relay = ParseRelay(R"(
relay:
  destinations:
    - address: udp://127.0.0.1:9125
      health_url: http://127.0.0.1:9102/-/healthy
    - address: tcp://[::1]:9125
    - address: udp://aggregator-3.example:8125
  aggregate_locally: true
)");
  ASSERT_EQ(relay.destinations.size(), 3u);
  EXPECT_EQ(relay.destinations[0].protocol, RelayDestination::Protocol::kUdp);
  EXPECT_EQ(relay.destinations[0].host, "127.0.0.1");
  EXPECT_EQ(relay.destinations[0].port, 9125);
  EXPECT_EQ(relay.destinations[0].health_url, "http://127.0.0.1:9102/-/healthy");
  EXPECT_EQ(relay.destinations[1].protocol, RelayDestination::Protocol::kTcp);
  EXPECT_EQ(relay.destinations[1].host, "::1");
  EXPECT_EQ(relay.destinations[2].host, "aggregator-3.example");
  EXPECT_TRUE(relay.aggregate_locally);
  EXPECT_EQ(relay.health_check_interval, 2s);
  EXPECT_EQ(relay.unhealthy_after, 2);
  EXPECT_EQ(relay.max_packet_size, 1432u);
  EXPECT_FALSE(ParseRelay("{}").enabled());
  EXPECT_TRUE(relay == relay);
  EXPECT_FALSE(relay == ParseRelay("{}"));
}

// The shipped example parses, and its effective config (as /api/v1/status/config renders it)
// loads back the same.
TEST(RelayConfigTest, ExampleLoadsAndItsEffectiveConfigLoadsBackTheSame) {
  std::string path = std::string(METRICSD_SOURCE_DIR) + "/config/examples/statsd-relay.yaml";
  ConfigNode root = ParseYaml(ReadConfigFile(path), path);
  StatsdConfig first = ParseStatsdConfig(root["statsd"]);
  ASSERT_EQ(first.relay.destinations.size(), 3u);
  EXPECT_EQ(first.relay.destinations[2].protocol, RelayDestination::Protocol::kTcp);
  EXPECT_TRUE(first.relay.destinations[2].health_url.empty());
  std::string rendered = first.ToJson().dump();  // JSON is YAML
  StatsdConfig second = ParseStatsdConfig(ParseYaml(rendered, "effective.yaml"));
  EXPECT_EQ(second.ToJson(), first.ToJson());
  EXPECT_TRUE(second.relay == first.relay);
}

TEST(RelayConfigTest, ErrorsNameFileLineAndColumn) {
  auto error = [](const std::string& yaml) { return ConfigErrorOf([&] { ParseRelay(yaml); }); };
  EXPECT_EQ(error("relay: {destinations: [{address: 'http://x:1'}]}"),
            "m.yaml:1:34: relay.destinations[0].address: expected udp://HOST:PORT or tcp://HOST:PORT "
            "(port 1-65535, IPv6 as [::1]), got \"http://x:1\"");
  EXPECT_NE(error("relay: {destinations: [{address: 'udp://x:0'}]}"), "");
  EXPECT_NE(error("relay: {destinations: [{address: 'udp://::1:80'}]}"), "");
  EXPECT_NE(error("relay: {destinations: [{address: 'udp://x'}]}"), "");
  EXPECT_EQ(error("relay: {destinations: [{health_url: 'http://x/'}]}"),
            "m.yaml:1:24: relay.destinations[0]: a destination needs an address: udp://HOST:PORT "
            "or tcp://HOST:PORT");
  EXPECT_EQ(error("relay: {destinations: [{address: 'udp://a:1'}, {address: 'udp://a:1'}]}"),
            "m.yaml:1:48: relay.destinations[1]: duplicate destination udp://a:1");
  EXPECT_EQ(error("relay: {destinations: [{address: 'udp://a:1', health_url: 'ftp://a/'}]}"),
            "m.yaml:1:59: relay.destinations[0].health_url: expected an http:// or https:// URL, got "
            "\"ftp://a/\"");
  EXPECT_EQ(error("relay: {health_check_interval: 1s, health_check_timeout: 2s}"),
            "m.yaml:1:58: relay.health_check_timeout: health_check_timeout (2s) must not exceed "
            "health_check_interval (1s)");
  EXPECT_NE(error("relay: {unhealthy_after: 0}"), "");
  EXPECT_NE(error("relay: {max_packet_size: 70000}"), "");
}

// A UDP socket on 127.0.0.1 that collects what arrives.
class UdpSink {
 public:
  UdpSink() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int size = 8 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    timeval timeout{0, 200000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~UdpSink() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::uint16_t port() const { return port_; }
  // Every datagram until none arrives for 200 ms.
  std::vector<std::string> Drain() {
    std::vector<std::string> datagrams;
    char buffer[65536];
    while (true) {
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n < 0) break;
      datagrams.emplace_back(buffer, static_cast<std::size_t>(n));
    }
    return datagrams;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

std::vector<std::string> SplitLines(const std::string& datagram) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= datagram.size()) {
    std::size_t end = datagram.find('\n', start);
    if (end == std::string::npos) end = datagram.size();
    if (end > start) lines.push_back(datagram.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

RelayDestination Destination(const std::string& address, const std::string& health_url = "") {
  RelayDestination destination;
  EXPECT_TRUE(ParseRelayAddress(address, destination)) << address;
  destination.health_url = health_url;
  return destination;
}

std::map<std::string, double> Families(Relay& relay) {
  std::map<std::string, double> out;
  for (const auto& family : CollectFamilies(*relay.MetricsSource())) {
    for (const auto& metric : family.metric) {
      std::string key = family.name + "{";
      for (const auto& label : metric.label) key += label.name + "=" + label.value + ",";
      key += "}";
      out[key] = family.type == prometheus::MetricType::Gauge ? metric.gauge.value : metric.counter.value;
    }
  }
  return out;
}

TEST(RelayTest, EachSeriesLandsOnOneDestinationInBatchedDatagrams) {
  UdpSink sinks[3];
  RelayConfig config;
  for (auto& sink : sinks) config.destinations.push_back(Destination("udp://127.0.0.1:" + std::to_string(sink.port())));
  config.max_packet_size = 200;
  net::io_context ioc;
  auto relay = Relay::Create(ioc, config, ParseOptions{});
  auto writer = relay->NewWriter();
  constexpr int kSeries = 60, kRounds = 20;
  std::size_t relayed = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::string buffer;
    for (int s = 0; s < kSeries; ++s) {
      // Tag order varies by round; the series does not.
      buffer += "game.hits:1|c|#" + std::string(round % 2 ? "zone:eu,player:p" : "player:p") +
                std::to_string(s) + (round % 2 ? "" : ",zone:eu") + "\n";
    }
    relayed += writer->Lines(buffer).relayed;
    writer->Flush();
  }
  EXPECT_EQ(relayed, std::size_t{kSeries * kRounds});
  std::map<std::string, std::set<int>> where;  // player -> sinks
  std::size_t received = 0;
  for (int d = 0; d < 3; ++d) {
    std::vector<std::string> datagrams = sinks[d].Drain();
    EXPECT_FALSE(datagrams.empty()) << "destination " << d << " got nothing";
    for (const std::string& datagram : datagrams) {
      EXPECT_LE(datagram.size(), 200u);
      EXPECT_NE(datagram.back(), '\n');
      for (const std::string& line : SplitLines(datagram)) {
        std::size_t at = line.find("player:");
        ASSERT_NE(at, std::string::npos) << line;
        std::string player = line.substr(at + 7, line.find_first_of(",", at) - at - 7);
        where[player].insert(d);
        ++received;
      }
    }
  }
  EXPECT_EQ(received, std::size_t{kSeries * kRounds});
  EXPECT_EQ(where.size(), std::size_t{kSeries});
  for (const auto& [player, destinations] : where) EXPECT_EQ(destinations.size(), 1u) << player;
  std::map<std::string, double> families = Families(*relay);
  double lines = 0;
  for (auto& sink : sinks) {
    std::string destination = "destination=udp://127.0.0.1:" + std::to_string(sink.port()) + ",";
    lines += families["metricsd_statsd_relay_lines_total{" + destination + "}"];
    EXPECT_EQ(families["metricsd_statsd_relay_destination_up{" + destination + "}"], 1);
  }
  EXPECT_EQ(lines, kSeries * kRounds);
}

TEST(RelayTest, RefusedDatagramMarksDownAndIsReRouted) {
  UdpSink alive;
  std::uint16_t dead_port;
  {
    UdpSink dead;
    dead_port = dead.port();
  }
  RelayConfig config;
  // A health_url makes the dead one "checked", so a refusal may mark it down (checks never
  // run here: Start() is not called).
  config.destinations.push_back(Destination("udp://127.0.0.1:" + std::to_string(alive.port()),
                                            "http://127.0.0.1:1/-/healthy"));
  config.destinations.push_back(Destination("udp://127.0.0.1:" + std::to_string(dead_port),
                                            "http://127.0.0.1:1/-/healthy"));
  net::io_context ioc;
  auto relay = Relay::Create(ioc, config, ParseOptions{});
  auto writer = relay->NewWriter();
  constexpr int kRounds = 10, kSeries = 40;
  for (int round = 0; round < kRounds; ++round) {
    std::string buffer;
    for (int s = 0; s < kSeries; ++s) buffer += "m" + std::to_string(s) + ":1|c\n";
    writer->Lines(buffer);
    writer->Flush();
    std::this_thread::sleep_for(5ms);  // lets the ICMP refusal come back
  }
  EXPECT_EQ(relay->up_mask(), 0b01u);
  RelayCounts dead = relay->Counts(1), live = relay->Counts(0);
  EXPECT_FALSE(dead.up);
  EXPECT_GT(dead.rerouted, 0u);
  std::size_t received = 0;
  for (const std::string& datagram : alive.Drain()) received += SplitLines(datagram).size();
  EXPECT_EQ(received, live.lines);
  // Lost: only what the dead one took before its refusal came back (one datagram here).
  EXPECT_EQ(live.lines + dead.lines, std::size_t{kRounds * kSeries});
  EXPECT_LE(dead.lines, std::size_t{kSeries});
  std::printf("FIGURE relay_refused_lines_lost %llu\n", static_cast<unsigned long long>(dead.lines));
}

TEST(RelayTest, TcpDestinationCheckedByConnectGoesDownAndComesBack) {
  net::io_context ioc;
  auto guard = net::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });
  auto acceptor = std::make_unique<net::ip::tcp::acceptor>(
      ioc, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  std::uint16_t port = acceptor->local_endpoint().port();
  // The server side: accepts and reads lines until told to stop.
  std::atomic<std::size_t> tcp_lines{0};
  std::vector<std::shared_ptr<net::ip::tcp::socket>> peers;
  std::function<void()> accept = [&] {
    acceptor->async_accept([&](const boost::system::error_code& ec, net::ip::tcp::socket socket) {
      if (ec) return;
      auto peer = std::make_shared<net::ip::tcp::socket>(std::move(socket));
      peers.push_back(peer);
      auto buffer = std::make_shared<std::array<char, 4096>>();
      // The pending read's handler owns the loop; the loop itself holds only a weak reference
      // (a self-owning std::function would be a cycle LeakSanitizer reports).
      auto read = std::make_shared<std::function<void()>>();
      std::weak_ptr<std::function<void()>> weak_read = read;
      *read = [peer, buffer, weak_read, &tcp_lines] {
        peer->async_read_some(net::buffer(*buffer), [peer, buffer, read = weak_read.lock(), &tcp_lines](
                                                        const boost::system::error_code& error, std::size_t n) {
          if (error) return;
          for (std::size_t i = 0; i < n; ++i) tcp_lines += (*buffer)[i] == '\n';
          (*read)();
        });
      };
      (*read)();
      accept();
    });
  };
  net::post(ioc, accept);

  UdpSink other;
  RelayConfig config;
  config.destinations.push_back(Destination("tcp://127.0.0.1:" + std::to_string(port)));
  config.destinations.push_back(Destination("udp://127.0.0.1:" + std::to_string(other.port())));
  config.health_check_interval = 100ms;
  config.health_check_timeout = 100ms;
  config.unhealthy_after = 2;
  auto relay = Relay::Create(ioc, config, ParseOptions{});
  relay->Start();
  auto wait_for = [](auto condition) {
    for (int i = 0; i < 200 && !condition(); ++i) std::this_thread::sleep_for(20ms);
    return condition();
  };
  ASSERT_TRUE(wait_for([&] { return relay->Counts(0).checks_ok > 0; }));
  auto writer = relay->NewWriter();
  auto send_round = [&] {
    std::string buffer;
    for (int s = 0; s < 50; ++s) buffer += "t" + std::to_string(s) + ":1|c\n";
    writer->Lines(buffer);
    writer->Flush();
  };
  send_round();
  ASSERT_TRUE(wait_for([&] { return relay->Counts(0).lines > 0 && tcp_lines == relay->Counts(0).lines; }));
  std::size_t tcp_share = relay->Counts(0).lines;
  EXPECT_GT(tcp_share, 5u);
  EXPECT_LT(tcp_share, 45u);

  // The aggregator goes away: connection closed, no new connection accepted.
  net::post(ioc, [&] {
    acceptor->close();
    for (auto& peer : peers) peer->close();
  });
  ASSERT_TRUE(wait_for([&] { return !relay->Counts(0).up; }));
  std::size_t udp_before = relay->Counts(1).lines;
  send_round();
  EXPECT_EQ(relay->Counts(1).lines - udp_before, 50u);  // every line went to the other one
  EXPECT_EQ(relay->Counts(0).rerouted, tcp_share);
  // Its checks (connects) fail while it is away.
  EXPECT_TRUE(wait_for([&] { return relay->Counts(0).checks_failed >= 2; }));
  EXPECT_FALSE(relay->Counts(0).up);

  // It comes back on the same port: after one good check, its share returns.
  net::post(ioc, [&] {
    acceptor = std::make_unique<net::ip::tcp::acceptor>(
        ioc, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    accept();
  });
  ASSERT_TRUE(wait_for([&] { return relay->Counts(0).up; }));
  std::size_t tcp_before = relay->Counts(0).lines;
  send_round();
  ASSERT_TRUE(wait_for([&] { return relay->Counts(0).lines - tcp_before == tcp_share; }));
  std::map<std::string, double> families = Families(*relay);
  std::string destination = "destination=tcp://127.0.0.1:" + std::to_string(port) + ",";
  EXPECT_EQ(families["metricsd_statsd_relay_destination_up{" + destination + "}"], 1);
  EXPECT_GT(families["metricsd_statsd_relay_health_checks_total{" + destination + "result=failure,}"], 0);
  EXPECT_EQ(families["metricsd_statsd_relay_rerouted_lines_total{" + destination + "}"], tcp_share);

  relay->Stop();
  writer.reset();
  net::post(ioc, [&] { acceptor->close(); for (auto& peer : peers) peer->close(); });
  guard.reset();
  ioc.stop();
  io.join();
}

TEST(RelayTest, NoDestinationUpIsCountedAgainstTheHome) {
  RelayConfig config;
  config.destinations.push_back(Destination("udp://127.0.0.1:9", "http://127.0.0.1:1/"));
  net::io_context ioc;
  auto relay = Relay::Create(ioc, config, ParseOptions{});
  auto writer = relay->NewWriter();
  // Mark it down through a refused send (port 9, discard, is closed on test machines), then
  // everything counts as no_destination.
  for (int i = 0; i < 20 && relay->up_mask() != 0; ++i) {
    writer->Lines("a:1|c");
    writer->Flush();
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(relay->up_mask(), 0u);
  // The refused batch itself was re-routed, to nowhere: counted already.
  std::uint64_t before = relay->Counts(0).dropped[static_cast<std::size_t>(RelayDrop::kNoDestination)];
  EXPECT_GE(before, 1u);
  EXPECT_EQ(writer->Lines("a:1|c\nb:2|c\n" + std::string(10, 'x')).relayed, 0u);
  EXPECT_EQ(relay->Counts(0).dropped[static_cast<std::size_t>(RelayDrop::kNoDestination)] - before, 3u);
}

TEST(RelayTest, LongLinesAreDroppedAndCounted) {
  UdpSink sink;
  RelayConfig config;
  config.destinations.push_back(Destination("udp://127.0.0.1:" + std::to_string(sink.port())));
  config.max_packet_size = 64;
  net::io_context ioc;
  auto relay = Relay::Create(ioc, config, ParseOptions{});
  auto writer = relay->NewWriter();
  RelayWriter::Counts counts = writer->Lines("short:1|c\n" + std::string(100, 'a') + ":1|c\n\n");
  EXPECT_EQ(counts.lines, 2u);
  EXPECT_EQ(counts.relayed, 1u);
  writer->Flush();
  EXPECT_EQ(relay->Counts(0).dropped[static_cast<std::size_t>(RelayDrop::kLineTooLong)], 1u);
  EXPECT_EQ(sink.Drain(), std::vector<std::string>{"short:1|c"});
}

// The service's hooks: lines from UDP, TCP and HTTP reach the relay; aggregate_locally decides
// whether they are aggregated here too.
class RelayServiceTest : public ::testing::TestWithParam<bool> {};

TEST_P(RelayServiceTest, EveryTransportIsRelayedAndAggregatedOnlyWhenAsked) {
  bool aggregate_locally = GetParam();
  UdpSink sink;
  StatsdConfig config = ParseStatsdConfig(ParseYaml(
      "listeners: [{udp: '127.0.0.1:0'}, {tcp: '127.0.0.1:0'}]\n"
      "receivers: 2\n"
      "relay:\n"
      "  destinations: [{address: 'udp://127.0.0.1:" + std::to_string(sink.port()) + "'}]\n"
      "  aggregate_locally: " + (aggregate_locally ? "true" : "false") + "\n",
      "m.yaml"));
  net::io_context ioc;
  auto guard = net::make_work_guard(ioc);
  StatsdService service(ioc, config, "/proc");
  service.Start();
  std::thread io([&] { ioc.run(); });
  auto port_of = [&](std::string_view kind) {
    for (const std::string& listener : service.BoundListeners()) {
      if (listener.starts_with(kind)) return static_cast<std::uint16_t>(std::stoi(listener.substr(listener.rfind(':') + 1)));
    }
    return std::uint16_t{0};
  };
  net::ip::udp::endpoint udp(net::ip::make_address("127.0.0.1"), port_of("udp"));
  net::ip::tcp::endpoint tcp(net::ip::make_address("127.0.0.1"), port_of("tcp"));
  {
    net::io_context client;
    net::ip::udp::socket udp_socket(client, net::ip::udp::v4());
    udp_socket.send_to(net::buffer(std::string("udp.hits:1|c|#b:2,a:1")), udp);
    net::ip::tcp::socket tcp_socket(client);
    tcp_socket.connect(tcp);
    net::write(tcp_socket, net::buffer(std::string("tcp.hits:2|c\n")));
  }
  EXPECT_EQ(service.IngestHttp("http.hits:3|c\n").accepted, 1u);
  std::multiset<std::string> lines;
  for (int i = 0; i < 50 && lines.size() < 3; ++i) {
    for (const std::string& datagram : sink.Drain()) {
      for (const std::string& line : SplitLines(datagram)) lines.insert(line);
    }
  }
  EXPECT_EQ(lines, (std::multiset<std::string>{"http.hits:3|c", "tcp.hits:2|c", "udp.hits:1|c|#b:2,a:1"}));
  std::set<std::string> families;
  for (int i = 0; i < 100; ++i) {
    families.clear();
    for (const auto& family : CollectFamilies(*service.Sources()[0])) families.insert(family.name);
    if (!aggregate_locally || families.size() == 3) break;
    std::this_thread::sleep_for(20ms);
  }
  if (aggregate_locally) {
    EXPECT_EQ(families, (std::set<std::string>{"http_hits", "tcp_hits", "udp_hits"}));
  } else {
    EXPECT_TRUE(families.empty());
  }
  // Relay-only or not, the lines were received (what loadgen's loss reading counts).
  double received = 0;
  for (const auto& family : CollectFamilies(*service.Sources()[1])) {
    if (family.name == "metricsd_statsd_lines_total") received = family.metric.at(0).counter.value;
  }
  EXPECT_EQ(received, 3);
  std::vector<std::shared_ptr<const Source>> sources = service.Sources();
  ASSERT_EQ(sources.size(), 3u);
  double relayed = 0;
  for (const auto& family : CollectFamilies(*sources[2])) {
    if (family.name == "metricsd_statsd_relay_lines_total") relayed = family.metric.at(0).counter.value;
  }
  EXPECT_EQ(relayed, 3);
  service.Stop();
  guard.reset();
  ioc.stop();
  io.join();
}

INSTANTIATE_TEST_SUITE_P(AggregateLocally, RelayServiceTest, ::testing::Bool());

// Not a timing assertion: prints the routing throughput of one writer (parse, hash, pick,
// batch, send) over three udp destinations on loopback.
TEST(RelayTest, Throughput) {
  UdpSink sinks[3];
  RelayConfig config;
  for (auto& sink : sinks) config.destinations.push_back(Destination("udp://127.0.0.1:" + std::to_string(sink.port())));
  net::io_context ioc;
  auto relay = Relay::Create(ioc, config, ParseOptions{});
  auto writer = relay->NewWriter();
  std::vector<std::string> datagrams;
  for (int d = 0; d < 100; ++d) {
    std::string datagram;
    for (int l = 0; l < 20; ++l) {
      int s = d * 20 + l;
      datagram += "game.battle.damage:" + std::to_string(s % 97) + "|c|#zone:z" + std::to_string(s % 7) +
                  ",player:p" + std::to_string(s) + ",map:dust\n";
    }
    datagrams.push_back(std::move(datagram));
  }
  constexpr int kPasses = 50;
  auto start = std::chrono::steady_clock::now();
  std::size_t lines = 0;
  for (int pass = 0; pass < kPasses; ++pass) {
    for (const std::string& datagram : datagrams) lines += writer->Lines(datagram).relayed;
    writer->Flush();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(lines, std::size_t{kPasses * 2000});
  std::printf("FIGURE relay_lines_per_second_one_writer %.0f\n", static_cast<double>(lines) / seconds);
}

}  // namespace
}  // namespace metricsd::statsd
