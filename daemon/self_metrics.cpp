#include "daemon/self_metrics.h"

#include <chrono>
#include <string>

#include "daemon/build_info.h"
#include "daemon/core/collectable_source.h"

namespace metricsd {
namespace {

// Zero-allocation Source over the server's atomics.
class HttpServerSource final : public Source {
 public:
  explicit HttpServerSource(std::shared_ptr<const HttpServerStats> stats)
      : stats_(std::move(stats)) {}
  std::string_view Name() const override { return "http_server"; }
  void Visit(FamilyVisitor& visitor) const override {
    visitor.Family("metricsd_http_connections_open", "HTTP connections open now.",
                   MetricType::kGauge);
    visitor.Sample({}, static_cast<double>(stats_->connections_open.load()));
    visitor.Family("metricsd_http_connections_rejected_total",
                   "HTTP connections closed at once because web.max_connections were open.",
                   MetricType::kCounter);
    visitor.Sample({}, static_cast<double>(stats_->connections_rejected.load()));
    visitor.Family("metricsd_http_bad_requests_total",
                   "HTTP requests that could not be parsed, were too large or timed out.",
                   MetricType::kCounter);
    visitor.Sample({}, static_cast<double>(stats_->bad_requests.load()));
  }

 private:
  std::shared_ptr<const HttpServerStats> stats_;
};

}  // namespace

SelfMetrics::SelfMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      http_requests_(prometheus::BuildCounter()
                         .Name("metricsd_http_requests_total")
                         .Help("HTTP requests answered, by handler and status code.")
                         .Register(*registry_)),
      http_duration_(prometheus::BuildHistogram()
                         .Name("metricsd_http_request_duration_seconds")
                         .Help("Time to answer an HTTP request, by handler.")
                         .Register(*registry_)),
      reload_successful_(prometheus::BuildGauge()
                             .Name("metricsd_config_last_reload_successful")
                             .Help("Whether the last configuration reload attempt was successful.")
                             .Register(*registry_)
                             .Add({})),
      reload_success_timestamp_(
          prometheus::BuildGauge()
              .Name("metricsd_config_last_reload_success_timestamp_seconds")
              .Help("Timestamp of the last successful configuration reload.")
              .Register(*registry_)
              .Add({})) {
  prometheus::BuildGauge()
      .Name("metricsd_build_info")
      .Help("A metric with a constant '1' value labeled by version, revision and compiler from "
            "which metricsd was built.")
      .Register(*registry_)
      .Add({{"version", kVersion}, {"revision", kRevision}, {"compiler", kCompiler}})
      .Set(1);
}

void SelfMetrics::ObserveHttpRequest(std::string_view handler, unsigned status, double seconds) {
  std::string handler_label(handler);
  http_requests_.Add({{"handler", handler_label}, {"code", std::to_string(status)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  http_duration_.Add({{"handler", handler_label}}, kBuckets).Observe(seconds);
}

void SelfMetrics::RecordReload(bool success) {
  reload_successful_.Set(success ? 1 : 0);
  if (success) {
    std::chrono::duration<double> now = std::chrono::system_clock::now().time_since_epoch();
    reload_success_timestamp_.Set(now.count());
  }
}

void SelfMetrics::AppendSources(std::shared_ptr<const HttpServerStats> server,
                                std::vector<std::shared_ptr<const Source>>& sources) const {
  sources.push_back(std::make_shared<CollectableSource>("self", registry_));
  if (server) sources.push_back(std::make_shared<HttpServerSource>(std::move(server)));
}

}  // namespace metricsd
