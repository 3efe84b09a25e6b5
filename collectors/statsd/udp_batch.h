// The receive side of one StatsD UDP socket: a recvmmsg call per batch into packed slots, and
// the coalescing wait between batches. The receivers (udp_receiver.cpp) and the benchmark's
// null receiver (tests/bench/statsd_load's sink) share it, so the floor metricsd is compared
// with receives exactly as metricsd does.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace metricsd::statsd {

// Thread-safety: not thread-safe; one per receiving thread.
class UdpBatch {
 public:
  // Datagrams per recvmmsg call, and the largest datagram taken whole (UDP's maximum payload).
  // Each datagram lands in a small slot of a packed array (kSlot bytes; a 20-line packet is
  // ~400) and spills into a private region only when larger, so a batch of small datagrams
  // touches kBatch * kSlot bytes (64 pages), not a page per datagram; the private regions stay
  // virtual memory until a large datagram writes them.
  static constexpr unsigned kBatch = 128;
  static constexpr std::size_t kSlot = 2048;
  static constexpr std::size_t kDatagramSize = 65536;

  UdpBatch();

  // One syscall: blocking, waits for the first datagram and takes what else is queued; right
  // after a full batch, takes only what is queued. Returns the datagrams received (0 when
  // interrupted, timed out or drained), or -1 with errno on an error of the socket (closed).
  int Receive(int fd);
  // The i-th datagram of the last Receive, contiguous.
  std::string_view Datagram(int i);
  // Call after handling a Receive's `n` datagrams: sleeps to coalesce the next batch.
  //
  // A wake-up (a context switch: several microseconds, more than parsing a 20-line packet) is
  // the main cost per batch, so after a batch that did not fill, the receiver sleeps until
  // about kCoalesceTarget datagrams have piled up at the rate just seen, never longer than
  // kMaxCoalesce (the latency bound: a line is counted within kMaxCoalesce plus one batch's
  // work). The target is below a full batch so that rate jitter rarely overfills it; when a
  // batch does fill, the next receive follows at once without blocking. The socket buffer
  // (statsd.read_buffer, 8 MiB by default) holds far more than a batch at any rate. Below
  // kMinArrivals per kMaxCoalesce a sleep gathers nothing: the receiver just blocks.
  //
  // kMaxCoalesce is 20 ms: a count reaches a scrape (seconds apart) at most that much later,
  // which no reader can tell, while at 100,000 lines a second in 20-line packets each of two
  // receivers wakes ~50 times a second instead of ~125 with an 8 ms bound: 18% less CPU per
  // line in compare_statsd.py's 20-line timer shape (README, Performance).
  void Pace(int n);

 private:
  static constexpr double kCoalesceTarget = kBatch * 3 / 4.0;
  static constexpr std::chrono::microseconds kMaxCoalesce{20000};
  static constexpr std::chrono::microseconds kMinCoalesce{50};
  static constexpr double kMinArrivals = 2;
  using Clock = std::chrono::steady_clock;

  std::unique_ptr<char[]> slots_;
  std::unique_ptr<char[]> spill_;
  std::vector<mmsghdr> messages_;
  std::vector<iovec> iovecs_;
  // Datagrams since the last decision to wait or block, and when that was: their ratio is the
  // rate that sizes the next wait (the wait itself included, so the estimate is the arrival
  // rate, not the receive rate).
  Clock::time_point window_start_ = Clock::now();
  std::size_t window_datagrams_ = 0;
  bool block_ = true;
};

}  // namespace metricsd::statsd
