#include "daemon/self_metrics.h"

#include <chrono>
#include <cstdio>
#include <string>

#include "daemon/build_info.h"

namespace metricsd {
namespace {

const std::vector<double> kHttpBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,    0.25,  0.5,    1,     2.5,  5};

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
                   "HTTP connections closed at once: web.max_connections were open, all "
                   "being answered.",
                   MetricType::kCounter);
    visitor.Sample({}, static_cast<double>(stats_->connections_rejected.load()));
    visitor.Family("metricsd_http_connections_evicted_total",
                   "HTTP connections waiting for a request, closed to admit a new one at "
                   "web.max_connections.",
                   MetricType::kCounter);
    visitor.Sample({}, static_cast<double>(stats_->connections_evicted.load()));
    visitor.Family("metricsd_http_requests_throttled_total",
                   "HTTP requests answered 503 because web.max_requests were in flight.",
                   MetricType::kCounter);
    visitor.Sample({}, static_cast<double>(stats_->requests_throttled.load()));
    visitor.Family("metricsd_http_accept_errors_total",
                   "Failed accept() calls (e.g. out of file descriptors); retried with back-off.",
                   MetricType::kCounter);
    visitor.Sample({}, static_cast<double>(stats_->accept_errors.load()));
    visitor.Family("metricsd_http_bad_requests_total",
                   "HTTP requests that could not be parsed, were too large or timed out.",
                   MetricType::kCounter);
    visitor.Sample({}, static_cast<double>(stats_->bad_requests.load()));
  }

 private:
  std::shared_ptr<const HttpServerStats> stats_;
};

}  // namespace

class SelfMetrics::SelfSource final : public Source {
 public:
  explicit SelfSource(SelfMetrics& self) : self_(self) {}
  std::string_view Name() const override { return "self"; }

  void Visit(FamilyVisitor& visitor) const override {
    const Label build[] = {{"compiler", kCompiler}, {"revision", kRevision}, {"version", kVersion}};
    visitor.Family("metricsd_build_info",
                   "A metric with a constant '1' value labeled by version, revision and compiler "
                   "from which metricsd was built.",
                   MetricType::kGauge);
    visitor.Sample(build, 1);
    visitor.Family("metricsd_config_last_reload_successful",
                   "Whether the last configuration reload attempt was successful.",
                   MetricType::kGauge);
    visitor.Sample({}, self_.reload_successful_ ? 1 : 0);
    visitor.Family("metricsd_config_last_reload_success_timestamp_seconds",
                   "Timestamp of the last successful configuration reload.", MetricType::kGauge);
    visitor.Sample({}, self_.reload_success_timestamp_);

    MutexLock lock(self_.http_mutex_);
    visitor.Family("metricsd_http_requests_total",
                   "HTTP requests answered, by handler and status code.", MetricType::kCounter);
    char code[8];
    for (const auto& [handler, codes] : self_.http_.requests) {
      for (const auto& [status, count] : codes) {
        int n = std::snprintf(code, sizeof code, "%u", status);
        const Label labels[] = {{"code", std::string_view(code, static_cast<std::size_t>(n))},
                                {"handler", handler}};
        visitor.Sample(labels, count);
      }
    }
    visitor.Family("metricsd_http_request_duration_seconds",
                   "Time to answer an HTTP request, by handler.", MetricType::kHistogram);
    for (const auto& [handler, histogram] : self_.http_.durations) {
      const Label labels[] = {{"handler", handler}};
      histogram.Visit(visitor, labels);
    }
  }

 private:
  SelfMetrics& self_;
};

SelfMetrics::SelfMetrics() = default;

void SelfMetrics::ObserveHttpRequest(std::string_view handler, unsigned status, double seconds) {
  MutexLock lock(http_mutex_);
  auto codes = http_.requests.find(handler);
  if (codes == http_.requests.end()) codes = http_.requests.emplace(handler, std::map<unsigned, double>{}).first;
  codes->second[status] += 1;
  auto duration = http_.durations.find(handler);
  if (duration == http_.durations.end()) {
    duration = http_.durations.emplace(std::string(handler), Histogram(kHttpBuckets)).first;
  }
  duration->second.Observe(seconds);
}

void SelfMetrics::RecordReload(bool success) {
  reload_successful_ = success;
  if (success) {
    std::chrono::duration<double> now = std::chrono::system_clock::now().time_since_epoch();
    reload_success_timestamp_ = now.count();
  }
}

void SelfMetrics::AppendSources(std::shared_ptr<const HttpServerStats> server,
                                std::vector<std::shared_ptr<const Source>>& sources) {
  sources.push_back(std::make_shared<SelfSource>(*this));
  if (server) sources.push_back(std::make_shared<HttpServerSource>(std::move(server)));
}

}  // namespace metricsd
