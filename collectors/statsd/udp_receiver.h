// The UDP hot path: one thread per receiver, each with its own SO_REUSEPORT socket on the
// listener's address (the kernel spreads senders over them by flow hash), draining datagrams
// with recvmmsg in batches and aggregating into a shard only that thread writes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collectors/statsd/aggregator.h"
#include "collectors/statsd/relay.h"
#include "daemon/core/listen_address.h"

namespace metricsd::statsd {

class UdpReceivers {
 public:
  // Binds `count` sockets (throws std::system_error); threads start with Start(). With a
  // `relay`, each receiver relays its datagrams through a writer of its own, and aggregates
  // them too only when the relay says aggregate_locally.
  UdpReceivers(Aggregator& aggregator, const ListenAddress& address, int count,
               std::int64_t read_buffer, std::shared_ptr<Relay> relay = nullptr);
  ~UdpReceivers();  // stops and joins

  void Start();
  void Stop();
  std::uint16_t port() const { return port_; }
  // The receive buffer the kernel granted (what it accounts, which is twice what was set).
  std::int64_t granted_read_buffer() const;
  // The socket inodes, to find our sockets' drop counters in /proc/net/udp{,6}.
  std::vector<std::uint64_t> SocketInodes() const;

 private:
  struct Receiver {
    int fd = -1;
    std::unique_ptr<Ingester> ingester;
    std::unique_ptr<RelayWriter> relay;  // relay mode only
    std::thread thread;
  };
  void Run(Receiver& receiver);

  std::vector<std::unique_ptr<Receiver>> receivers_;
  std::uint16_t port_ = 0;
  bool aggregate_ = true;
  std::atomic<bool> stopping_{false};
};

// Sums the `drops` column of /proc/net/udp and udp6 (under `procfs`) for the given inodes.
std::uint64_t UdpKernelDrops(const std::string& procfs, const std::vector<std::uint64_t>& inodes);

}  // namespace metricsd::statsd
