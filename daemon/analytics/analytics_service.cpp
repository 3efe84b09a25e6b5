#include "daemon/analytics/analytics_service.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "daemon/analytics/remote_query_engine.h"
#include "daemon/analytics/report.h"
#include "daemon/analytics/report_delivery.h"
#include "daemon/core/duration.h"
#include "daemon/core/logging.h"
#include "daemon/analytics/numbers.h"

namespace metricsd::analytics {
namespace {

std::int64_t Ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

AnalyticsService::AnalyticsService(std::shared_ptr<query::QueryService> local, bool local_history,
                                   net::io_context& ioc, std::string directory, std::string host)
    : local_(std::move(local)),
      local_history_(local_history),
      ioc_(ioc),
      directory_(std::move(directory)),
      host_(std::move(host)) {}

AnalyticsService::~AnalyticsService() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AnalyticsService::Configure(std::shared_ptr<const AnalyticsConfig> config) {
  bool start = false;
  {
    MutexLock lock(mutex_);
    config_ = std::move(config);
    reconfigured_ = true;
    start = !thread_.joinable();
  }
  wake_.notify_all();
  if (start) thread_ = std::thread([this] { Loop(); });
}

std::shared_ptr<const AnalyticsConfig> AnalyticsService::config() const {
  MutexLock lock(mutex_);
  return config_;
}

AnalyticsDb* AnalyticsService::db() const {
  MutexLock lock(mutex_);
  return db_.get();
}

std::unique_ptr<QueryEngine> AnalyticsService::Engine(const AnalyticsConfig& config) {
  if (config.source.url.empty()) return MakeLocalQueryEngine(local_);
  return remote_engines_.Engine(config.source);
}

std::string AnalyticsService::WhyInactive(const AnalyticsConfig& config) const {
  if (!config.enabled) return "analytics is off (analytics.enabled: false)";
  if (!HasData(config)) return "analytics has nothing to read: history is off and analytics.source is unset";
  return {};
}

std::optional<ReportDocument> AnalyticsService::MakeReport(const std::string& name) {
  std::shared_ptr<const AnalyticsConfig> config = this->config();
  if (!config) return std::nullopt;
  auto it = std::find_if(config->reports.begin(), config->reports.end(),
                         [&](const ReportConfig& r) { return r.name == name; });
  if (it == config->reports.end()) return std::nullopt;
  std::unique_ptr<QueryEngine> engine = Engine(*config);
  AnalysisContext context{.engine = *engine, .config = *config, .now = WallClockMillis(), .db = db()};
  return BuildReport(context, *it, host_);
}

void AnalyticsService::AddAnnotationLater(Annotation annotation) {
  {
    MutexLock lock(mutex_);
    if (pending_annotations_.size() >= kMaxPendingAnnotations) {
      findings_->CountAnnotation(false);
      return;
    }
    pending_annotations_.push_back(std::move(annotation));
  }
  wake_.notify_all();
}

void AnalyticsService::StorePendingAnnotations() {
  std::vector<Annotation> pending;
  AnalyticsDb* db = nullptr;
  {
    MutexLock lock(mutex_);
    pending.swap(pending_annotations_);
    db = db_.get();
  }
  for (Annotation& annotation : pending) {
    bool stored = false;
    if (db != nullptr) {
      try {
        db->AddAnnotation(std::move(annotation));
        stored = true;
      } catch (const std::exception& e) {
        LogDebug("annotation not stored", {{"err", e.what()}});
      }
    }
    findings_->CountAnnotation(stored);
  }
}

void AnalyticsService::OpenDb() {
  try {
    std::unique_ptr<AnalyticsDb> db = AnalyticsDb::Open(directory_);
    MutexLock lock(mutex_);
    db_ = std::move(db);
  } catch (const std::exception& e) {
    LogError("analytics database cannot open: annotations, stored baselines and report runs "
             "are off; findings and reports still work",
             {{"err", e.what()}});
  }
}

void AnalyticsService::Loop() {
  bool db_tried = false;  // one attempt: a failure is logged once, not every wake-up
  bool idle_logged = false;
  Timestamp next_refresh = WallClockMillis();
  std::map<std::string, Timestamp> due;  // scheduled reports by name
  FindingsRefresher refresher;  // remade on reconfiguration (slow_interval may change)
  for (;;) {
    std::shared_ptr<const AnalyticsConfig> config;
    {
      MutexLock lock(mutex_);
      if (stopping_) return;
      config = config_;
      if (reconfigured_) {
        reconfigured_ = false;
        refresher = FindingsRefresher(Ms(config->slow_interval));
        due.clear();
        for (const ReportConfig& report : config->reports) {
          if (auto at = NextReportRun(report, WallClockMillis())) due[report.name] = *at;
        }
        next_refresh = std::min(next_refresh, WallClockMillis() + Ms(config->interval));
      }
    }
    // Without data analytics runs as if disabled (no refresh, no scheduled report) and does
    // not open its database, so annotations are counted as dropped.
    const bool has_data = HasData(*config);
    const bool active = Active(*config);
    if (!has_data && !idle_logged) {
      LogInfo("analytics is idle: history is off and analytics.source is unset");
      idle_logged = true;
    }
    if (has_data && !db_tried) {
      OpenDb();
      db_tried = true;
    }
    StorePendingAnnotations();
    const Timestamp now = WallClockMillis();
    if (active && now >= next_refresh) {
      Refresh(config, refresher);
      next_refresh = WallClockMillis() + Ms(config->interval);
    }
    for (const ReportConfig& report : config->reports) {
      auto it = due.find(report.name);
      if (it == due.end() || WallClockMillis() < it->second) continue;
      if (active) RunScheduledReport(*config, report);
      it->second = NextReportRun(report, WallClockMillis()).value_or(std::numeric_limits<Timestamp>::max());
    }
    Timestamp wake_at = active ? next_refresh : std::numeric_limits<Timestamp>::max();
    for (const auto& [name, at] : due) wake_at = std::min(wake_at, at);
    const auto deadline = std::chrono::system_clock::time_point(std::chrono::milliseconds(
        std::min<Timestamp>(wake_at, WallClockMillis() + 3600 * 1000)));
    MutexLock lock(mutex_);
    wake_.wait_until(mutex_, deadline, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return stopping_ || reconfigured_ || !pending_annotations_.empty();
    });
  }
}

void AnalyticsService::Refresh(const std::shared_ptr<const AnalyticsConfig>& config,
                               FindingsRefresher& refresher) {
  const auto began = std::chrono::steady_clock::now();
  std::unique_ptr<QueryEngine> engine = Engine(*config);
  const Timestamp now = WallClockMillis();
  AnalysisContext context{.engine = *engine, .config = *config, .now = now, .start = now,
                          .end = now, .db = db()};
  DetectOutcome outcome = refresher.Refresh(context);
  RefreshStats stats = findings_->stats();
  stats.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  stats.last_timestamp_seconds = static_cast<double>(WallClockMillis()) / 1000;
  ++stats.refreshes;
  stats.errors += outcome.errors.size();
  for (const std::string& error : outcome.errors) {
    LogDebug("analytics method failed", {{"err", error}});
  }
  findings_->Publish(std::move(outcome.findings), stats);
}

void AnalyticsService::RunScheduledReport(const AnalyticsConfig& config, const ReportConfig& report) {
  std::unique_ptr<QueryEngine> engine = Engine(config);
  const Timestamp now = WallClockMillis();
  AnalyticsDb* db = this->db();
  AnalysisContext context{.engine = *engine, .config = config, .now = now, .db = db};
  ReportDocument document = BuildReport(context, report, host_);
  std::map<std::string, std::string> rendered;  // by format: each rendered once
  auto render = [&](const std::string& format) -> const std::string& {
    auto it = rendered.find(format);
    if (it == rendered.end()) it = rendered.emplace(format, RenderReport(document, format)).first;
    return it->second;
  };
  auto record = [&](const std::string& format, const std::string& outcome) {
    if (db == nullptr) return;
    try {
      db->RecordReportRun(report.name, now, format, outcome);
    } catch (const std::exception& e) {
      LogDebug("report run not recorded", {{"err", e.what()}});
    }
  };
  if (!report.directory.empty()) {
    for (const std::string& format : report.formats) {
      std::string outcome = "success";
      try {
        std::string path = WriteReport(report, format, render(format), now);
        LogInfo("report written", {{"report", report.name}, {"path", path}});
      } catch (const std::exception& e) {
        outcome = e.what();
        LogError("report not written", {{"report", report.name}, {"err", e.what()}});
      }
      findings_->CountReport(outcome == "success");
      record(format, outcome);
    }
  }
  // Each webhook gets one POST, in its own format.
  for (const WebhookTarget& webhook : report.webhooks) {
    PostReport(ioc_, webhook, render(webhook.format), std::string(ReportContentType(webhook.format)),
               [findings = findings_, name = report.name](PostResult result) {
                 findings->CountReport(result.ok);
                 if (!result.ok) {
                   LogError("report not delivered", {{"report", name}, {"err", result.error}});
                 }
               });
    record(webhook.format, "posted to a webhook");
  }
}

}  // namespace metricsd::analytics
