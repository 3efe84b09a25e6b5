// The bytes analytics read from outside, as arbitrary input: a remote Prometheus-compatible
// API's answer (ParseQueryResponse, with each HTTP status class), a DogStatsD event line
// (ParseEvent) and an annotation's JSON body (AnnotationFromJson). Beyond "no crash": a
// parsed answer is a well-formed value (label sets sorted with unique names, points in time
// order within a series), a parsed event's title and text are non-empty, and an accepted
// annotation passes the same validation the store applies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "collectors/statsd/event.h"
#include "daemon/analytics/annotation.h"
#include "daemon/analytics/remote_response.h"

namespace {

namespace promql = metricsd::query::promql;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckLabels(const promql::Labels& labels) {
  for (std::size_t i = 1; i < labels.size(); ++i) Check(labels[i - 1].name < labels[i].name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned statuses[] = {200, 400, 422, 503};
  const unsigned status = statuses[data[0] % 4];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  promql::QueryResult result = metricsd::analytics::ParseQueryResponse(status, text);
  if (result.ok()) {
    if (const auto* matrix = std::get_if<promql::Matrix>(&result.value)) {
      for (const promql::Series& series : *matrix) {
        CheckLabels(series.labels);
        for (std::size_t i = 1; i < series.points.size(); ++i) {
          Check(series.points[i - 1].t <= series.points[i].t);
        }
      }
    } else if (const auto* vector = std::get_if<promql::Vector>(&result.value)) {
      for (const promql::Sample& sample : *vector) CheckLabels(sample.labels);
    }
  } else {
    Check(!result.error.empty());
  }

  metricsd::statsd::StatsdEvent event;
  metricsd::statsd::EventError error;
  if (metricsd::statsd::ParseEvent(text, event, error)) {
    Check(!event.title.empty() && !event.text.empty());
  }

  const nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_discarded()) {
    metricsd::analytics::Annotation annotation;
    if (metricsd::analytics::AnnotationFromJson(body, 1'700'000'000'000, &annotation).empty()) {
      Check(metricsd::analytics::ValidateAnnotation(annotation).empty());
    }
  }
  return 0;
}
