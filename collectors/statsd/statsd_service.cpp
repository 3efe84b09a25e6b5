#include "collectors/statsd/statsd_service.h"

#include "collectors/statsd/statsd_source.h"
#include "daemon/core/logging.h"

namespace metricsd::statsd {
namespace {

IngestSettings SettingsFrom(const StatsdConfig& config) {
  IngestSettings settings;
  settings.mapper = config.mapper;
  settings.parse = config.parse;
  settings.max_line_length = config.max_line_length;
  settings.line_cache_size = config.line_cache_size;
  settings.limits = config.limits;
  return settings;
}

void SetTcpLimits(const StatsdConfig& config, TcpLimits& limits) {
  limits.max_connections.store(config.tcp_max_connections, std::memory_order_relaxed);
  limits.idle_timeout_ms.store(
      std::chrono::duration_cast<std::chrono::milliseconds>(config.tcp_idle_timeout).count(),
      std::memory_order_relaxed);
}

// How often series are checked against their ttl.
constexpr auto kExpiryPeriod = std::chrono::seconds(1);

}  // namespace

StatsdService::StatsdService(net::io_context& ioc, const StatsdConfig& config, std::string procfs)
    : ioc_(ioc),
      procfs_(std::move(procfs)),
      listener_configs_(config.listeners),
      receivers_(config.EffectiveReceivers()),
      aggregator_(std::make_shared<Aggregator>(SettingsFrom(config), config.max_series,
                                               config.max_series_bytes)),
      relay_config_(config.relay),
      relay_(config.relay.enabled() ? Relay::Create(ioc, config.relay, config.parse) : nullptr),
      io_ingester_(std::make_shared<SharedIngester>(aggregator_, relay_)) {
  SetTcpLimits(config, *tcp_limits_);
  for (const ListenerConfig& listener : config.listeners) {
    switch (listener.kind) {
      case ListenerConfig::Kind::kUdp: {
        auto udp = std::make_unique<UdpReceivers>(*aggregator_, listener.address, receivers_,
                                                  config.read_buffer, relay_);
        ListenAddress bound = listener.address;
        bound.port = udp->port();
        bound_.push_back("udp://" + bound.ToString());
        // Linux reports twice the size set (it counts its bookkeeping): less means capped.
        if (config.read_buffer > 0 && udp->granted_read_buffer() < 2 * config.read_buffer) {
          LogWarn("statsd.read_buffer capped by the kernel; raise net.core.rmem_max "
                  "(systemd/sysctl.d/50-metricsd.conf) or bursts may be dropped",
                  {{"requested", std::to_string(config.read_buffer)},
                   {"granted", std::to_string(udp->granted_read_buffer() / 2)}});
        }
        udp_.push_back(std::move(udp));
        break;
      }
      case ListenerConfig::Kind::kTcp: {
        auto tcp = std::make_shared<TcpListener>(ioc_, listener.address, io_ingester_, tcp_limits_);
        ListenAddress bound = listener.address;
        bound.port = tcp->port();
        bound_.push_back("tcp://" + bound.ToString());
        tcp_.push_back(std::move(tcp));
        break;
      }
      case ListenerConfig::Kind::kUnixgram:
        unixgram_.push_back(std::make_shared<UnixgramListener>(ioc_, listener, io_ingester_));
        bound_.push_back(listener.ToString());
        break;
    }
  }
}

StatsdService::~StatsdService() { Stop(); }

void StatsdService::Start() {
  for (auto& udp : udp_) udp->Start();
  for (auto& tcp : tcp_) tcp->Start();
  for (auto& unixgram : unixgram_) unixgram->Start();
  expiry_timer_ = std::make_unique<net::steady_timer>(ioc_);
  ScheduleExpiry();
  if (relay_) relay_->Start();
}

void StatsdService::Stop() {
  for (auto& udp : udp_) udp->Stop();
  for (auto& tcp : tcp_) tcp->Stop();
  for (auto& unixgram : unixgram_) unixgram->Stop();
  if (expiry_timer_) expiry_timer_->cancel();
  if (relay_) relay_->Stop();
}

void StatsdService::ScheduleExpiry() {
  expiry_timer_->expires_after(kExpiryPeriod);
  expiry_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    aggregator_->ExpireStale(SteadyMillis());
    ScheduleExpiry();
  });
}

bool StatsdService::Configure(const StatsdConfig& config) {
  aggregator_->Configure(SettingsFrom(config), config.max_series, config.max_series_bytes);
  SetTcpLimits(config, *tcp_limits_);
  return config.listeners == listener_configs_ && config.EffectiveReceivers() == receivers_ &&
         config.relay == relay_config_;
}

std::vector<std::shared_ptr<const Source>> StatsdService::Sources() const {
  std::vector<std::uint64_t> inodes;
  for (const auto& udp : udp_) {
    for (std::uint64_t inode : udp->SocketInodes()) inodes.push_back(inode);
  }
  std::function<std::uint64_t()> kernel_drops;
  if (!inodes.empty()) {
    kernel_drops = [procfs = procfs_, inodes] { return UdpKernelDrops(procfs, inodes); };
  }
  std::vector<std::shared_ptr<const Source>> sources = {
      std::make_shared<StatsdSource>(aggregator_),
      std::make_shared<StatsdSelfSource>(aggregator_, std::move(kernel_drops))};
  if (relay_) sources.push_back(relay_->MetricsSource());
  return sources;
}

Ingester::Counts StatsdService::IngestHttp(std::string_view body) {
  Ingester& ingester = io_ingester_->get();
  Ingester::Batch batch(ingester);
  ++ingester.stats().http_requests;
  Ingester::Counts counts;
  if (RelayWriter* relay = io_ingester_->relay()) {
    RelayWriter::Counts relayed = relay->Lines(body);
    relay->Flush();
    counts.accepted = relayed.relayed;
    counts.rejected = relayed.lines - relayed.relayed;
    if (!io_ingester_->aggregate()) ingester.stats().lines += relayed.lines;
  }
  if (io_ingester_->aggregate()) counts = ingester.Lines(body);
  return counts;
}

}  // namespace metricsd::statsd
