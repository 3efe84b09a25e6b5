// Sends batches of StatsD lines to one endpoint: UDP datagrams of at most 1432 bytes (a
// 1500-byte Ethernet MTU minus IP and UDP headers and some slack, statsd clients' usual
// choice; sent with sendmmsg), newline-terminated writes on one TCP connection (reconnected
// after an error), or POSTs of newline-separated lines to metricsd's /api/v1/statsd over one
// keep-alive connection (bodies of at most 60 KiB, halved whenever the target answers 413).
// Every line is counted either sent or failed; failures are counted errors with the last
// message kept, never thrown.
//
// Thread-safety: not thread-safe; one sending thread owns a sender.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "daemon/loadgen/target.h"

namespace metricsd::loadgen {

inline constexpr std::size_t kMaxDatagramBytes = 1432;
inline constexpr std::size_t kMaxHttpBodyBytes = 60 << 10;  // under statsd.http.max_body_bytes' 64 KiB examples

struct SendStats {
  std::uint64_t lines_sent = 0;    // handed to the kernel (UDP, TCP) or answered by metricsd (HTTP)
  std::uint64_t lines_failed = 0;  // in a datagram, write or POST that failed
  std::uint64_t errors = 0;        // failed sends (datagrams, writes, requests)
  std::uint64_t writes = 0;        // datagrams, writes or requests attempted
  std::string last_error;
};

class StatsdSender {
 public:
  virtual ~StatsdSender() = default;
  // Sends `lines` (no newlines in them), in as many datagrams or requests as they need.
  virtual void Send(std::span<const std::string> lines) = 0;
  // The most bytes one datagram or request carries: the caller batches by it.
  virtual std::size_t MaxBatchBytes() const = 0;
  const SendStats& stats() const { return stats_; }

 protected:
  void Failed(std::size_t lines, std::string error);
  SendStats stats_;
};

// A sender for `endpoint`; each send or connection attempt is bounded by `timeout`.
std::unique_ptr<StatsdSender> MakeSender(const Endpoint& endpoint,
                                         std::chrono::milliseconds timeout);

// One datagram's payload and how many lines it carries.
struct Packet {
  std::string payload;
  std::size_t lines = 0;
};
// Packs `lines` in order into packets of at most `max_bytes` (a longer line goes alone), joined
// by '\n'. Reuses `packets`' strings; returns how many packets it filled.
std::size_t PackLines(std::span<const std::string> lines, std::size_t max_bytes,
                      std::vector<Packet>& packets);

}  // namespace metricsd::loadgen
