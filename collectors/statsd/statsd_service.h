// StatsD ingestion as one unit the daemon owns across reloads: the Aggregator (so series
// survive a reload), the listeners, the ttl expiry timer and the Sources.
//
// Listener addresses and receiver counts take effect on restart (like web.listen_address);
// the mapping, dialects and limits apply live on reload.
//
// Thread-safety: Start(), Stop() and Configure() are called by the daemon's start-up, reload
// and shutdown (one at a time); IngestHttp(), SetEventSink(), Sources() and BoundListeners() may
// be called from any thread concurrently with them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/statsd/aggregator.h"
#include "collectors/statsd/relay.h"
#include "collectors/statsd/statsd_config.h"
#include "collectors/statsd/stream_listeners.h"
#include "collectors/statsd/udp_receiver.h"
#include "daemon/core/asio.h"
#include "daemon/core/source.h"

namespace metricsd::statsd {

class StatsdService {
 public:
  // Binds every listener now (throws std::system_error / boost::system::system_error), so a
  // port in use is a start-up error. `procfs` is where /proc/net/udp is read.
  StatsdService(net::io_context& ioc, const StatsdConfig& config, std::string procfs);
  ~StatsdService();

  void Start();
  void Stop();

  // Applies the mapping, dialects and limits. Returns false when the listeners, receivers or
  // relay settings differ from the running ones (those need a restart).
  bool Configure(const StatsdConfig& config);

  // The aggregated families and metricsd_statsd_* (with metricsd_statsd_relay_* in relay mode).
  std::vector<std::shared_ptr<const Source>> Sources() const;

  // Lines from POST /api/v1/statsd, through the same parser, mapping and limits (and the relay
  // in relay mode; relay-only, `accepted` counts the lines relayed).
  Ingester::Counts IngestHttp(std::string_view body);

  // Every well-formed DogStatsD event (`_e{...}`, event.h) from now on goes to `sink`, called
  // on whichever thread received it (a UDP receiver, the io_context, an HTTP handler) while
  // that receiver's lines wait: it must be cheap and thread-safe (queue the event, do not write
  // it). An empty function stops the delivery. May be called at any time, from any thread.
  void SetEventSink(std::function<void(StatsdEvent)> sink) { aggregator_->SetEventSink(std::move(sink)); }

  // "udp://127.0.0.1:8125" and so on, with the ports actually bound.
  std::vector<std::string> BoundListeners() const { return bound_; }

 private:
  void ScheduleExpiry();

  net::io_context& ioc_;
  std::string procfs_;
  std::vector<ListenerConfig> listener_configs_;
  int receivers_;
  std::shared_ptr<Aggregator> aggregator_;
  RelayConfig relay_config_;
  std::shared_ptr<Relay> relay_;  // relay mode only
  std::shared_ptr<SharedIngester> io_ingester_;
  std::shared_ptr<TcpLimits> tcp_limits_ = std::make_shared<TcpLimits>();
  std::vector<std::unique_ptr<UdpReceivers>> udp_;
  std::vector<std::shared_ptr<TcpListener>> tcp_;
  std::vector<std::shared_ptr<UnixgramListener>> unixgram_;
  std::unique_ptr<net::steady_timer> expiry_timer_;
  std::vector<std::string> bound_;
};

}  // namespace metricsd::statsd
