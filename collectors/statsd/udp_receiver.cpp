#include "collectors/statsd/udp_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "collectors/statsd/udp_batch.h"
#include "daemon/core/listen_endpoint.h"

namespace metricsd::statsd {
namespace {

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

int BindSocket(const ListenAddress& address, std::uint16_t port, std::int64_t read_buffer,
               bool reuse_port) {
  net::ip::address ip = ListenIp(address);
  int family = ip.is_v6() ? AF_INET6 : AF_INET;
  int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowErrno("socket");
  int one = 1;
  if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (read_buffer > 0) {
    // SO_RCVBUFFORCE passes net.core.rmem_max when we may (CAP_NET_ADMIN); else the kernel
    // caps SO_RCVBUF at rmem_max.
    int size = static_cast<int>(read_buffer);
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
  }
  sockaddr_storage storage{};
  socklen_t length;
  if (ip.is_v6()) {
    if (NeedsDualStack(address)) {
      int zero = 0;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    auto bytes = ip.to_v6().to_bytes();
    std::memcpy(&in6->sin6_addr, bytes.data(), bytes.size());
    length = sizeof(sockaddr_in6);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    auto bytes = ip.to_v4().to_bytes();
    std::memcpy(&in4->sin_addr, bytes.data(), bytes.size());
    length = sizeof(sockaddr_in);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    ThrowErrno("bind udp " + address.ToString());
  }
  return fd;
}

std::uint16_t BoundPort(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

}  // namespace

UdpReceivers::UdpReceivers(Aggregator& aggregator, const ListenAddress& address, int count,
                           std::int64_t read_buffer, std::shared_ptr<Relay> relay)
    : aggregate_(!relay || relay->aggregate_locally()) {
  try {
    port_ = address.port;
    if (port_ != 0) {
      // SO_REUSEPORT would let a second metricsd (same user) join our port and silently take
      // half the traffic. A plain socket cannot bind a port in use, so try one first.
      ::close(BindSocket(address, port_, 0, false));
    }
    for (int i = 0; i < count; ++i) {
      auto receiver = std::make_unique<Receiver>();
      // The first socket may ask for port 0; the others join the port it got.
      receiver->fd = BindSocket(address, port_, read_buffer, true);
      if (i == 0) port_ = BoundPort(receiver->fd);
      receiver->ingester = std::make_unique<Ingester>(aggregator, aggregator.AddShard());
      if (relay) receiver->relay = relay->NewWriter();
      receivers_.push_back(std::move(receiver));
    }
  } catch (...) {
    for (auto& receiver : receivers_) ::close(receiver->fd);
    throw;
  }
}

UdpReceivers::~UdpReceivers() {
  Stop();
  for (auto& receiver : receivers_) ::close(receiver->fd);
}

void UdpReceivers::Start() {
  for (auto& receiver : receivers_) {
    Receiver* raw = receiver.get();
    receiver->thread = std::thread([this, raw] { Run(*raw); });
  }
}

void UdpReceivers::Stop() {
  if (stopping_.exchange(true)) return;
  for (auto& receiver : receivers_) ::shutdown(receiver->fd, SHUT_RDWR);
  for (auto& receiver : receivers_) {
    if (receiver->thread.joinable()) receiver->thread.join();
  }
}

void UdpReceivers::Run(Receiver& receiver) {
  UdpBatch batch;
  // Stop() shuts the socket down, which wakes a blocked Receive.
  while (!stopping_.load(std::memory_order_relaxed)) {
    int n = batch.Receive(receiver.fd);
    if (n < 0) return;
    if (n > 0) {
      Ingester::Batch lock(*receiver.ingester);
      ShardStats& stats = receiver.ingester->stats();
      stats.udp_packets += static_cast<std::uint64_t>(n);
      for (int i = 0; i < n; ++i) {
        std::string_view datagram = batch.Datagram(i);
        if (aggregate_) receiver.ingester->Lines(datagram);
        if (receiver.relay) {
          std::size_t lines = receiver.relay->Lines(datagram).lines;
          if (!aggregate_) stats.lines += lines;  // relay-only: still lines received
        }
      }
    }
    // The relay's batches leave once per receive batch: no latency beyond it.
    if (n > 0 && receiver.relay) receiver.relay->Flush();
    batch.Pace(n);
  }
}

std::int64_t UdpReceivers::granted_read_buffer() const {
  int size = 0;
  socklen_t length = sizeof size;
  if (receivers_.empty() || ::getsockopt(receivers_[0]->fd, SOL_SOCKET, SO_RCVBUF, &size, &length) != 0) return 0;
  return size;
}

std::vector<std::uint64_t> UdpReceivers::SocketInodes() const {
  std::vector<std::uint64_t> inodes;
  for (const auto& receiver : receivers_) {
    struct stat st {};
    if (::fstat(receiver->fd, &st) == 0) inodes.push_back(st.st_ino);
  }
  return inodes;
}

std::uint64_t UdpKernelDrops(const std::string& procfs, const std::vector<std::uint64_t>& inodes) {
  std::uint64_t drops = 0;
  for (const char* file : {"/net/udp", "/net/udp6"}) {
    std::ifstream in(procfs + file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
      std::istringstream fields(line);
      std::string field;
      std::uint64_t inode = 0, dropped = 0;
      for (int column = 0; fields >> field; ++column) {
        if (column == 9) inode = std::strtoull(field.c_str(), nullptr, 10);
        if (column == 12) dropped = std::strtoull(field.c_str(), nullptr, 10);
      }
      if (std::find(inodes.begin(), inodes.end(), inode) != inodes.end()) drops += dropped;
    }
  }
  return drops;
}

}  // namespace metricsd::statsd
