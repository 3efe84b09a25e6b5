// The daemon: wires config, Sources, the HTTP server, signals and systemd together, and owns
// reload and shutdown. main.cpp only parses flags and calls in here.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "collectors/probes/prober.h"
#include "collectors/statsd/statsd_service.h"
#include "daemon/alerting/rule_manager.h"
#include "daemon/analytics/analytics_service.h"
#include "daemon/config/config.h"
#include "daemon/core/mutex.h"
#include "daemon/core/route.h"
#include "daemon/core/snapshot.h"
#include "daemon/export/remote_write_service.h"
#include "daemon/core/source_set.h"
#include "daemon/flags.h"
#include "daemon/http/router.h"
#include "daemon/http/server.h"
#include "daemon/http/web_security.h"
#include "daemon/limits/load_shedder.h"
#include "daemon/query/history_api.h"
#include "daemon/query/query_service.h"
#include "daemon/scaling/scaling_advisor.h"
#include "daemon/self_metrics.h"
#include "daemon/storage/history_service.h"
#include "daemon/storage/series_key.h"
#include "daemon/systemd_notifier.h"
#include "daemon/web/dashboard_routes.h"

namespace metricsd {

// Loads the config the flags name: --config.file if given; else the default path if it exists;
// else the embedded default. Applies --web.listen-address. Throws ConfigError.
std::shared_ptr<const Config> LoadConfigForFlags(const Flags& flags);

// Loads the web-config file --web.config.file names, else web.config_file (relative to the
// config file); the default (plain HTTP, no auth) when neither does. Throws ConfigError.
WebSecurityPtr LoadWebSecurityForFlags(const Flags& flags, const Config& config);

// Reads ALERTS_FOR_STATE back from history for the rule manager's restore after a restart.
// `history` must outlive the rule manager's evaluations.
alerting::RuleManager::ForStateHistory ForStateFromHistory(const storage::HistoryService* history);

// A DogStatsD event as an annotation (statsd/event.h says what it keeps), at its time or now.
analytics::Annotation AnnotationOfEvent(const statsd::StatsdEvent& event);

// The history store's directory: --storage.path, else history.path, else data/ in the working
// directory (Prometheus's default).
std::string HistoryDirectory(const Flags& flags, const Config& config);

// Thread-safety: Run() is called once, from main's thread; everything else runs on the
// io_context (signals, routes) and is thread-safe as the routes require.
class App {
 public:
  explicit App(Flags flags);
  ~App();

  // Serves until SIGTERM or SIGINT; returns the process exit code. A bad config at start-up
  // is fatal (exit 1), as is an address that cannot be bound.
  int Run();

  // Every route the daemon serves: its own and each component's, in the order the index page
  // and the README list them. Before Run() the components do not exist yet: the list then only
  // describes the routes (print_docs), its handlers must not be called.
  Routes AllRoutes();

  // The daemon's one PromQL engine over history (the query API, the rule manager).
  std::shared_ptr<query::QueryService> query_service() const { return query_service_; }

 private:
  // Loads, validates and builds everything new, then swaps it in; on any error keeps the
  // running config. Thread-safe; concurrent reloads are serialised.
  bool Reload(std::string& error);
  SourceSetPtr BuildSources(const Config& config);
  void InstallRoutes();
  Routes OwnRoutes();
  void WaitForSignal();
  void Shutdown();
  void WaitForConnectionsToDrain(std::chrono::steady_clock::time_point deadline);

  HttpResponse ServeMetrics(const HttpRequest& request) const;
  HttpResponse ServeReload(const HttpRequest& request);
  web::DashboardView DashboardView() const;
  HttpResponse ServeConfig(const HttpRequest& request) const;
  // Starts StatsD ingestion if the config enables it; false (logged) if a listener fails.
  bool StartStatsd(const Config& config);
  // Applies a reloaded statsd section to the running service (or warns what needs a restart).
  void ReconfigureStatsd(const Config& config);
  // Starts or reconfigures rule evaluation and alert delivery.
  void ConfigureAlerting(const std::shared_ptr<const Config>& config);
  // Starts or reconfigures analytics (findings refresh, scheduled reports).
  void ConfigureAnalytics(const std::shared_ptr<const Config>& config);
  // Applies remote_write, limits and scaling (issue 16's sections), at start and on reload.
  void ConfigureScaleAndLoad(const std::shared_ptr<const Config>& config);

  Flags flags_;
  std::unique_ptr<net::io_context> ioc_;
  SelfMetrics self_metrics_;
  Router router_;
  Routes index_;  // what the index page lists (handlers dropped); set before serving
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<statsd::StatsdService> statsd_;
  std::shared_ptr<probes::Prober> prober_;
  std::shared_ptr<alerting::RuleManager> alerting_;
  std::unique_ptr<storage::HistoryService> history_;
  std::shared_ptr<query::QueryService> query_service_;  // answers "unavailable" without history_
  std::unique_ptr<analytics::AnalyticsService> analytics_;  // its own thread; reads query_service_
  std::unique_ptr<remote::RemoteWriteService> remote_write_;  // reads history_'s store
  std::unique_ptr<limits::LoadShedder> load_shedder_;
  std::unique_ptr<scaling::ScalingAdvisor> scaling_;  // reads query_service_
  std::string external_url_;  // http://HOSTNAME:PORT, once listening
  std::unique_ptr<SystemdNotifier> notifier_;
  std::unique_ptr<net::signal_set> signals_;
  std::unique_ptr<net::steady_timer> drain_timer_;
  Snapshot<Config> config_;
  Snapshot<SourceSet> sources_;
  Mutex reload_mutex_;  // serialises reloads (SIGHUP, POST /-/reload)
};

}  // namespace metricsd
