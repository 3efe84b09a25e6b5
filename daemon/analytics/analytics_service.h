// Runs analytics for the daemon on a thread of its own (never the io threads): refreshes the
// findings every analytics.interval, makes the scheduled reports (written to their directory
// and/or posted to webhooks), and answers the analytics routes. Reads only through a
// QueryEngine: the local engine over history, or analytics.source's remote API.
// The analytics database (annotations, versioned baselines, impact results, report runs) is
// DIRECTORY/analytics.db next to the history; if it cannot open, analytics still run without
// what it stores, and the reason is logged.
//
// Thread-safety: thread-safe. Configure() on start and each reload; everything else from any
// thread; the destructor stops the thread (a refresh in progress finishes first).
#pragma once

#include <condition_variable>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/analytics/analytics_config.h"
#include "daemon/analytics/analytics_db.h"
#include "daemon/analytics/annotation.h"
#include "daemon/analytics/detect.h"
#include "daemon/analytics/findings_source.h"
#include "daemon/analytics/query_engine.h"
#include "daemon/analytics/remote_query_engine.h"
#include "daemon/analytics/report_document.h"
#include "daemon/core/asio.h"
#include "daemon/core/mutex.h"
#include "daemon/core/route.h"

namespace metricsd::analytics {

class AnalyticsService {
 public:
  // `ioc` runs remote queries and webhooks (on the daemon's io threads); `directory` holds
  // analytics.db; `host` names the host in reports. `local_history`: whether `local` has a
  // history store behind it (history.enabled, fixed until restart). Without it and without
  // analytics.source there is nothing to analyse: the service then neither refreshes nor opens
  // analytics.db (a daemon with history off writes nothing to its data directory), until a
  // reload sets analytics.source.
  AnalyticsService(std::shared_ptr<query::QueryService> local, bool local_history,
                   net::io_context& ioc, std::string directory, std::string host);
  ~AnalyticsService();
  AnalyticsService(const AnalyticsService&) = delete;
  AnalyticsService& operator=(const AnalyticsService&) = delete;

  // Applies a (re)loaded section; the first call starts the thread.
  void Configure(std::shared_ptr<const AnalyticsConfig> config);

  std::shared_ptr<const Source> MetricsSource() const { return findings_; }
  std::vector<Finding> MetricsSourceFindings() const { return findings_->findings(); }
  RefreshStats RefreshStatistics() const { return findings_->stats(); }

  // Stores `annotation` (a DogStatsD event) on the analytics thread: cheap for the receiver
  // that calls it. Past kMaxPendingAnnotations waiting, it is dropped and counted.
  void AddAnnotationLater(Annotation annotation);
  static constexpr std::size_t kMaxPendingAnnotations = 1000;

  // The engine the config names (the local one, or analytics.source's remote API).
  std::unique_ptr<QueryEngine> Engine(const AnalyticsConfig& config);
  // A report made now (on demand and scheduled); nullopt for an unknown name.
  std::optional<ReportDocument> MakeReport(const std::string& name);
  AnalyticsDb* db() const;
  std::shared_ptr<const AnalyticsConfig> config() const;

  // Whether `config` has something to analyse: a local history or analytics.source.
  bool HasData(const AnalyticsConfig& config) const {
    return local_history_ || !config.source.url.empty();
  }
  // Whether analytics runs under `config`: findings refreshed, reports (scheduled and on
  // demand) and baselines served; the dashboard's features.analytics. Enabled, with data.
  // (Annotations need only the database, which opens once there is data.)
  bool Active(const AnalyticsConfig& config) const { return config.enabled && HasData(config); }
  // Why analytics is not Active under `config`, for an API answer; empty when it is.
  std::string WhyInactive(const AnalyticsConfig& config) const;

 private:
  void Loop();
  void Refresh(const std::shared_ptr<const AnalyticsConfig>& config, FindingsRefresher& refresher);
  void RunScheduledReport(const AnalyticsConfig& config, const ReportConfig& report);
  void StorePendingAnnotations();
  void OpenDb();

  const std::shared_ptr<query::QueryService> local_;
  const bool local_history_;
  net::io_context& ioc_;
  RemoteEngineCache remote_engines_{ioc_};  // one remote engine's connections across analyses
  const std::string directory_;
  const std::string host_;
  const std::shared_ptr<FindingsSource> findings_ = std::make_shared<FindingsSource>();

  mutable Mutex mutex_;
  std::condition_variable_any wake_;
  std::shared_ptr<const AnalyticsConfig> config_ ABSL_GUARDED_BY(mutex_);
  bool reconfigured_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::unique_ptr<AnalyticsDb> db_ ABSL_GUARDED_BY(mutex_);
  std::vector<Annotation> pending_annotations_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace metricsd::analytics
