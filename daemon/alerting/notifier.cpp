#include "daemon/alerting/notifier.h"

#include <atomic>
#include <cmath>
#include <ctime>

#include <nlohmann/json.hpp>

#include "daemon/client/exchange.h"
#include "daemon/client/http_pool.h"
#include "daemon/core/logging.h"

namespace metricsd::alerting {
namespace {

constexpr std::size_t kMaxBatch = 64;  // alerts per request, as Prometheus's notifier
constexpr int kAttempts = 3;
constexpr auto kFirstBackoff = std::chrono::milliseconds(500);

nlohmann::json AlertJson(const Notification& alert) {
  nlohmann::json annotations = nlohmann::json::object();
  for (const auto& [name, value] : alert.annotations) annotations[name] = value;
  return {{"labels", alert.labels},
          {"annotations", annotations},
          {"startsAt", FormatTimestamp(alert.starts_at)},
          {"endsAt", FormatTimestamp(alert.ends_at)},
          {"generatorURL", alert.generator_url}};
}

// Labels (or annotations) every alert of the batch has with the same value.
template <typename Pairs>
nlohmann::json Common(const std::vector<Notification>& alerts, Pairs Notification::*member) {
  nlohmann::json common = nlohmann::json::object();
  if (alerts.empty()) return common;
  for (const auto& [name, value] : alerts.front().*member) {
    bool shared = true;
    for (const Notification& alert : alerts) {
      bool found = false;
      for (const auto& [other_name, other_value] : alert.*member) {
        if (other_name == name) found = other_value == value;
      }
      shared = shared && found;
    }
    if (shared) common[name] = value;
  }
  return common;
}

}  // namespace

std::string FormatTimestamp(double unix_seconds) {
  auto whole = static_cast<std::time_t>(std::floor(unix_seconds));
  int millis = static_cast<int>(std::lround((unix_seconds - static_cast<double>(whole)) * 1000));
  if (millis == 1000) {
    ++whole;
    millis = 0;
  }
  std::tm tm{};
  ::gmtime_r(&whole, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buffer;
}

std::string Fingerprint(const LabelMap& labels) {
  std::uint64_t hash = 14695981039346656037ull;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
  };
  for (const auto& [name, value] : labels) {
    mix(name);
    mix("\xff");
    mix(value);
    mix("\xff");
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash));
  return buffer;
}

std::string AlertmanagerPayload(const std::vector<Notification>& alerts) {
  nlohmann::json body = nlohmann::json::array();
  for (const Notification& alert : alerts) body.push_back(AlertJson(alert));
  return body.dump();
}

std::string WebhookPayload(const std::vector<Notification>& alerts, double now,
                           const std::string& external_url) {
  nlohmann::json list = nlohmann::json::array();
  bool any_firing = false;
  for (const Notification& alert : alerts) {
    nlohmann::json entry = AlertJson(alert);
    bool firing = alert.ends_at > now;
    any_firing = any_firing || firing;
    entry["status"] = firing ? "firing" : "resolved";
    entry["fingerprint"] = Fingerprint(alert.labels);
    list.push_back(std::move(entry));
  }
  nlohmann::json body = {{"version", "4"},
                         {"groupKey", "{}:{}"},
                         {"truncatedAlerts", 0},
                         {"status", any_firing ? "firing" : "resolved"},
                         {"receiver", "metricsd"},
                         {"groupLabels", nlohmann::json::object()},
                         {"commonLabels", Common(alerts, &Notification::labels)},
                         {"commonAnnotations", Common(alerts, &Notification::annotations)},
                         {"externalURL", external_url},
                         {"alerts", std::move(list)}};
  return body.dump();
}

struct Notifier::Destination : std::enable_shared_from_this<Destination> {
  Destination(net::io_context& context, DestinationConfig destination,
              std::shared_ptr<std::atomic<std::uint64_t>> dropped_total)
      : ioc(context), dropped(std::move(dropped_total)), config(std::move(destination)),
        retry(context) {
    MutexLock lock(mutex);
    pool = NewPool();
  }

  // Keep-alive connections to the receiver: Alertmanager sees one connection, not one per
  // batch (with TLS, one handshake). One request is in flight at most, so one is kept.
  std::shared_ptr<HttpPool> NewPool() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    HttpPoolOptions options;
    options.host = config.parsed.host;
    options.port = config.parsed.port;
    if (config.parsed.https) options.tls = config.tls;
    options.server_name = config.tls_options.server_name;
    options.max_idle = 1;
    return std::make_shared<HttpPool>(ioc, std::move(options));
  }

  // After a reload changed `config`: a new pool when the TLS settings changed (the URL, and so
  // the origin, is the same: Is()).
  void Reconfigure(DestinationConfig wanted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    bool same_tls = wanted.tls == config.tls && wanted.tls_options.server_name == config.tls_options.server_name;
    config = std::move(wanted);
    if (!same_tls && !stopped) {
      ClosePool();
      pool = NewPool();
    }
  }

  // Drops the pool (its connections close, a request in flight ends now), keeping its count.
  void ClosePool() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    if (pool) connections_closed_pools += pool->Stats().connections_opened;
    pool.reset();
  }

  // Connections opened to the receiver so far.
  std::uint64_t ConnectionsOpened() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    return connections_closed_pools + (pool ? pool->Stats().connections_opened : 0);
  }

  net::io_context& ioc;
  std::shared_ptr<std::atomic<std::uint64_t>> dropped;

  Mutex mutex;
  DestinationConfig config ABSL_GUARDED_BY(mutex);  // a reload may replace it
  std::shared_ptr<HttpPool> pool ABSL_GUARDED_BY(mutex);  // null once stopped
  std::uint64_t connections_closed_pools ABSL_GUARDED_BY(mutex) = 0;  // opened by pools dropped
  net::steady_timer retry ABSL_GUARDED_BY(mutex);
  std::string external_url ABSL_GUARDED_BY(mutex);
  std::size_t capacity ABSL_GUARDED_BY(mutex) = 10000;
  std::deque<Notification> queue ABSL_GUARDED_BY(mutex);
  bool busy ABSL_GUARDED_BY(mutex) = false;  // a batch is being sent (or waits for its retry)
  bool stopped ABSL_GUARDED_BY(mutex) = false;
  std::uint64_t sent ABSL_GUARDED_BY(mutex) = 0;
  std::uint64_t errors ABSL_GUARDED_BY(mutex) = 0;

  // Whether a reload's `wanted` is this destination (same kind and URL): it keeps its queue.
  bool Is(const DestinationConfig& wanted) {
    MutexLock lock(mutex);
    return config.kind == wanted.kind && config.url == wanted.url;
  }

  void Enqueue(const std::vector<Notification>& alerts) {
    {
      MutexLock lock(mutex);
      if (stopped) return;
      for (const Notification& alert : alerts) {
        if (queue.size() >= capacity) {
          queue.pop_front();
          dropped->fetch_add(1, std::memory_order_relaxed);
        }
        queue.push_back(alert);
      }
    }
    Pump();
  }

  void Pump() {
    auto batch = std::make_shared<std::vector<Notification>>();
    {
      MutexLock lock(mutex);
      if (busy || stopped || queue.empty()) return;
      busy = true;
      while (!queue.empty() && batch->size() < kMaxBatch) {
        batch->push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    Post(std::move(batch), 0);
  }

  void Post(std::shared_ptr<std::vector<Notification>> batch, int attempt) {
    DestinationConfig target;
    std::string base_url;
    std::shared_ptr<HttpPool> connections;
    {
      MutexLock lock(mutex);  // a reload may be replacing the config
      target = config;
      base_url = external_url;
      connections = pool;
    }
    if (!connections) {
      ExchangeResult stopped_result;
      stopped_result.outcome = Outcome::kConnectError;
      stopped_result.error = "notifier stopped";
      return Done(batch, attempt, stopped_result);
    }
    ExchangeRequest request;  // host, port and TLS are the pool's
    request.url = target.parsed;
    bool alertmanager = target.kind == DestinationConfig::Kind::kAlertmanager;
    if (alertmanager) {
      std::string base = target.parsed.target;
      while (base.ends_with('/')) base.pop_back();
      request.url.target = base + "/api/v2/alerts";
    }
    request.method = "POST";
    request.headers = {{"Content-Type", "application/json"}, {"User-Agent", "metricsd"}};
    std::string authorization;
    try {
      authorization = target.AuthorizationHeader();
    } catch (const std::exception& e) {
      ExchangeResult failed;
      failed.outcome = Outcome::kError;
      failed.error = e.what();
      return Done(batch, attempt, failed);
    }
    if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
    double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    request.body = alertmanager ? AlertmanagerPayload(*batch) : WebhookPayload(*batch, now, base_url);
    request.follow_redirects = false;
    request.body_limit = 64 << 10;
    request.timeout = target.timeout;
    connections->Request(std::move(request),
                         [self = shared_from_this(), batch, attempt](ExchangeResult result) {
                           self->Done(batch, attempt, result);
                         });
  }

  void Done(const std::shared_ptr<std::vector<Notification>>& batch, int attempt,
            const ExchangeResult& result) {
    bool ok = result.outcome == Outcome::kOk && result.status >= 200 && result.status < 300;
    {
      MutexLock lock(mutex);
      if (ok) {
        sent += batch->size();
      } else if (stopped) {
        // Removed by a reload or shut down: its pool closed; not the receiver's failure.
        dropped->fetch_add(batch->size(), std::memory_order_relaxed);
        busy = false;
        return;
      } else {
        ++errors;
        std::string error = result.outcome == Outcome::kOk
                                ? "HTTP " + std::to_string(result.status)
                                : std::string(OutcomeName(result.outcome)) + ": " + result.error;
        LogWarn("sending alerts failed",
                {{"alertmanager", config.url}, {"err", error}, {"alerts", std::to_string(batch->size())},
                 {"attempt", std::to_string(attempt + 1)}});
        if (!stopped && attempt + 1 < kAttempts) {
          retry.expires_after(kFirstBackoff * (1 << attempt));
          retry.async_wait([self = shared_from_this(), batch, attempt](const boost::system::error_code& ec) {
            if (ec) return self->Abandon(*batch);
            self->Post(batch, attempt + 1);
          });
          return;
        }
        dropped->fetch_add(batch->size(), std::memory_order_relaxed);
      }
      busy = false;
    }
    Pump();
  }

  void Abandon(const std::vector<Notification>& batch) {
    MutexLock lock(mutex);
    dropped->fetch_add(batch.size(), std::memory_order_relaxed);
    busy = false;
  }
};

Notifier::Notifier(net::io_context& ioc)
    : ioc_(ioc), dropped_total_(std::make_shared<std::atomic<std::uint64_t>>(0)) {}

Notifier::~Notifier() { Stop(); }

void Notifier::Configure(const AlertingConfig& config, std::string external_url) {
  MutexLock lock(mutex_);
  std::vector<std::shared_ptr<Destination>> next;
  for (const DestinationConfig& wanted : config.destinations) {
    std::shared_ptr<Destination> destination;
    for (auto& existing : destinations_) {
      if (existing && existing->Is(wanted)) {
        destination = std::move(existing);
        break;
      }
    }
    if (!destination) destination = std::make_shared<Destination>(ioc_, wanted, dropped_total_);
    MutexLock destination_lock(destination->mutex);
    destination->Reconfigure(wanted);  // credentials, TLS and timeout may have changed
    destination->external_url = external_url;
    destination->capacity = config.queue_capacity;
    next.push_back(std::move(destination));
  }
  for (auto& removed : destinations_) {
    if (!removed) continue;
    MutexLock destination_lock(removed->mutex);
    removed->stopped = true;
    removed->queue.clear();
    removed->retry.cancel();
    removed->ClosePool();
  }
  destinations_ = std::move(next);
  capacity_ = config.queue_capacity;
}

void Notifier::Send(const std::vector<Notification>& alerts) {
  if (alerts.empty()) return;
  std::vector<std::shared_ptr<Destination>> destinations;
  {
    MutexLock lock(mutex_);
    destinations = destinations_;
  }
  for (auto& destination : destinations) destination->Enqueue(alerts);
}

void Notifier::Stop() {
  MutexLock lock(mutex_);
  for (auto& destination : destinations_) {
    MutexLock destination_lock(destination->mutex);
    destination->stopped = true;
    destination->retry.cancel();
    destination->ClosePool();
  }
}

void Notifier::Visit(FamilyVisitor& visitor) const {
  std::vector<std::shared_ptr<Destination>> destinations;
  std::size_t capacity = 0;
  {
    MutexLock lock(mutex_);
    destinations = destinations_;
    capacity = capacity_;
  }
  struct Row {
    std::string url;
    std::uint64_t sent, errors, connections;
    std::size_t queued;
  };
  std::vector<Row> rows;
  std::size_t queued = 0;
  for (const auto& destination : destinations) {
    MutexLock lock(destination->mutex);
    rows.push_back({destination->config.url, destination->sent, destination->errors,
                    destination->ConnectionsOpened(), destination->queue.size()});
    queued += destination->queue.size();
  }
  auto per_destination = [&](std::string_view name, std::string_view help, auto field) {
    visitor.Family(name, help, MetricType::kCounter);
    for (const Row& row : rows) {
      Label label{"alertmanager", row.url};
      visitor.Sample(Labels(&label, 1), static_cast<double>(row.*field));
    }
  };
  per_destination("metricsd_notifications_sent_total",
                  "Alerts sent to each Alertmanager or webhook, counted once per alert.", &Row::sent);
  per_destination("metricsd_notifications_errors_total",
                  "Failed requests to each Alertmanager or webhook (each retry counts).", &Row::errors);
  per_destination("metricsd_notifications_connections_opened_total",
                  "TCP (and TLS) connections opened to each Alertmanager or webhook; batches reuse "
                  "a kept-alive connection, so this grows only when the receiver closed it.",
                  &Row::connections);
  visitor.Family("metricsd_notifications_dropped_total",
                 "Alerts dropped: a full queue, or a batch that failed every retry.", MetricType::kCounter);
  visitor.Sample({}, static_cast<double>(dropped_total_->load(std::memory_order_relaxed)));
  visitor.Family("metricsd_notifications_queue_length", "Alerts waiting to be sent, over all receivers.",
                 MetricType::kGauge);
  visitor.Sample({}, static_cast<double>(queued));
  visitor.Family("metricsd_notifications_queue_capacity", "The capacity of each receiver's alert queue.",
                 MetricType::kGauge);
  visitor.Sample({}, static_cast<double>(capacity));
}

}  // namespace metricsd::alerting
