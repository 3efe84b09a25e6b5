#include "collectors/statsd/udp_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "daemon/core/listen_endpoint.h"

namespace metricsd::statsd {
namespace {

// Datagrams per recvmmsg call, and the largest datagram taken whole (UDP's maximum payload).
// Buffers are virtual memory until written: small packets touch one page each.
constexpr unsigned kBatch = 64;
constexpr std::size_t kDatagramSize = 65536;

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

int BindSocket(const ListenAddress& address, std::uint16_t port, std::int64_t read_buffer) {
  net::ip::address ip = ListenIp(address);
  int family = ip.is_v6() ? AF_INET6 : AF_INET;
  int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowErrno("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (read_buffer > 0) {
    int size = static_cast<int>(read_buffer);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
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
                           std::int64_t read_buffer) {
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) ThrowErrno("eventfd");
  try {
    port_ = address.port;
    for (int i = 0; i < count; ++i) {
      auto receiver = std::make_unique<Receiver>();
      // The first socket may ask for port 0; the others join the port it got.
      receiver->fd = BindSocket(address, port_, read_buffer);
      if (i == 0) port_ = BoundPort(receiver->fd);
      receiver->ingester = std::make_unique<Ingester>(aggregator, aggregator.AddShard());
      receivers_.push_back(std::move(receiver));
    }
  } catch (...) {
    for (auto& receiver : receivers_) ::close(receiver->fd);
    ::close(stop_fd_);
    throw;
  }
}

UdpReceivers::~UdpReceivers() {
  Stop();
  for (auto& receiver : receivers_) ::close(receiver->fd);
  ::close(stop_fd_);
}

void UdpReceivers::Start() {
  for (auto& receiver : receivers_) {
    Receiver* raw = receiver.get();
    receiver->thread = std::thread([this, raw] { Run(*raw); });
  }
}

void UdpReceivers::Stop() {
  if (stopping_.exchange(true)) return;
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t written = ::write(stop_fd_, &one, sizeof one);
  for (auto& receiver : receivers_) {
    if (receiver->thread.joinable()) receiver->thread.join();
  }
}

void UdpReceivers::Run(Receiver& receiver) {
  // Not value-initialised: untouched pages stay out of the resident set.
  std::unique_ptr<char[]> buffers(new char[kBatch * kDatagramSize]);
  std::vector<mmsghdr> messages(kBatch);
  std::vector<iovec> iovecs(kBatch);
  for (unsigned i = 0; i < kBatch; ++i) {
    iovecs[i] = {buffers.get() + i * kDatagramSize, kDatagramSize};
    messages[i].msg_hdr = {};
    messages[i].msg_hdr.msg_iov = &iovecs[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  pollfd fds[2] = {{receiver.fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  while (!stopping_.load(std::memory_order_relaxed)) {
    int n = ::recvmmsg(receiver.fd, messages.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return;
      ::poll(fds, 2, -1);
      continue;
    }
    Ingester::Batch batch(*receiver.ingester);
    ShardStats& stats = receiver.ingester->stats();
    for (int i = 0; i < n; ++i) {
      ++stats.udp_packets;
      receiver.ingester->Lines(std::string_view(buffers.get() + static_cast<std::size_t>(i) * kDatagramSize,
                                                messages[i].msg_len));
    }
  }
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
