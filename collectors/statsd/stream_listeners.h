// StatsD over TCP (newline-delimited streams) and Unix datagram sockets, on the io_context.
// Both feed one shared shard through one Ingester, taking its lock per read, not per line.
//
// A TCP connection costs little while idle: it waits for readability without a buffer and
// reads into one buffer per io thread, so only a partial line is kept per connection.
// statsd.tcp.max_connections caps them (one over is closed at once) and
// statsd.tcp.idle_timeout closes the silent ones; statsd_exporter has neither.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "collectors/statsd/aggregator.h"
#include "collectors/statsd/relay.h"
#include "collectors/statsd/statsd_config.h"
#include "daemon/core/asio.h"

namespace metricsd::statsd {

// The Ingester that io_context handlers share; Batch serialises them on the shard's lock.
// Held by shared_ptr by every connection, so it (and the Aggregator) outlive them.
// In relay mode it also holds the io_context's RelayWriter, used inside a Batch only (the
// shard's lock serialises it too): relay() the lines, then Lines() them into get() when
// aggregate(), and Flush the relay before the Batch ends.
class SharedIngester {
 public:
  explicit SharedIngester(std::shared_ptr<Aggregator> aggregator,
                          std::shared_ptr<Relay> relay = nullptr)
      : aggregator_(std::move(aggregator)), ingester_(*aggregator_, aggregator_->AddShard()),
        relay_(relay ? relay->NewWriter() : nullptr),
        aggregate_(!relay || relay->aggregate_locally()) {}
  Ingester& get() { return ingester_; }
  RelayWriter* relay() { return relay_.get(); }  // null unless relaying
  bool aggregate() const { return aggregate_; }

 private:
  std::shared_ptr<Aggregator> aggregator_;
  Ingester ingester_;
  std::unique_ptr<RelayWriter> relay_;
  bool aggregate_;
};

// statsd.tcp's limits, shared by every TCP listener and connection and changed live on
// reload; `open` counts the connections of all listeners. Thread-safe (atomics).
struct TcpLimits {
  std::atomic<std::size_t> max_connections{1024};
  std::atomic<std::int64_t> idle_timeout_ms{5 * 60 * 1000};  // 0: never
  std::atomic<std::size_t> open{0};
};

// Accepts StatsD TCP connections. Start/Stop on any thread; its handlers run on the io_context.
class TcpListener : public std::enable_shared_from_this<TcpListener> {
 public:
  // Binds now (throws boost::system::system_error); accepts after Start().
  TcpListener(net::io_context& ioc, const ListenAddress& address,
              std::shared_ptr<SharedIngester> ingester, std::shared_ptr<TcpLimits> limits);
  void Start();
  void Stop();
  std::uint16_t port() const { return port_; }

 private:
  void Accept();

  net::io_context& ioc_;
  net::ip::tcp::acceptor acceptor_;
  std::shared_ptr<SharedIngester> ingester_;
  std::shared_ptr<TcpLimits> limits_;
  std::uint16_t port_ = 0;
};

class UnixgramListener : public std::enable_shared_from_this<UnixgramListener> {
 public:
  // Replaces a stale socket file at the path, binds and sets its mode (throws).
  UnixgramListener(net::io_context& ioc, const ListenerConfig& config,
                   std::shared_ptr<SharedIngester> ingester);
  ~UnixgramListener();
  void Start();
  void Stop();

 private:
  void Receive();

  net::local::datagram_protocol::socket socket_;
  std::string path_;
  std::shared_ptr<SharedIngester> ingester_;
  std::unique_ptr<char[]> buffer_;
};

}  // namespace metricsd::statsd
