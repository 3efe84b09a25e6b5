#include "daemon/app.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "collectors/host/host_poller.h"
#include "collectors/statsd/statsd_routes.h"
#include "daemon/analytics/analytics_api.h"
#include "daemon/build_info.h"
#include "daemon/core/duration.h"
#include "daemon/core/logging.h"
#include "daemon/core/text_writer.h"
#include "daemon/http/gzip.h"
#include "daemon/http/web_config_file.h"
#include "daemon/process_source.h"
#include "daemon/query/promql/store_queryable.h"
#include "daemon/query/query_api.h"

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

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
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
  if (flags.udev_data) config.host.paths.udev_data = *flags.udev_data;
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

App::App(Flags flags)
    : flags_(std::move(flags)),
      query_service_(std::make_shared<query::QueryService>(
          [this]() -> std::shared_ptr<query::promql::Queryable> {
            std::shared_ptr<storage::Store> store = history_ ? history_->store() : nullptr;
            if (store == nullptr) return nullptr;
            return std::make_shared<query::promql::StoreQueryable>(std::move(store));
          },
          query::promql::EngineOptions{})) {}

App::~App() {
  // Handlers still running on the server's workers use everything below.
  if (server_) server_->JoinWorkers();
  analytics_.reset();  // its thread may post remote queries to the io_context
  scaling_.reset();
  remote_write_.reset();
  load_shedder_.reset();
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

alerting::RuleManager::ForStateHistory ForStateFromHistory(const storage::HistoryService* history) {
  alerting::RuleManager::ForStateHistory out;
  out.ready = [history] { return history->store() != nullptr; };
  out.last = [history](const alerting::LabelMap& labels, double mint,
                       double maxt) -> std::optional<std::pair<double, double>> {
    std::shared_ptr<storage::Store> store = history->store();
    if (!store) return std::nullopt;
    storage::SeriesKeyBuilder builder;
    builder.Reset("ALERTS_FOR_STATE");
    for (const auto& [name, value] : labels) builder.Add(name, value);
    std::optional<std::string_view> key = builder.Finish();
    std::optional<storage::SeriesRef> ref = key ? store->Find(*key) : std::nullopt;
    if (!ref) return std::nullopt;
    std::vector<storage::Sample> samples;
    store->RawSamples(*ref, static_cast<storage::Timestamp>(mint * 1000),
                      static_cast<storage::Timestamp>(maxt * 1000), samples);
    for (auto it = samples.rbegin(); it != samples.rend(); ++it) {
      if (!storage::IsStaleMarker(it->v)) return std::make_pair(it->v, static_cast<double>(it->t) / 1000);
    }
    return std::nullopt;
  };
  return out;
}

analytics::Annotation AnnotationOfEvent(const statsd::StatsdEvent& event) {
  analytics::Annotation annotation;
  annotation.time = statsd::EventTimeMs(event, WallClockMillis());
  annotation.time_end = annotation.time;
  annotation.text = statsd::EventAnnotationText(event);
  annotation.tags = statsd::EventAnnotationTags(event);
  annotation.source = "dogstatsd";
  return annotation;
}

std::string HistoryDirectory(const Flags& flags, const Config& config) {
  if (flags.storage_path) return *flags.storage_path;
  if (!config.history.path.empty()) return config.history.path;
  return "data";
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
  if (alerting_ && config.alerting.expose_recording_rules) {
    sources.push_back(alerting_->RecordingSource());
  }
  if (history_) sources.push_back(history_->MetricsSource());
  if (analytics_) sources.push_back(analytics_->MetricsSource());
  if (remote_write_) sources.push_back(remote_write_->MetricsSource());
  if (load_shedder_) sources.push_back(load_shedder_->MetricsSource());
  if (scaling_) sources.push_back(scaling_->MetricsSource());
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
  query_service_->SetOptions(query::EngineOptionsFrom(config->query));
  prober_ = std::make_shared<probes::Prober>(*ioc_);
  // Rules read the Sources through the same published set /metrics serves.
  alerting_ = std::make_shared<alerting::RuleManager>(*ioc_, [this] { return sources_.Load(); });
  // The sampler also records the recording rules' results, on /metrics or not.
  history_ = std::make_unique<storage::HistoryService>(
      config->history, HistoryDirectory(flags_, *config),
      [this] { return alerting_->WithRecordingSource(sources_.Load()); });
  alerting_->SetForStateHistory(ForStateFromHistory(history_.get()));
  alerting_->SetQueryService(query_service_);  // rules are PromQL over history
  {
    char hostname[256] = "localhost";
    ::gethostname(hostname, sizeof hostname - 1);
    analytics_ = std::make_unique<analytics::AnalyticsService>(
        query_service_, config->history.enabled, *ioc_, HistoryDirectory(flags_, *config), hostname);
  }
  remote_write_ = std::make_unique<remote::RemoteWriteService>(
      *ioc_, [this]() -> std::shared_ptr<storage::Store> { return history_ ? history_->store() : nullptr; },
      HistoryDirectory(flags_, *config));
  load_shedder_ = std::make_unique<limits::LoadShedder>(*ioc_);
  scaling_ = std::make_unique<scaling::ScalingAdvisor>(*ioc_, query_service_);
  if (statsd_) {
    statsd_->SetEventSink([analytics = analytics_.get()](statsd::StatsdEvent event) {
      analytics->AddAnnotationLater(AnnotationOfEvent(event));
    });
  }
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
  history_->Start();  // opens the store on its own thread: a long load delays nothing
  ConfigureAnalytics(config);
  ConfigureScaleAndLoad(config);
  notifier_->Ready();
  notifier_->StartWatchdog();

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([this] { ioc_->run(); });
  ioc_->run();
  for (auto& thread : pool) thread.join();
  analytics_.reset();  // a refresh in progress finishes (its queries are bounded)
  history_.reset();  // stops sampling and writes the last flush
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
  scaling_->Stop();
  remote_write_->Stop();
  load_shedder_->Stop();
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

bool App::StartStatsd(const Config& config) {
  if (!config.statsd.enabled) return true;
  try {
    statsd_ = std::make_unique<statsd::StatsdService>(*ioc_, config.statsd, config.host.paths.procfs);
  } catch (const std::exception& e) {
    LogError("cannot listen for StatsD", {{"err", e.what()}});
    return false;
  }
  LogInfo("statsd listening", {{"listeners", Join(statsd_->BoundListeners())},
                               {"receivers", std::to_string(config.statsd.EffectiveReceivers())}});
  return true;
}

void App::ReconfigureStatsd(const Config& config) {
  if (!statsd_) {
    if (config.statsd.enabled) LogWarn("statsd was enabled; it takes effect on restart");
    return;
  }
  if (!config.statsd.enabled) {
    LogWarn("statsd was disabled; it keeps running until restart");
    return;
  }
  if (!statsd_->Configure(config.statsd)) {
    LogWarn("statsd listeners or receivers changed; they take effect on restart",
            {{"running", Join(statsd_->BoundListeners())}});
  }
}

void App::ConfigureAlerting(const std::shared_ptr<const Config>& config) {
  // Shares ownership of the whole config: the section lives as long as the manager uses it.
  alerting_->Configure(std::shared_ptr<const alerting::AlertingConfig>(config, &config->alerting),
                       external_url_);
}

void App::ConfigureAnalytics(const std::shared_ptr<const Config>& config) {
  analytics_->Configure(
      std::shared_ptr<const analytics::AnalyticsConfig>(config, &config->analytics));
}

void App::ConfigureScaleAndLoad(const std::shared_ptr<const Config>& config) {
  load_shedder_->Configure(config->limits);
  remote_write_->Configure(config->remote_write);  // endpoints that stay keep their position
  scaling_->Configure(std::shared_ptr<const scaling::ScalingConfig>(config, &config->scaling));
}

bool App::Reload(std::string& error) {
  MutexLock lock(reload_mutex_);
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
  if (storage::HistorySection().Render(config->history) != storage::HistorySection().Render(old->history) ||
      HistoryDirectory(flags_, *config) != HistoryDirectory(flags_, *old)) {
    LogWarn("the history section changed; it takes effect on restart");
  }
  server_->SetLimits(LimitsFrom(*config));
  server_->SetSecurity(security);  // new connections use it; open ones keep theirs
  ReconfigureStatsd(*config);
  prober_->Configure(config->probes);  // targets that stay keep their histograms
  ConfigureAlerting(config);           // rules that stay keep their alerts
  ConfigureAnalytics(config);          // findings refresh on the new watches
  ConfigureScaleAndLoad(config);
  query_service_->SetOptions(query::EngineOptionsFrom(config->query));  // running queries finish
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
  Routes routes = AllRoutes();
  for (const Route& route : routes) {
    index_.push_back(
        Route{.path = route.path, .prefix = route.prefix, .methods = route.methods, .doc = route.doc});
  }
  router_.Add(std::move(routes));
}

Routes App::AllRoutes() {
  Routes routes = OwnRoutes();
  auto statsd_config = [this] {
    std::shared_ptr<const Config> config = config_.Load();
    return std::shared_ptr<const statsd::StatsdConfig>(config, &config->statsd);
  };
  Routes components = statsd::StatsdRoutes(statsd_config, statsd_.get());
  AppendRoutes(components, probes::ProberRoutes(prober_.get()));
  AppendRoutes(components, alerting::RuleManagerRoutes(alerting_.get()));
  AppendRoutes(components, query::HistoryApiRoutes([this]() -> std::shared_ptr<storage::Store> {
    return history_ ? history_->store() : nullptr;
  }));
  AppendRoutes(components, analytics::AnalyticsRoutes(analytics_.get()));
  AppendRoutes(components, scaling::ScalingRoutes(scaling_.get()));
  AppendRoutes(components, web::DashboardRoutes([this] { return DashboardView(); }, &index_));
  AppendRoutes(components, query::QueryApiRoutes(
                               {.service = query_service_,
                                .build_info = {.version = kVersion,
                                               .revision = kRevision,
                                               .branch = "",
                                               .build_user = "",
                                               .build_date = "",
                                               .go_version = kCompiler},
                                .sources = [this] { return sources_.Load(); },
                                .now = {}}));
  // Listed between the daemon's lifecycle routes and its status ones.
  auto status = std::find_if(routes.begin(), routes.end(), [](const Route& route) {
    return route.path == "/api/v1/status/config";
  });
  routes.insert(status, std::make_move_iterator(components.begin()),
                std::make_move_iterator(components.end()));
  return routes;
}

Routes App::OwnRoutes() {
  // Heavy routes render, compress or reload: they run on the server's workers, at most
  // web.max_requests at once, never on the io threads that answer /-/healthy.
  Routes routes;
  routes.push_back(Route{
      .path = "/metrics",
      .methods = {http::verb::get},
      .handler = [this](const HttpRequest& request) { return ServeMetrics(request); },
      .heavy = true,
      .doc = "Prometheus text format 0.0.4; gzip when the request sends "
             "`Accept-Encoding: gzip`"});
  routes.push_back(Route{
      .path = "/-/healthy",
      .methods = {http::verb::get},
      .handler = [](const HttpRequest& request) {
        return MakeResponse(request, http::status::ok, "metricsd is Healthy.\n");
      },
      .doc = "200 while the process runs"});
  routes.push_back(Route{
      .path = "/-/ready",
      .methods = {http::verb::get},
      .handler = [](const HttpRequest& request) {
        return MakeResponse(request, http::status::ok, "metricsd is Ready.\n");
      },
      .doc = "200 once serving"});
  routes.push_back(Route{
      .path = "/-/reload",
      .methods = {http::verb::post},
      .handler = [this](const HttpRequest& request) { return ServeReload(request); },
      .heavy = true,
      .doc = "with `--web.enable-lifecycle` only (403 `Lifecycle API is not enabled.` otherwise, "
             "as Prometheus): reload the config file; 200, or 500 with the error (the old config "
             "keeps running)"});
  routes.push_back(Route{
      .path = "/api/v1/status/config",
      .methods = {http::verb::get},
      .handler = [this](const HttpRequest& request) { return ServeConfig(request); },
      .heavy = true,
      .doc = "the running config as Prometheus serves it: "
             "`{\"status\":\"success\",\"data\":{\"file\",\"yaml\",\"config\"}}`, `config` the "
             "effective values with defaults filled in and `yaml` the same rendered as YAML (never "
             "the file's text); every secret (passwords, bearer tokens, every probe header value, "
             "probe bodies and dry-run `data`) shows as `<secret>`, a `*_file` path as itself"});
  return routes;
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

web::DashboardView App::DashboardView() const {
  std::shared_ptr<const Config> config = config_.Load();
  web::DashboardView view{.config_file = config->file,
                          .version = std::string(kVersion),
                          .revision = std::string(kRevision),
                          .history = config->history.enabled,
                          .analytics = analytics_ && analytics_->Active(config->analytics),
                          .alerting = true};
  if (config->dashboard.enabled) {
    view.config = std::shared_ptr<const web::DashboardConfig>(config, &config->dashboard);
  }
  for (const auto& report : config->analytics.reports) view.reports.push_back(report.name);
  return view;
}

HttpResponse App::ServeConfig(const HttpRequest& request) const {
  std::shared_ptr<const Config> config = config_.Load();
  nlohmann::json answer = {
      {"status", "success"},
      // The effective config, secrets masked, as Prometheus serves it: never the file's text.
      {"data", {{"file", config->file}, {"yaml", config->ToYaml()}, {"config", config->ToJson()}}}};
  return MakeResponse(request, http::status::ok, answer.dump() + "\n", "application/json");
}

}  // namespace metricsd
