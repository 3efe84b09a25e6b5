// Delivers alerts to every Alertmanager (POST /api/v2/alerts) and webhook receiver
// (Alertmanager's webhook JSON), asynchronously on the io_context.
//
// Each destination has its own bounded queue and one request in flight at most, so a receiver
// that is down or slow only fills its own queue: evaluation enqueues under a short lock and
// returns, and the other receivers keep getting theirs. A failed batch is retried with backoff
// (0.5 s, 1 s, 2 s), then dropped; the rule manager re-sends firing and resolved alerts every
// resend_delay anyway, which is what delivers them once a receiver is back.
//
// Each destination posts over a keep-alive connection of its own pool (daemon/client/http_pool.h):
// one TCP (and TLS) handshake per receiver, not per batch. Destroy the Notifier before its
// io_context.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/alerting/alerting_config.h"
#include "daemon/core/asio.h"
#include "daemon/core/mutex.h"
#include "daemon/core/source.h"

namespace metricsd::alerting {

// One alert as receivers see it.
struct Notification {
  LabelMap labels;  // the alert's labels with the external labels added
  std::vector<std::pair<std::string, std::string>> annotations;
  double starts_at = 0;
  double ends_at = 0;  // unix seconds
  std::string generator_url;
};

// Alertmanager's v2 API body for `alerts`, and its webhook body (version 4).
std::string AlertmanagerPayload(const std::vector<Notification>& alerts);
std::string WebhookPayload(const std::vector<Notification>& alerts, double now,
                           const std::string& external_url);
// RFC 3339 in UTC with milliseconds, as Alertmanager writes times.
std::string FormatTimestamp(double unix_seconds);
// Alertmanager's fingerprint: FNV-1a 64 over the sorted labels, 16 hex digits.
std::string Fingerprint(const LabelMap& labels);

// Thread-safety: thread-safe; Send() and Visit() may be called from any thread, Configure() and
// Stop() too (a reload and shutdown run on other threads than evaluation).
class Notifier {
 public:
  explicit Notifier(net::io_context& ioc);
  ~Notifier();

  // Destinations that stay (same kind and URL) keep their queue and counters.
  void Configure(const AlertingConfig& config, std::string external_url);
  // Queues `alerts` for every destination; drops the oldest when a queue is full. Never blocks.
  void Send(const std::vector<Notification>& alerts);
  void Stop();

  // metricsd_notifications_{sent,errors,connections_opened}_total{alertmanager},
  // _dropped_total, _queue_length, _queue_capacity.
  void Visit(FamilyVisitor& visitor) const;

  struct Destination;

 private:
  net::io_context& ioc_;
  mutable Mutex mutex_;
  std::vector<std::shared_ptr<Destination>> destinations_ ABSL_GUARDED_BY(mutex_);
  std::size_t capacity_ ABSL_GUARDED_BY(mutex_) = 10000;
  // Shared with the destinations, so drops of one removed by a reload still count.
  std::shared_ptr<std::atomic<std::uint64_t>> dropped_total_;
};

}  // namespace metricsd::alerting
