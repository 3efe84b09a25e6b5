// StatsD relay mode (statsd.relay, relay_config.h): each line received goes to one aggregator,
// chosen by rendezvous hashing of its series (relay_hash.h) over the destinations that are up.
//
// Hot path: every receiver thread (a UDP receiver, the io_context's shared ingester) owns a
// RelayWriter. It parses a line only as far as its name and tags, picks the destination and
// appends the line to its own batch for it; a batch leaves as one datagram when the next line
// would not fit in max_packet_size, and at the end of each receive batch (Flush), so relaying
// adds no latency beyond the receive batch. UDP batches go out on the writer's own connected
// socket (no lock); TCP batches join the destination's bounded queue (its lock, once per
// batch). The up/down state of all destinations is one atomic word, read per line.
//
// Health: each destination with a health_url (HTTP GET, 2xx is healthy) or a tcp address (a
// connect; an established connection is healthy) is checked every health_check_interval on
// the io_context. unhealthy_after consecutive failures mark it down, one success up again. A
// tcp write error, a tcp connection the peer closed, or a udp datagram the kernel refused
// (ICMP port unreachable on loopback/LAN) marks a checked destination down at once; the
// refused batch is re-routed to the lines' next choices, not lost.
//
// What can be lost, and how it is counted (metricsd_statsd_relay_dropped_total{reason}):
//  - udp datagrams accepted by the kernel but never read by a dying aggregator, and the one
//    datagram per writer sent before the refusal comes back: not seen, not counted (bounded:
//    until detection, at most one datagram per writer once refusals arrive);
//  - send_error: a tcp write that failed (its lines), or a udp send that failed otherwise;
//  - queue_full: a tcp queue over queue_size, or a udp socket buffer full (EAGAIN/ENOBUFS);
//  - no_destination: every destination was down (counted against the line's home);
//  - line_too_long: a line longer than max_packet_size (udp).
//
// Thread-safety: Relay is thread-safe (its writers run on any threads; Start/Stop once each).
// A RelayWriter is used by one thread at a time.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/statsd/parser.h"
#include "collectors/statsd/relay_config.h"
#include "daemon/core/asio.h"
#include "daemon/core/enum_table.h"
#include "daemon/core/source.h"

namespace metricsd::statsd {

enum class RelayDrop { kQueueFull, kSendError, kNoDestination, kLineTooLong };
inline constexpr std::size_t kRelayDrops = 4;
inline constexpr EnumTable<RelayDrop, kRelayDrops> kRelayDropReasons{{{
    {RelayDrop::kQueueFull, "queue_full"},
    {RelayDrop::kSendError, "send_error"},
    {RelayDrop::kNoDestination, "no_destination"},
    {RelayDrop::kLineTooLong, "line_too_long"},
}}};

// One destination's counters, as the metrics show them.
struct RelayCounts {
  std::uint64_t lines = 0;     // handed to the kernel (udp) or written (tcp)
  std::uint64_t rerouted = 0;  // lines whose home this is, sent elsewhere while it was down
  std::array<std::uint64_t, kRelayDrops> dropped{};
  std::uint64_t checks_ok = 0;
  std::uint64_t checks_failed = 0;
  bool up = true;
};

class RelayWriter;
class TcpSender;

class Relay : public std::enable_shared_from_this<Relay> {
 public:
  // Resolves every destination now (throws std::runtime_error naming the one that fails).
  static std::shared_ptr<Relay> Create(net::io_context& ioc, const RelayConfig& config,
                                       const ParseOptions& parse);
  ~Relay();

  // Health checks (the first at once) and tcp connections.
  void Start();
  void Stop();

  // A writer for one receiving thread.
  std::unique_ptr<RelayWriter> NewWriter();

  bool aggregate_locally() const { return config_.aggregate_locally; }
  const RelayConfig& config() const { return config_; }
  std::uint64_t up_mask() const { return up_mask_.load(std::memory_order_relaxed); }
  RelayCounts Counts(std::size_t destination) const;

  // metricsd_statsd_relay_*.
  std::shared_ptr<const Source> MetricsSource();

 private:
  friend class RelayWriter;
  struct Destination;
  Relay(net::io_context& ioc, const RelayConfig& config, const ParseOptions& parse);

  void ScheduleCheck(std::size_t index, Duration after);
  void RunCheck(std::size_t index);
  void CheckDone(std::size_t index, bool ok);
  // Any thread: a send failed in a way that says the destination is gone.
  void SendFailed(std::size_t index);
  bool Checked(std::size_t index) const;
  void SetUp(std::size_t index, bool up, std::string_view why);
  void Visit(FamilyVisitor& visitor) const;

  net::io_context& ioc_;
  RelayConfig config_;
  ParseOptions parse_;
  net::strand<net::io_context::executor_type> strand_;
  std::vector<std::unique_ptr<Destination>> destinations_;
  std::vector<std::uint64_t> seeds_;
  std::atomic<std::uint64_t> up_mask_{0};
  std::atomic<bool> stopping_{false};
};

// Routes lines into per-destination batches. Not thread-safe: one per receiving thread.
class RelayWriter {
 public:
  explicit RelayWriter(std::shared_ptr<Relay> relay);
  ~RelayWriter();
  RelayWriter(const RelayWriter&) = delete;
  RelayWriter& operator=(const RelayWriter&) = delete;

  // Routes a buffer of '\n'-separated lines.
  struct Counts {
    std::size_t lines = 0;    // non-empty lines seen
    std::size_t relayed = 0;  // given to a destination (the others are counted drops)
  };
  Counts Lines(std::string_view buffer);
  // Sends every pending batch: call at the end of each receive batch.
  void Flush();

 private:
  struct Out {
    std::string batch;
    std::size_t lines = 0;
    std::uint64_t rerouted = 0;  // counted into the destination at the next send
    int fd = -1;                 // udp: a socket connected to the destination
    std::uint64_t generation = 0;  // the destination's up_generation this socket has seen
  };
  bool Route(std::string_view line);
  void Send(std::size_t index);

  std::shared_ptr<Relay> relay_;
  ParsedLine scratch_;
  std::vector<Out> outs_;
};

}  // namespace metricsd::statsd
