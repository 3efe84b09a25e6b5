#include "daemon/report_command.h"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "daemon/analytics/analytics_db.h"
#include "daemon/analytics/query_engine.h"
#include "daemon/analytics/remote_query_engine.h"
#include "daemon/analytics/report.h"
#include "daemon/app.h"
#include "daemon/query/promql/store_queryable.h"
#include "daemon/storage/store.h"
#include "daemon/core/duration.h"

namespace metricsd {
namespace {

storage::StoreOptions StoreOptionsFor(const Config& config, std::string directory) {
  storage::StoreOptions options;
  options.directory = std::move(directory);
  options.raw_retention = config.history.retention.raw;
  options.minute_retention = config.history.retention.minute;
  options.hour_retention = config.history.retention.hour;
  options.max_bytes = static_cast<std::uint64_t>(config.history.retention.size);
  options.max_series = static_cast<std::size_t>(config.history.max_series);
  return options;
}

}  // namespace

int RunReportCommand(const Flags& flags) {
  std::shared_ptr<const Config> config;
  try {
    config = LoadConfigForFlags(flags);
  } catch (const std::exception& e) {
    std::cerr << "metricsd report: " << e.what() << "\n";
    return 1;
  }
  const analytics::AnalyticsConfig& analytics = config->analytics;
  const analytics::ReportConfig* report = nullptr;
  for (const auto& r : analytics.reports) {
    if (r.name == flags.report_name) report = &r;
  }
  if (report == nullptr) {
    std::cerr << "metricsd report: no report named \"" << flags.report_name
              << "\" in analytics.reports of " << config->file << "\n";
    return 1;
  }
  const std::string directory = HistoryDirectory(flags, *config);
  net::io_context ioc;
  auto work = net::make_work_guard(ioc);
  std::thread io([&ioc] { ioc.run(); });
  struct Joiner {
    net::io_context& ioc;
    std::thread& thread;
    decltype(work)& guard;
    ~Joiner() {
      guard.reset();
      ioc.stop();
      thread.join();
    }
  } joiner{ioc, io, work};

  std::unique_ptr<analytics::QueryEngine> engine;
  std::shared_ptr<storage::Store> store;
  if (!analytics.source.url.empty()) {
    engine = analytics::MakeRemoteQueryEngine(ioc, analytics.source);
  } else {
    std::string error, warning;
    store = storage::Store::Open(StoreOptionsFor(*config, directory), &error, &warning);
    if (!store) {
      std::cerr << "metricsd report: cannot open the history under " << directory << ": " << error
                << "\n";
      return 1;
    }
    if (!warning.empty()) std::cerr << "metricsd report: " << warning << "\n";
    engine = analytics::MakeQueryableEngine(
        std::make_shared<query::promql::StoreQueryable>(store),
        query::EngineOptionsFrom(config->query));
  }
  std::unique_ptr<analytics::AnalyticsDb> db;
  try {
    db = analytics::AnalyticsDb::Open(directory);
  } catch (const std::exception& e) {
    std::cerr << "metricsd report: without annotations and stored baselines: " << e.what() << "\n";
  }
  char hostname[256] = "localhost";
  ::gethostname(hostname, sizeof hostname - 1);
  const auto now = WallClockMillis();
  analytics::AnalysisContext context{
      .engine = *engine, .config = analytics, .now = now, .db = db.get()};
  analytics::ReportDocument document = analytics::BuildReport(context, *report, hostname);
  std::cout << analytics::RenderReport(document, flags.report_format);
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace metricsd
