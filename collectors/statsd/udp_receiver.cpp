#include "collectors/statsd/udp_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "daemon/core/listen_endpoint.h"

namespace metricsd::statsd {
namespace {

// Datagrams per recvmmsg call, and the largest datagram taken whole (UDP's maximum payload).
// Each datagram lands in a small slot of a packed array (kSlot bytes; a 20-line packet is
// ~400) and spills into a private region only when larger, so a batch of small datagrams
// touches kBatch * kSlot bytes (64 pages), not a page per datagram; the private regions stay
// virtual memory until a large datagram writes them.
constexpr unsigned kBatch = 128;
constexpr std::size_t kSlot = 2048;
constexpr std::size_t kDatagramSize = 65536;
// Coalescing: a wake-up (a context switch: several microseconds, more than parsing a 20-line
// packet) is the main cost per batch, so after a batch that did not fill, the receiver sleeps
// until about kCoalesceTarget datagrams have piled up at the rate just seen, never longer
// than kMaxCoalesce (the latency bound: a line is counted within kMaxCoalesce plus one
// batch's work). The target is below a full batch so that rate jitter rarely overfills it;
// when a batch does fill, the next receive follows at once without blocking. The socket
// buffer (statsd.read_buffer, 8 MiB by default) holds far more than a batch at any rate.
// Below kMinArrivals per kMaxCoalesce a sleep gathers nothing: the receiver just blocks.
constexpr double kCoalesceTarget = kBatch * 3 / 4.0;
constexpr auto kMaxCoalesce = std::chrono::microseconds(8000);
constexpr auto kMinCoalesce = std::chrono::microseconds(50);
constexpr double kMinArrivals = 2;

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
  // Not value-initialised: untouched pages stay out of the resident set.
  std::unique_ptr<char[]> slots(new char[kBatch * kSlot]);
  std::unique_ptr<char[]> spill(new char[kBatch * kDatagramSize]);
  std::vector<mmsghdr> messages(kBatch);
  std::vector<iovec> iovecs(2 * kBatch);
  for (unsigned i = 0; i < kBatch; ++i) {
    // The spill region starts kSlot into the datagram's own 64 KiB, so a large datagram is
    // made contiguous by copying its first kSlot bytes in front of the rest.
    iovecs[2 * i] = {slots.get() + i * kSlot, kSlot};
    iovecs[2 * i + 1] = {spill.get() + i * kDatagramSize + kSlot, kDatagramSize - kSlot};
    messages[i].msg_hdr = {};
    messages[i].msg_hdr.msg_iov = &iovecs[2 * i];
    messages[i].msg_hdr.msg_iovlen = 2;
  }
  using Clock = std::chrono::steady_clock;
  // Datagrams since the last decision to wait or block, and when that was: their ratio is the
  // rate that sizes the next wait (the wait itself included, so the estimate is the arrival
  // rate, not the receive rate).
  auto window_start = Clock::now();
  std::size_t window_datagrams = 0;
  bool block = true;
  while (!stopping_.load(std::memory_order_relaxed)) {
    // One syscall per batch: blocking, wait for the first datagram, then take what else is
    // queued; after a full batch, only take what is queued. Stop() shuts the socket down,
    // which wakes a blocked call.
    int n = ::recvmmsg(receiver.fd, messages.data(), kBatch, block ? MSG_WAITFORONE : MSG_DONTWAIT,
                       nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return;
      n = 0;  // drained right after a full batch
    }
    if (n > 0) {
      Ingester::Batch batch(*receiver.ingester);
      ShardStats& stats = receiver.ingester->stats();
      stats.udp_packets += static_cast<std::uint64_t>(n);
      for (int i = 0; i < n; ++i) {
        std::size_t length = messages[i].msg_len;
        const char* data = slots.get() + static_cast<std::size_t>(i) * kSlot;
        if (length > kSlot) {
          char* whole = spill.get() + static_cast<std::size_t>(i) * kDatagramSize;
          std::memcpy(whole, data, kSlot);
          data = whole;
        }
        std::string_view datagram(data, length);
        if (aggregate_) receiver.ingester->Lines(datagram);
        if (receiver.relay) {
          std::size_t lines = receiver.relay->Lines(datagram).lines;
          if (!aggregate_) stats.lines += lines;  // relay-only: still lines received
        }
      }
    }
    // The relay's batches leave once per receive batch: no latency beyond it.
    if (n > 0 && receiver.relay) receiver.relay->Flush();
    window_datagrams += static_cast<std::size_t>(n);
    if (static_cast<unsigned>(n) == kBatch) {
      block = false;  // more may be queued: take it before deciding to wait
      continue;
    }
    block = true;
    if (window_datagrams == 0) continue;  // woken by Stop(): nothing received
    auto now = Clock::now();
    double window = std::max(std::chrono::duration<double>(now - window_start).count(), 1e-6);
    double rate = static_cast<double>(window_datagrams) / window;
    window_start = now;
    window_datagrams = 0;
    if (rate * std::chrono::duration<double>(kMaxCoalesce).count() < kMinArrivals) continue;
    auto wait = std::chrono::duration<double>(kCoalesceTarget / rate);
    if (wait > kMaxCoalesce) wait = kMaxCoalesce;
    if (wait >= kMinCoalesce) std::this_thread::sleep_for(wait);
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
