// Blocking socket helpers with deadlines, for the load generator's own threads (no io_context:
// it sends from one thread as fast as it can, and every wait is bounded by poll()).
//
// Thread-safety: free functions over a descriptor the caller owns; Fd is not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace metricsd::loadgen {

using Clock = std::chrono::steady_clock;

// An owned file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset();

 private:
  int fd_ = -1;
};

// A non-blocking socket of `type` (SOCK_DGRAM or SOCK_STREAM) connected to host:port (the
// first address that answers, IPv4 or IPv6), or an invalid Fd with `error` set. For UDP,
// "connected" only fixes the peer (so ICMP refusals come back as errors).
Fd ConnectSocket(const std::string& host, std::uint16_t port, int type, Clock::time_point deadline,
                 std::string& error);

// Waits until `fd` is readable (POLLIN) or writable (POLLOUT) or the deadline; false on timeout.
bool WaitFor(int fd, short events, Clock::time_point deadline);

// Writes all of `data` before the deadline; returns the bytes written (all of them unless an
// error or the deadline cut it short, then `error` says which).
std::size_t SendAll(int fd, std::string_view data, Clock::time_point deadline, std::string& error);

}  // namespace metricsd::loadgen
