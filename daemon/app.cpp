#include "daemon/app.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "collectors/host/host_poller.h"
#include "daemon/build_info.h"
#include "daemon/core/logging.h"
#include "daemon/core/text_writer.h"
#include "daemon/http/gzip.h"
#include "daemon/http/web_config_file.h"
#include "daemon/process_source.h"

namespace metricsd {
namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(5);

HttpLimits LimitsFrom(const Config& config) {
  const WebConfig& web = config.web;
  HttpLimits limits;
  // Browsers batch StatsD lines into POST /api/v1/statsd; nothing else takes a body.
  if (config.statsd.enabled) limits.body_limit = std::max<std::uint64_t>(limits.body_limit, config.statsd.http_max_body);
  limits.max_connections = web.max_connections;
  limits.max_requests = web.max_requests;
  limits.read_timeout = web.read_timeout;
  limits.write_timeout = web.write_timeout;
  return limits;
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// statsd_exporter's listener flags replace the config's listeners of their kind.
void OverrideStatsdListeners(const Flags& flags, statsd::StatsdConfig& config) {
  using Kind = statsd::ListenerConfig::Kind;
  auto replace = [&](const std::optional<std::string>& flag, Kind kind) {
    if (!flag) return;
    std::erase_if(config.listeners, [&](const auto& listener) { return listener.kind == kind; });
    if (flag->empty()) return;
    statsd::ListenerConfig listener{kind, {}, {}, 0660};
    if (kind == Kind::kUnixgram) listener.path = *flag;
    else listener.address = *ParseListenAddress(*flag);  // validated by ParseFlags
    config.listeners.push_back(std::move(listener));
  };
  replace(flags.statsd_udp, Kind::kUdp);
  replace(flags.statsd_tcp, Kind::kTcp);
  replace(flags.statsd_unixgram, Kind::kUnixgram);
}

}  // namespace

std::shared_ptr<const Config> LoadConfigForFlags(const Flags& flags) {
  Config config;
  if (!flags.config_file.empty()) {
    config = LoadConfigFile(flags.config_file);
  } else if (FileExists(std::string(kDefaultConfigPath))) {
    config = LoadConfigFile(std::string(kDefaultConfigPath));
  } else {
    LogInfo("no config file, using the embedded default",
            {{"missing", std::string(kDefaultConfigPath)}});
    config = LoadEmbeddedConfig();
  }
  if (flags.listen_address) config.web.listen_address = *flags.listen_address;
  if (flags.procfs) config.host.paths.procfs = *flags.procfs;
  if (flags.sysfs) config.host.paths.sysfs = *flags.sysfs;
  if (flags.rootfs) config.host.paths.rootfs = *flags.rootfs;
  OverrideStatsdListeners(flags, config.statsd);
  return std::make_shared<const Config>(std::move(config));
}

WebSecurityPtr LoadWebSecurityForFlags(const Flags& flags, const Config& config) {
  std::string path;
  if (flags.web_config_file) {
    path = *flags.web_config_file;
  } else if (!config.web.config_file.empty()) {
    // Found next to the config file that names it, like mapping and rule files.
    std::string dir = config.file == kEmbeddedConfigName ? "." : DirectoryOf(config.file);
    path = JoinDir(dir, config.web.config_file);
  }
  if (path.empty()) return std::make_shared<const WebSecurity>();
  return LoadWebSecurity(path);
}

App::App(Flags flags) : flags_(std::move(flags)) {}

App::~App() {
  // Handlers still running on the server's workers use everything below.
  if (server_) server_->JoinWorkers();
  // Every I/O object (timers, signal set, acceptor) must go before the io_context; sessions
  // still pending in it share their state with the server by shared_ptr, so order is safe.
  drain_timer_.reset();
  signals_.reset();
  statsd_.reset();
  prober_.reset();
  alerting_.reset();
  notifier_.reset();
  server_.reset();
  ioc_.reset();
}

SourceSetPtr App::BuildSources(const Config& config) {
  std::vector<std::shared_ptr<const Source>> sources;
  if (config.host.enabled) {
    // The first collection happens here, so the very first scrape has host data.
    auto poller = std::make_shared<host::HostPoller>(config.host);
    poller->CollectOnce();
    poller->Start();
    for (auto& source : poller->Sources()) sources.push_back(std::move(source));
  }
  sources.push_back(std::make_shared<ProcessSource>());
  if (statsd_) {
    for (auto& source : statsd_->Sources()) sources.push_back(std::move(source));
  }
  if (prober_) sources.push_back(prober_->MakeSource());
  if (alerting_) sources.push_back(alerting_->MakeSource());
  self_metrics_.AppendSources(server_ ? server_->stats() : nullptr, sources);
  return std::make_shared<const SourceSet>(std::move(sources));
}

int App::Run() {
  std::shared_ptr<const Config> config;
  WebSecurityPtr security;
  try {
    config = LoadConfigForFlags(flags_);
    security = LoadWebSecurityForFlags(flags_, *config);
  } catch (const ConfigError& e) {
    LogError("cannot load config", {{"err", e.what()}});
    return 1;
  }
  LogInfo("starting metricsd", {{"version", kVersion}, {"revision", kRevision},
                                {"config", config->file}});

  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
  ioc_ = std::make_unique<net::io_context>(static_cast<int>(threads));
  notifier_ = std::make_unique<SystemdNotifier>(*ioc_);
  server_ = std::make_unique<HttpServer>(*ioc_, router_, LimitsFrom(*config));
  server_->SetSecurity(security);

  if (!StartStatsd(*config)) return 1;
  prober_ = std::make_shared<probes::Prober>(*ioc_);
  // Rules read the Sources through the same published set /metrics serves.
  alerting_ = std::make_shared<alerting::RuleManager>(*ioc_, [this] { return sources_.Load(); });
  config_.Store(config);
  sources_.Store(BuildSources(*config));
  self_metrics_.RecordReload(true);
  InstallRoutes();
  // Before "listening" is logged: from then on, a signal must reach the handler, not kill us.
  signals_ = std::make_unique<net::signal_set>(*ioc_, SIGHUP, SIGTERM, SIGINT);
  WaitForSignal();

  try {
    net::ip::tcp::endpoint bound = server_->Listen(config->web.listen_address);
    std::string shown = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                : bound.address().to_string();
    LogInfo("listening", {{"address", shown + ":" + std::to_string(bound.port())}});
    char hostname[256] = "localhost";
    ::gethostname(hostname, sizeof hostname - 1);
    external_url_ = std::string(security->tls_context() ? "https://" : "http://") + hostname +
                    ":" + std::to_string(bound.port());
  } catch (const boost::system::system_error& e) {
    LogError("cannot listen", {{"address", config->web.listen_address.ToString()},
                               {"err", e.code().message()}});
    return 1;
  }
  server_->Start();
  if (statsd_) statsd_->Start();
  prober_->Configure(config->probes);
  ConfigureAlerting(config);
  notifier_->Ready();
  notifier_->StartWatchdog();

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([this] { ioc_->run(); });
  ioc_->run();
  for (auto& thread : pool) thread.join();
  LogInfo("stopped");
  return 0;
}

void App::WaitForSignal() {
  signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      std::string error;
      Reload(error);
      WaitForSignal();
      return;
    }
    LogInfo("received signal, shutting down", {{"signal", signal == SIGTERM ? "TERM" : "INT"}});
    Shutdown();
  });
}

void App::Shutdown() {
  notifier_->Stopping();
  notifier_->StopWatchdog();
  server_->Stop();
  if (statsd_) statsd_->Stop();
  prober_->Stop();
  alerting_->Stop();
  drain_timer_ = std::make_unique<net::steady_timer>(*ioc_);
  WaitForConnectionsToDrain(std::chrono::steady_clock::now() + kShutdownGrace);
}

void App::WaitForConnectionsToDrain(std::chrono::steady_clock::time_point deadline) {
  // In-flight responses finish; then (or at the deadline) the loop stops.
  if (server_->open_connections() == 0 || std::chrono::steady_clock::now() >= deadline) {
    if (server_->open_connections() > 0) {
      LogWarn("closing connections still open after the grace period",
              {{"open", std::to_string(server_->open_connections())}});
    }
    ioc_->stop();
    return;
  }
  drain_timer_->expires_after(std::chrono::milliseconds(20));
  drain_timer_->async_wait([this, deadline](const boost::system::error_code&) {
    WaitForConnectionsToDrain(deadline);
  });
}

void App::ConfigureAlerting(const std::shared_ptr<const Config>& config) {
  // Shares ownership of the whole config: the section lives as long as the manager uses it.
  alerting_->Configure(std::shared_ptr<const alerting::AlertingConfig>(config, &config->alerting),
                       external_url_);
}

bool App::Reload(std::string& error) {
  std::lock_guard lock(reload_mutex_);
  notifier_->Reloading();
  std::shared_ptr<const Config> config;
  SourceSetPtr sources;
  WebSecurityPtr security;
  try {
    config = LoadConfigForFlags(flags_);
    // A bad web-config fails the whole reload: the running TLS and users stay.
    security = LoadWebSecurityForFlags(flags_, *config);
    sources = BuildSources(*config);
  } catch (const std::exception& e) {
    error = e.what();
    self_metrics_.RecordReload(false);
    LogError("config reload failed, keeping the running config", {{"err", error}});
    notifier_->Ready();
    return false;
  }
  std::shared_ptr<const Config> old = config_.Load();
  if (config->web.listen_address.ToString() != old->web.listen_address.ToString()) {
    LogWarn("web.listen_address changed; it takes effect on restart",
            {{"running", old->web.listen_address.ToString()},
             {"configured", config->web.listen_address.ToString()}});
  }
  server_->SetLimits(LimitsFrom(*config));
  server_->SetSecurity(security);  // new connections use it; open ones keep theirs
  ReconfigureStatsd(*config);
  prober_->Configure(config->probes);  // targets that stay keep their histograms
  ConfigureAlerting(config);           // rules that stay keep their alerts
  config_.Store(config);
  sources_.Store(sources);
  self_metrics_.RecordReload(true);
  LogInfo("config reloaded", {{"config", config->file}});
  notifier_->Ready();
  return true;
}

void App::InstallRoutes() {
  router_.SetObserver([this](std::string_view handler, unsigned status, double seconds) {
    self_metrics_.ObserveHttpRequest(handler, status, seconds);
  });
  // Heavy routes render, compress, reload or ingest: they run on the server's workers, at
  // most web.max_requests at once, never on the io threads that answer /-/healthy.
  constexpr Router::Options kHeavy{.heavy = true};
  router_.Add(http::verb::get, "/metrics",
              [this](const HttpRequest& request) { return ServeMetrics(request); }, kHeavy);
  router_.Add(http::verb::get, "/-/healthy", [](const HttpRequest& request) {
    return MakeResponse(request, http::status::ok, "metricsd is Healthy.\n");
  });
  router_.Add(http::verb::get, "/-/ready", [](const HttpRequest& request) {
    return MakeResponse(request, http::status::ok, "metricsd is Ready.\n");
  });
  router_.Add(http::verb::post, "/-/reload",
              [this](const HttpRequest& request) { return ServeReload(request); }, kHeavy);
  router_.Add(http::verb::get, "/",
              [this](const HttpRequest& request) { return ServeIndex(request); });
  router_.Add(http::verb::post, "/api/v1/statsd",
              [this](const HttpRequest& request) { return ServeStatsd(request); }, kHeavy);
  router_.Add(http::verb::options, "/api/v1/statsd",
              [this](const HttpRequest& request) { return ServeStatsdPreflight(request); });
  router_.Add(http::verb::get, "/api/v1/targets",
              [this](const HttpRequest& request) { return ServeTargets(request); });
  router_.Add(http::verb::get, "/api/v1/alerts", [this](const HttpRequest& request) {
    return ServeJson(request, alerting_->AlertsJson());
  });
  router_.Add(http::verb::get, "/api/v1/rules", [this](const HttpRequest& request) {
    return ServeJson(request, alerting_->RulesJson());
  });
  router_.Add(http::verb::get, "/api/v1/status/config",
              [this](const HttpRequest& request) { return ServeConfig(request); }, kHeavy);
}

HttpResponse App::ServeMetrics(const HttpRequest& request) const {
  SourceSetPtr sources = sources_.Load();
  std::string body;
  body.reserve(64 * 1024);
  TextWriter writer(body);
  sources->Visit(writer);
  bool gzip = AcceptsGzip(request[http::field::accept_encoding]);
  HttpResponse response = MakeResponse(request, http::status::ok,
                                       gzip ? GzipCompress(body) : std::move(body),
                                       kTextFormatContentType);
  if (gzip) response.set(http::field::content_encoding, "gzip");
  response.set(http::field::vary, "Accept-Encoding");
  return response;
}

HttpResponse App::ServeReload(const HttpRequest& request) {
  // Prometheus's rule and words: any web page could otherwise reload us cross-origin.
  if (!flags_.enable_lifecycle) {
    return MakeResponse(request, http::status::forbidden, "Lifecycle API is not enabled.\n");
  }
  std::string error;
  if (Reload(error)) return MakeResponse(request, http::status::ok, "config reloaded\n");
  return MakeResponse(request, http::status::internal_server_error,
                      "failed to reload config: " + error + "\n");
}

HttpResponse App::ServeIndex(const HttpRequest& request) const {
  std::shared_ptr<const Config> config = config_.Load();
  std::string page =
      "<!DOCTYPE html>\n<html><head><title>metricsd</title></head><body>\n"
      "<h1>metricsd</h1>\n<p>Version " + std::string(kVersion) + " (" + kRevision +
      "), config <code>" + HtmlEscape(config->file) + "</code></p>\n<ul>\n"
      "<li><a href=\"/metrics\">/metrics</a>: Prometheus scrape endpoint</li>\n"
      "<li><a href=\"/api/v1/status/config\">/api/v1/status/config</a>: running config</li>\n"
      "<li>POST /api/v1/statsd: StatsD lines over HTTP</li>\n"
      "<li><a href=\"/api/v1/targets\">/api/v1/targets</a>: probe targets and their last results</li>\n"
      "<li><a href=\"/api/v1/alerts\">/api/v1/alerts</a>, <a href=\"/api/v1/rules\">/api/v1/rules</a>: "
      "alerts and alerting rules</li>\n"
      "<li><a href=\"/-/healthy\">/-/healthy</a>, <a href=\"/-/ready\">/-/ready</a></li>\n"
      "<li>POST /-/reload: reload the config file</li>\n</ul>\n</body></html>\n";
  return MakeResponse(request, http::status::ok, std::move(page), "text/html; charset=utf-8");
}

HttpResponse App::ServeTargets(const HttpRequest& request) const {
  return ServeJson(request, prober_->TargetsJson());
}

HttpResponse App::ServeJson(const HttpRequest& request, const nlohmann::json& answer) const {
  return MakeResponse(request, http::status::ok, answer.dump() + "\n", "application/json");
}

HttpResponse App::ServeConfig(const HttpRequest& request) const {
  std::shared_ptr<const Config> config = config_.Load();
  nlohmann::json answer = {
      {"status", "success"},
      // The effective config, secrets masked, as Prometheus serves it: never the file's text.
      {"data", {{"file", config->file}, {"yaml", config->ToYaml()}, {"config", config->ToJson()}}}};
  return ServeJson(request, answer);
}

}  // namespace metricsd
