// StatsD load over loopback UDP, bounded by count and time, for tests/bench/compare_statsd.py.
//
//   statsd_load send --port P [--rate LINES_PER_S (0 = flat out)] [--seconds S] [--lines N]
//                    [--per-packet L] [--type c|g|ms|mix] [--tags] [--names D] [--sockets K]
//   statsd_load sink --port P [--seconds S] [--receivers N (default: one per core)]
//
// `send` uses sendmmsg from K sockets (K flows, so SO_REUSEPORT can spread them), stops at
// `--lines` or `--seconds`, whichever comes first, and prints {"lines_sent": ...}. `sink` is
// the null receiver: a recvmmsg loop that only counts lines, the machine's limit; it prints
// {"lines": ..., "seconds": ...}. It receives exactly as metricsd's UDP receivers do (as many
// SO_REUSEPORT sockets and threads as metricsd's default statsd.receivers, the same batch,
// slot layout and rate-sized coalescing wait as collectors/statsd/udp_receiver.cpp: keep them
// in step), so its CPU per line is the floor metricsd's receive path is held to.
// Only 127.0.0.1 is ever addressed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "collectors/statsd/udp_batch.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  int port = 0;
  double rate = 0;
  double seconds = 5;
  long long lines = 0;  // 0: unbounded (time only)
  int per_packet = 20;
  std::string type = "c";
  bool tags = false;
  int names = 100;
  int sockets = 4;
  int receivers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

Options Parse(int argc, char** argv) {
  Options o;
  if (argc < 2) {
    std::fprintf(stderr, "usage: statsd_load send|sink --port P ...\n");
    std::exit(2);
  }
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) { std::fprintf(stderr, "%s needs a value\n", argv[i]); std::exit(2); }
      return std::string(argv[++i]);
    };
    if (a == "--port") o.port = std::atoi(next().c_str());
    else if (a == "--rate") o.rate = std::atof(next().c_str());
    else if (a == "--seconds") o.seconds = std::atof(next().c_str());
    else if (a == "--lines") o.lines = std::atoll(next().c_str());
    else if (a == "--per-packet") o.per_packet = std::max(1, std::atoi(next().c_str()));
    else if (a == "--type") o.type = next();
    else if (a == "--tags") o.tags = true;
    else if (a == "--names") o.names = std::max(1, std::atoi(next().c_str()));
    else if (a == "--sockets") o.sockets = std::max(1, std::atoi(next().c_str()));
    else if (a == "--receivers") o.receivers = std::max(1, std::atoi(next().c_str()));
    else { std::fprintf(stderr, "unknown option %s\n", argv[i]); std::exit(2); }
  }
  if (o.port <= 0 || o.port > 65535) { std::fprintf(stderr, "--port is required\n"); std::exit(2); }
  return o;
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

std::string Line(const Options& o, long long i) {
  long long n = i % o.names;
  std::string type = o.type;
  if (type == "mix") type = i % 3 == 0 ? "c" : i % 3 == 1 ? "g" : "ms";
  std::string line = "load." + type + "." + std::to_string(n) + ":";
  line += type == "ms" ? std::to_string(i % 1000) + ".5" : "1";
  line += "|" + type;
  if (o.tags) line += "|#region:eu,shard:" + std::to_string(i % 4);
  return line;
}

int Send(const Options& o) {
  // Packets cycle over a pre-built set covering every name at least once.
  long long distinct = std::max<long long>(o.names, 20000);
  std::vector<std::string> packets;
  std::string packet;
  for (long long i = 0; i < distinct; ++i) {
    packet += Line(o, i);
    if ((i + 1) % o.per_packet == 0) {
      packets.push_back(packet);
      packet.clear();
    } else {
      packet += '\n';
    }
  }
  if (packets.empty()) packets.push_back(packet.substr(0, packet.size() - 1));

  std::vector<int> fds;
  for (int k = 0; k < o.sockets; ++k) {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    int size = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    sockaddr_in to = Loopback(o.port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) { std::perror("connect"); return 1; }
    fds.push_back(fd);
  }
  constexpr unsigned kBatch = 32;
  std::vector<mmsghdr> messages(kBatch);
  std::vector<iovec> iovecs(kBatch);
  long long sent_lines = 0, sent_packets = 0, errors = 0;
  std::size_t next = 0;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  while (true) {
    auto now = Clock::now();
    if (now >= deadline || (o.lines > 0 && sent_lines >= o.lines)) break;
    unsigned batch = kBatch;
    if (o.rate > 0) {
      double due = o.rate * std::chrono::duration<double>(now - start).count();
      long long owed_packets = static_cast<long long>((due - static_cast<double>(sent_lines)) / o.per_packet);
      if (owed_packets <= 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      batch = static_cast<unsigned>(std::min<long long>(owed_packets, kBatch));
    }
    for (unsigned i = 0; i < batch; ++i) {
      std::string& p = packets[(next + i) % packets.size()];
      iovecs[i] = {p.data(), p.size()};
      messages[i] = {};
      messages[i].msg_hdr.msg_iov = &iovecs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    int fd = fds[static_cast<std::size_t>(sent_packets / kBatch) % fds.size()];
    int n = ::sendmmsg(fd, messages.data(), batch, 0);
    if (n <= 0) { ++errors; continue; }
    next = (next + static_cast<std::size_t>(n)) % packets.size();
    sent_packets += n;
    sent_lines += static_cast<long long>(n) * o.per_packet;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"lines_sent\": %lld, \"packets_sent\": %lld, \"seconds\": %.3f, \"send_errors\": %lld}\n",
              sent_lines, sent_packets, elapsed, errors);
  for (int fd : fds) ::close(fd);
  return 0;
}

// What one sink receiver saw.
struct SinkCount {
  long long lines = 0;
  Clock::time_point first{}, last{};
};

// One receiver's loop until `end`: the loop of UdpReceivers::Run with the parse replaced by
// a line count.
SinkCount SinkReceive(int fd, Clock::time_point end) {
  metricsd::statsd::UdpBatch batch;
  SinkCount count;
  while (Clock::now() < end) {
    int n = std::max(batch.Receive(fd), 0);  // 0 also for the receive timeout
    if (n > 0 && count.lines == 0) count.first = Clock::now();
    for (int i = 0; i < n; ++i) {
      std::string_view datagram = batch.Datagram(i);
      count.lines += 1 + std::count(datagram.begin(), datagram.end(), '\n');
    }
    if (n > 0) count.last = Clock::now();
    batch.Pace(n);
  }
  return count;
}

int Sink(const Options& o) {
  std::vector<int> fds;
  for (int r = 0; r < o.receivers; ++r) {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    int size = 16 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    timeval timeout{0, 100000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr = Loopback(o.port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) { std::perror("bind"); return 1; }
    fds.push_back(fd);
  }
  std::printf("{\"ready\": true}\n");
  std::fflush(stdout);
  auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<SinkCount> counts(fds.size());
  std::vector<std::thread> threads;
  for (std::size_t r = 0; r < fds.size(); ++r) {
    threads.emplace_back([&counts, &fds, r, end] { counts[r] = SinkReceive(fds[r], end); });
  }
  for (std::thread& thread : threads) thread.join();
  long long lines = 0;
  Clock::time_point first = Clock::time_point::max(), last{};
  for (const SinkCount& count : counts) {
    if (count.lines == 0) continue;
    lines += count.lines;
    first = std::min(first, count.first);
    last = std::max(last, count.last);
  }
  double seconds = lines > 0 ? std::chrono::duration<double>(last - first).count() : 0;
  std::printf("{\"lines\": %lld, \"seconds\": %.3f}\n", lines, seconds);
  for (int fd : fds) ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  if (o.mode == "send") return Send(o);
  if (o.mode == "sink") return Sink(o);
  std::fprintf(stderr, "mode must be send or sink\n");
  return 2;
}
