#include "collectors/statsd/relay.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <stdexcept>

#include "collectors/statsd/relay_hash.h"
#include "daemon/client/exchange.h"
#include "daemon/client/url.h"
#include "daemon/core/function_source.h"
#include "daemon/core/logging.h"
#include "daemon/core/mutex.h"

namespace metricsd::statsd {

// A tcp destination's connection and its bounded queue. Writers append under the lock, once
// per batch; the connection, its writes and its reconnects run on a strand of the io_context.
// It keeps its own counters: its pending handlers may outlive the Relay at shutdown.
// Thread-safety: Enqueue(), sent() and send_errors() from any thread; the rest on the strand.
class TcpSender : public std::enable_shared_from_this<TcpSender> {
 public:
  using Failed = std::function<void()>;
  TcpSender(net::io_context& ioc, net::ip::tcp::endpoint endpoint, std::size_t limit, Failed failed)
      : strand_(net::make_strand(ioc)), socket_(strand_), timer_(strand_), endpoint_(endpoint),
        limit_(limit), failed_(std::move(failed)) {}

  // Lines written, and lines lost in a failed write.
  std::uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t send_errors() const { return send_errors_.load(std::memory_order_relaxed); }

  // False (nothing queued) when the queue would exceed its limit.
  bool Enqueue(std::string_view data, std::size_t lines) {
    bool start = false;
    {
      MutexLock lock(mutex_);
      if (queue_.size() + data.size() > limit_) return false;
      queue_.append(data);
      queue_lines_ += lines;
      if (connected_ && !writing_) start = writing_ = true;
    }
    if (start) net::post(strand_, [self = shared_from_this()] { self->Write(); });
    return true;
  }

  // Connects unless connected; `done(connected)` runs on the strand.
  void EnsureConnected(Duration timeout, std::function<void(bool)> done) {
    net::post(strand_, [self = shared_from_this(), timeout, done = std::move(done)]() mutable {
      self->Connect(timeout, std::move(done));
    });
  }

  void Close() {
    net::post(strand_, [self = shared_from_this()] {
      self->closed_ = true;
      self->Drop(/*count=*/false);
    });
  }

 private:
  void Connect(Duration timeout, std::function<void(bool)> done) {
    if (closed_ || connecting_) return done(false);
    if (socket_.is_open()) return done(true);
    boost::system::error_code ec;
    socket_.open(endpoint_.protocol(), ec);
    if (ec) return done(false);
    connecting_ = true;
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      // The connect completes with operation_aborted.
      if (!error && self->connecting_) self->socket_.cancel();
    });
    socket_.async_connect(endpoint_, [self = shared_from_this(), done = std::move(done)](
                                         const boost::system::error_code& error) {
      self->timer_.cancel();
      self->connecting_ = false;
      if (error || self->closed_) {
        boost::system::error_code ignored;
        self->socket_.close(ignored);
        return done(false);
      }
      boost::system::error_code ignored;
      self->socket_.set_option(net::ip::tcp::no_delay(true), ignored);
      bool start = false;
      {
        MutexLock lock(self->mutex_);
        self->connected_ = true;
        if (!self->queue_.empty() && !self->writing_) start = self->writing_ = true;
      }
      self->WatchClose();
      if (start) self->Write();
      done(true);
    });
  }

  // An aggregator never writes back: a read completes only when it closes or resets.
  void WatchClose() {
    socket_.async_read_some(net::buffer(&probe_, 1), [self = shared_from_this()](
                                                         const boost::system::error_code& error,
                                                         std::size_t) {
      if (error == net::error::operation_aborted || !self->socket_.is_open()) return;
      if (!error) return self->WatchClose();
      self->Drop(/*count=*/true);
      self->failed_();
    });
  }

  void Write() {
    {
      MutexLock lock(mutex_);
      if (queue_.empty() || !connected_) {
        writing_ = false;
        return;
      }
      inflight_.clear();
      inflight_.swap(queue_);
      inflight_lines_ = queue_lines_;
      queue_lines_ = 0;
    }
    net::async_write(socket_, net::buffer(inflight_),
                     [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                       if (error) {
                         if (error != net::error::operation_aborted) {
                           self->Drop(/*count=*/true);
                           self->failed_();
                         }
                         return;
                       }
                       self->sent_.fetch_add(self->inflight_lines_, std::memory_order_relaxed);
                       self->inflight_lines_ = 0;
                       self->Write();
                     });
  }

  // Closes the connection; the write in flight is lost (counted when `count`). What is queued
  // stays for the next connection.
  void Drop(bool count) {
    boost::system::error_code ignored;
    if (count && inflight_lines_ > 0) {
      send_errors_.fetch_add(inflight_lines_, std::memory_order_relaxed);
    }
    inflight_lines_ = 0;
    inflight_.clear();
    socket_.close(ignored);
    MutexLock lock(mutex_);
    connected_ = false;
    writing_ = false;
  }

  net::strand<net::io_context::executor_type> strand_;
  net::ip::tcp::socket socket_;
  net::steady_timer timer_;
  net::ip::tcp::endpoint endpoint_;
  std::size_t limit_;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> send_errors_{0};
  Failed failed_;
  bool closed_ = false;
  bool connecting_ = false;
  char probe_ = 0;
  std::string inflight_;  // the write in flight (strand)
  std::size_t inflight_lines_ = 0;
  Mutex mutex_;
  std::string queue_ ABSL_GUARDED_BY(mutex_);
  std::size_t queue_lines_ ABSL_GUARDED_BY(mutex_) = 0;
  bool connected_ ABSL_GUARDED_BY(mutex_) = false;
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
};

struct Relay::Destination {
  RelayDestination config;
  net::ip::address ip;
  std::optional<Url> health;
  std::shared_ptr<net::ssl::context> tls;
  std::shared_ptr<TcpSender> tcp;
  std::unique_ptr<net::steady_timer> timer;  // on the relay's strand
  int failures = 0;                           // consecutive, on the relay's strand
  std::atomic<std::uint64_t> lines{0};
  std::atomic<std::uint64_t> rerouted{0};
  std::array<std::atomic<std::uint64_t>, kRelayDrops> dropped{};
  std::atomic<std::uint64_t> checks_ok{0};
  std::atomic<std::uint64_t> checks_failed{0};
  // Counts transitions to up: a writer seeing a new value clears its socket's stale error.
  std::atomic<std::uint64_t> up_generation{0};

  void Drop(RelayDrop reason, std::uint64_t lines_dropped) {
    dropped[static_cast<std::size_t>(reason)].fetch_add(lines_dropped, std::memory_order_relaxed);
  }
};

Relay::Relay(net::io_context& ioc, const RelayConfig& config, const ParseOptions& parse)
    : ioc_(ioc), config_(config), parse_(parse), strand_(net::make_strand(ioc)) {
  net::ip::udp::resolver resolver(ioc);
  for (const RelayDestination& config_destination : config_.destinations) {
    auto destination = std::make_unique<Destination>();
    destination->config = config_destination;
    boost::system::error_code ec;
    auto results = resolver.resolve(config_destination.host, std::to_string(config_destination.port), ec);
    if (ec || results.empty()) {
      throw std::runtime_error("statsd.relay: cannot resolve destination " +
                               config_destination.address + ": " +
                               (ec ? ec.message() : std::string("no address")));
    }
    destination->ip = results.begin()->endpoint().address();
    if (!config_destination.health_url.empty()) {
      destination->health = ParseUrl(config_destination.health_url);
      if (destination->health && destination->health->https) destination->tls = MakeTlsContext("", false);
    }
    seeds_.push_back(DestinationSeed(config_destination.address));
    destinations_.push_back(std::move(destination));
  }
  std::uint64_t all = destinations_.size() >= 64 ? ~0ULL : (1ULL << destinations_.size()) - 1;
  up_mask_.store(all, std::memory_order_relaxed);  // up until a check says otherwise
}

std::shared_ptr<Relay> Relay::Create(net::io_context& ioc, const RelayConfig& config,
                                     const ParseOptions& parse) {
  std::shared_ptr<Relay> relay(new Relay(ioc, config, parse));
  for (std::size_t i = 0; i < relay->destinations_.size(); ++i) {
    Destination& destination = *relay->destinations_[i];
    if (destination.config.protocol != RelayDestination::Protocol::kTcp) continue;
    std::weak_ptr<Relay> weak = relay;
    destination.tcp = std::make_shared<TcpSender>(
        ioc, net::ip::tcp::endpoint(destination.ip, destination.config.port), config.queue_size,
        [weak, i] {
          if (auto self = weak.lock()) self->SendFailed(i);
        });
  }
  return relay;
}

Relay::~Relay() { Stop(); }

bool Relay::Checked(std::size_t index) const {
  const Destination& destination = *destinations_[index];
  return destination.health.has_value() || destination.tcp != nullptr;
}

void Relay::Start() {
  for (std::size_t i = 0; i < destinations_.size(); ++i) {
    if (!Checked(i)) continue;
    destinations_[i]->timer = std::make_unique<net::steady_timer>(strand_);
    ScheduleCheck(i, Duration(0));
  }
}

void Relay::Stop() {
  if (stopping_.exchange(true)) return;
  for (auto& destination : destinations_) {
    if (destination->tcp) destination->tcp->Close();
  }
  // The timers live on the strand; cancel them there (they hold a weak reference only).
  net::post(strand_, [weak = weak_from_this(), this] {
    if (weak.expired()) return;
    for (auto& destination : destinations_) {
      if (destination->timer) destination->timer->cancel();
    }
  });
}

void Relay::ScheduleCheck(std::size_t index, Duration after) {
  Destination& destination = *destinations_[index];
  destination.timer->expires_after(after);
  destination.timer->async_wait([weak = weak_from_this(), index](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopping_.load()) return;
    self->RunCheck(index);
  });
}

void Relay::RunCheck(std::size_t index) {
  Destination& destination = *destinations_[index];
  auto weak = weak_from_this();
  auto done = [weak, index, strand = strand_](bool ok) {
    net::post(strand, [weak, index, ok] {
      if (auto self = weak.lock()) self->CheckDone(index, ok);
    });
  };
  if (destination.tcp) {
    // A tcp destination reconnects here whether or not it has an HTTP check.
    destination.tcp->EnsureConnected(config_.health_check_timeout,
                                     destination.health ? std::function<void(bool)>([](bool) {})
                                                        : std::function<void(bool)>(done));
  }
  if (!destination.health) return;
  ExchangeRequest request;
  request.host = destination.health->host;
  request.port = destination.health->port;
  request.use_tls = destination.health->https;
  request.tls = destination.tls;
  request.url = *destination.health;
  request.follow_redirects = false;
  request.body_limit = 64 << 10;
  request.timeout = config_.health_check_timeout;
  request.headers.emplace_back("User-Agent", "metricsd-statsd-relay");
  RunExchange(ioc_, std::move(request), [done](ExchangeResult result) {
    done(result.outcome == Outcome::kOk && result.status / 100 == 2);
  });
}

void Relay::CheckDone(std::size_t index, bool ok) {
  if (stopping_.load()) return;
  Destination& destination = *destinations_[index];
  if (ok) {
    destination.checks_ok.fetch_add(1, std::memory_order_relaxed);
    destination.failures = 0;
    SetUp(index, true, "health check succeeded");
  } else {
    destination.checks_failed.fetch_add(1, std::memory_order_relaxed);
    if (++destination.failures >= config_.unhealthy_after) {
      SetUp(index, false, "health checks failed");
    }
  }
  ScheduleCheck(index, config_.health_check_interval);
}

void Relay::SendFailed(std::size_t index) {
  if (!Checked(index)) return;  // nothing would bring it back up
  SetUp(index, false, "send failed");
}

void Relay::SetUp(std::size_t index, bool up, std::string_view why) {
  std::uint64_t bit = 1ULL << index;
  std::uint64_t before = up ? up_mask_.fetch_or(bit) : up_mask_.fetch_and(~bit);
  if (((before & bit) != 0) == up) return;  // no change: log only transitions
  const std::string& address = destinations_[index]->config.address;
  if (up) {
    destinations_[index]->up_generation.fetch_add(1, std::memory_order_release);
    LogInfo("statsd relay destination up", {{"destination", address}, {"reason", std::string(why)}});
  } else {
    LogWarn("statsd relay destination down; its series go to their next destination",
            {{"destination", address}, {"reason", std::string(why)}});
  }
}

RelayCounts Relay::Counts(std::size_t index) const {
  const Destination& destination = *destinations_[index];
  RelayCounts counts;
  counts.lines = destination.lines.load(std::memory_order_relaxed);
  counts.rerouted = destination.rerouted.load(std::memory_order_relaxed);
  for (std::size_t r = 0; r < kRelayDrops; ++r) {
    counts.dropped[r] = destination.dropped[r].load(std::memory_order_relaxed);
  }
  counts.checks_ok = destination.checks_ok.load(std::memory_order_relaxed);
  counts.checks_failed = destination.checks_failed.load(std::memory_order_relaxed);
  if (destination.tcp) {
    counts.lines += destination.tcp->sent();
    counts.dropped[static_cast<std::size_t>(RelayDrop::kSendError)] += destination.tcp->send_errors();
  }
  counts.up = (up_mask() >> index) & 1;
  return counts;
}

void Relay::Visit(FamilyVisitor& visitor) const {
  std::vector<RelayCounts> counts;
  for (std::size_t i = 0; i < destinations_.size(); ++i) counts.push_back(Counts(i));
  auto each = [&](auto&& sample) {
    for (std::size_t i = 0; i < destinations_.size(); ++i) {
      sample(std::string_view(destinations_[i]->config.address), counts[i]);
    }
  };
  visitor.Family("metricsd_statsd_relay_lines_total",
                 "StatsD lines relayed to each destination (handed to the kernel for udp, "
                 "written for tcp).",
                 MetricType::kCounter);
  each([&](std::string_view address, const RelayCounts& c) {
    Label labels[] = {{"destination", address}};
    visitor.Sample(labels, static_cast<double>(c.lines));
  });
  visitor.Family("metricsd_statsd_relay_dropped_total",
                 "StatsD lines the relay dropped, by destination and reason (queue_full, "
                 "send_error, no_destination, line_too_long).",
                 MetricType::kCounter);
  each([&](std::string_view address, const RelayCounts& c) {
    for (std::size_t r = 0; r < kRelayDrops; ++r) {
      Label labels[] = {{"destination", address},
                        {"reason", kRelayDropReasons.Name(static_cast<RelayDrop>(r))}};
      visitor.Sample(labels, static_cast<double>(c.dropped[r]));
    }
  });
  visitor.Family("metricsd_statsd_relay_rerouted_lines_total",
                 "StatsD lines whose home is this destination, relayed to another one because "
                 "it was down.",
                 MetricType::kCounter);
  each([&](std::string_view address, const RelayCounts& c) {
    Label labels[] = {{"destination", address}};
    visitor.Sample(labels, static_cast<double>(c.rerouted));
  });
  visitor.Family("metricsd_statsd_relay_destination_up",
                 "1 when the destination receives its share of the lines, 0 while it is down.",
                 MetricType::kGauge);
  each([&](std::string_view address, const RelayCounts& c) {
    Label labels[] = {{"destination", address}};
    visitor.Sample(labels, c.up ? 1.0 : 0.0);
  });
  visitor.Family("metricsd_statsd_relay_health_checks_total",
                 "Health checks of each destination, by result (success, failure).",
                 MetricType::kCounter);
  each([&](std::string_view address, const RelayCounts& c) {
    Label ok[] = {{"destination", address}, {"result", "success"}};
    visitor.Sample(ok, static_cast<double>(c.checks_ok));
    Label failed[] = {{"destination", address}, {"result", "failure"}};
    visitor.Sample(failed, static_cast<double>(c.checks_failed));
  });
}

std::shared_ptr<const Source> Relay::MetricsSource() {
  return MakeFunctionSource("statsd_relay", [self = shared_from_this()](FamilyVisitor& visitor) {
    self->Visit(visitor);
  });
}

std::unique_ptr<RelayWriter> Relay::NewWriter() {
  return std::make_unique<RelayWriter>(shared_from_this());
}

RelayWriter::RelayWriter(std::shared_ptr<Relay> relay) : relay_(std::move(relay)) {
  outs_.resize(relay_->destinations_.size());
  for (std::size_t i = 0; i < outs_.size(); ++i) {
    const Relay::Destination& destination = *relay_->destinations_[i];
    outs_[i].batch.reserve(relay_->config_.max_packet_size);
    if (destination.tcp) continue;
    net::ip::udp::endpoint endpoint(destination.ip, destination.config.port);
    int fd = ::socket(endpoint.protocol().family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    // Connected: send() needs no address, and a refusal (ICMP port unreachable) comes back as
    // ECONNREFUSED on a later send, which tells the writer the aggregator is gone.
    if (fd >= 0 && ::connect(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0) {
      ::close(fd);
      fd = -1;
    }
    outs_[i].fd = fd;
  }
}

RelayWriter::~RelayWriter() {
  Flush();
  for (Out& out : outs_) {
    if (out.fd >= 0) ::close(out.fd);
  }
}

RelayWriter::Counts RelayWriter::Lines(std::string_view buffer) {
  Counts counts;
  while (!buffer.empty()) {
    std::size_t newline = buffer.find('\n');
    std::string_view line = buffer.substr(0, newline);
    if (!line.empty()) {
      ++counts.lines;
      if (Route(line)) ++counts.relayed;
    }
    if (newline == std::string_view::npos) break;
    buffer.remove_prefix(newline + 1);
  }
  return counts;
}

bool RelayWriter::Route(std::string_view line) {
  Relay& relay = *relay_;
  std::uint64_t key = SeriesKey(line, relay.parse_, scratch_);
  RendezvousPick pick = PickDestination(key, relay.seeds_, relay.up_mask());
  if (pick.chosen < 0) {
    relay.destinations_[pick.home]->Drop(RelayDrop::kNoDestination, 1);
    return false;
  }
  const Relay::Destination& destination = *relay.destinations_[pick.chosen];
  bool tcp = destination.tcp != nullptr;
  std::size_t max = relay.config_.max_packet_size;
  if (!tcp && line.size() > max) {
    relay.destinations_[pick.chosen]->Drop(RelayDrop::kLineTooLong, 1);
    return false;
  }
  if (pick.home != pick.chosen) ++outs_[pick.home].rerouted;
  Out& out = outs_[pick.chosen];
  // udp: '\n' between lines of a datagram; tcp: after every line (the stream needs it).
  std::size_t need = line.size() + (tcp || !out.batch.empty() ? 1 : 0);
  if (!out.batch.empty() && out.batch.size() + need > max) Send(pick.chosen);
  if (!tcp && !out.batch.empty()) out.batch.push_back('\n');
  out.batch.append(line);
  if (tcp) out.batch.push_back('\n');
  ++out.lines;
  return true;
}

void RelayWriter::Send(std::size_t index) {
  Out& out = outs_[index];
  Relay::Destination& destination = *relay_->destinations_[index];
  if (out.rerouted > 0) {
    destination.rerouted.fetch_add(out.rerouted, std::memory_order_relaxed);
    out.rerouted = 0;
  }
  if (out.batch.empty()) return;
  std::size_t lines = out.lines;
  out.lines = 0;
  if (destination.tcp) {
    if (!destination.tcp->Enqueue(out.batch, lines)) destination.Drop(RelayDrop::kQueueFull, lines);
    out.batch.clear();
    return;
  }
  std::uint64_t generation = destination.up_generation.load(std::memory_order_acquire);
  if (generation != out.generation && out.fd >= 0) {
    // Back up: a refusal this socket received while the aggregator was away is stale (this
    // writer's last datagram before the mark-down); reading SO_ERROR clears it, else the first
    // send would report it and mark the destination down again.
    out.generation = generation;
    int stale = 0;
    socklen_t length = sizeof stale;
    ::getsockopt(out.fd, SOL_SOCKET, SO_ERROR, &stale, &length);
  }
  ssize_t sent = out.fd < 0 ? -1 : ::send(out.fd, out.batch.data(), out.batch.size(), MSG_DONTWAIT);
  int error = sent < 0 ? (out.fd < 0 ? EBADF : errno) : 0;
  if (sent >= 0) {
    destination.lines.fetch_add(lines, std::memory_order_relaxed);
    out.batch.clear();
    return;
  }
  if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
    destination.Drop(RelayDrop::kQueueFull, lines);
    out.batch.clear();
    return;
  }
  if (error == ECONNREFUSED && relay_->Checked(index)) {
    // The aggregator is gone: mark it down and re-route this batch to the lines' next
    // choices, so only what was in flight before the refusal came back is lost.
    relay_->SendFailed(index);
    // A local copy: the re-routing may send (and re-route) other batches meanwhile.
    std::string refused;
    refused.swap(out.batch);
    Lines(refused);
    return;
  }
  destination.Drop(RelayDrop::kSendError, lines);
  out.batch.clear();
}

void RelayWriter::Flush() {
  for (std::size_t i = 0; i < outs_.size(); ++i) Send(i);
}

}  // namespace metricsd::statsd
