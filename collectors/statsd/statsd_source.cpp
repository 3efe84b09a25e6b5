#include "collectors/statsd/statsd_source.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace metricsd::statsd {
namespace {

// Nearest-rank quantiles over the merged window samples (sorted in place); NaN when empty,
// as a Prometheus summary reports quantiles of nothing.
void Quantiles(std::vector<double>& samples, const std::vector<Objective>& objectives,
               std::vector<Quantile>& out) {
  std::sort(samples.begin(), samples.end());
  out.clear();
  for (const Objective& objective : objectives) {
    double value = std::numeric_limits<double>::quiet_NaN();
    if (!samples.empty()) {
      auto rank = static_cast<std::size_t>(std::ceil(objective.quantile * static_cast<double>(samples.size())));
      value = samples[std::min(samples.size() - 1, rank == 0 ? 0 : rank - 1)];
    }
    out.push_back({objective.quantile, value});
  }
}

}  // namespace

void StatsdSource::Visit(FamilyVisitor& visitor) const {
  std::vector<double> merged;
  std::unordered_map<std::uint32_t, std::vector<double>> summaries;
  ShardStats stats;
  std::vector<std::uint64_t> cumulative;
  std::vector<Quantile> quantiles;
  std::vector<double> empty;
  std::vector<Label> views;
  std::vector<const FamilyMeta*> families;
  const SeriesTable& table = aggregator_->table();
  std::int64_t now_ms = SteadyMillis();
  // A ttl expiry between the merge and the walk could hand a freed slot to a new series; the
  // generation tells, and the merge is redone (expiries are rare, so this loop ends at once).
  for (int attempt = 0;; ++attempt) {
    std::uint64_t generation = aggregator_->Merge(merged, summaries, stats, now_ms);
    ReaderMutexLock lock(table.mutex());
    if (table.generation() != generation && attempt < 3) continue;
    auto slot = [&](std::uint32_t offset) { return offset < merged.size() ? merged[offset] : 0.0; };
    table.SortedFamilies(families);
    for (const FamilyMeta* family : families) {
      visitor.Family(family->name, family->help(), family->type);
      for (const SeriesMeta* series : family->series) {
        LabelsOf(*series, views);
        Labels labels(views);
        switch (family->type) {
          case MetricType::kCounter:
            visitor.Sample(labels, slot(series->offset));
            break;
          case MetricType::kGauge:
            visitor.Sample(labels, series->gauge.load(std::memory_order_relaxed));
            break;
          case MetricType::kHistogram: {
            std::size_t buckets = family->buckets().size();
            cumulative.resize(buckets);
            std::uint64_t running = 0;
            for (std::size_t i = 0; i < buckets; ++i) {
              cumulative[i] = running += static_cast<std::uint64_t>(slot(series->offset + static_cast<std::uint32_t>(i)));
            }
            running += static_cast<std::uint64_t>(slot(series->offset + static_cast<std::uint32_t>(buckets)));
            visitor.Histogram(labels, family->buckets(), cumulative,
                              slot(series->offset + static_cast<std::uint32_t>(buckets) + 1), running);
            break;
          }
          case MetricType::kSummary: {
            auto it = summaries.find(series->id);
            Quantiles(it == summaries.end() ? empty : it->second, family->summary().quantiles, quantiles);
            visitor.Summary(labels, quantiles, slot(series->offset),
                            static_cast<std::uint64_t>(slot(series->offset + 1)));
            break;
          }
          default:
            break;
        }
      }
    }
    return;
  }
}

void StatsdSelfSource::Visit(FamilyVisitor& visitor) const {
  ShardStats s = aggregator_->Stats();
  auto counter = [&](std::string_view name, std::string_view help, double value) {
    visitor.Family(name, help, MetricType::kCounter);
    visitor.Sample({}, value);
  };
  auto by_label = [&](std::string_view label, std::string_view value_name, double value) {
    Label pair{label, value_name};
    visitor.Sample(Labels(&pair, 1), value);
  };
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  const char* kinds[] = {"counter", "gauge", "observer"};

  counter("metricsd_statsd_udp_packets_total", "The total number of StatsD packets received over UDP.", d(s.udp_packets));
  // Reads /proc/net/udp{,6}: only for a visitor that keeps it.
  if (kernel_drops_ && visitor.Wants("metricsd_statsd_udp_kernel_drops_total")) {
    counter("metricsd_statsd_udp_kernel_drops_total",
            "Datagrams the kernel dropped on metricsd's StatsD UDP sockets (from /proc/net/udp and udp6).",
            d(kernel_drops_()));
  }
  counter("metricsd_statsd_tcp_connections_total", "The total number of StatsD TCP connections handled.", d(s.tcp_connections));
  counter("metricsd_statsd_unixgram_packets_total", "The total number of StatsD packets received over Unix datagram sockets.", d(s.unixgram_packets));
  counter("metricsd_statsd_http_requests_total", "The total number of StatsD POSTs to /api/v1/statsd.", d(s.http_requests));
  counter("metricsd_statsd_lines_total", "The total number of StatsD lines received.", d(s.lines));
  counter("metricsd_statsd_samples_total", "The total number of StatsD samples received.", d(s.samples));
  visitor.Family("metricsd_statsd_sample_errors_total", "The total number of lines and samples dropped as malformed, by reason.", MetricType::kCounter);
  for (std::size_t i = 0; i < kSampleErrorKinds; ++i) by_label("reason", SampleErrorLabel(i), d(s.sample_errors[i]));
  counter("metricsd_statsd_tags_total", "The total number of DogStatsD, InfluxDB, Librato and SignalFX tags processed.", d(s.tags));
  counter("metricsd_statsd_tag_errors_total", "The number of malformed tags dropped (their samples are kept).", d(s.tag_errors));
  visitor.Family("metricsd_statsd_events_total", "The total number of StatsD samples aggregated, by type.", MetricType::kCounter);
  for (std::size_t i = 0; i < 3; ++i) by_label("type", kinds[i], d(s.events[i]));
  visitor.Family("metricsd_statsd_events_conflict_total", "Samples dropped because their metric exists with another type or label names.", MetricType::kCounter);
  for (std::size_t i = 0; i < 3; ++i) by_label("type", kinds[i], d(s.events_conflict[i]));
  counter("metricsd_statsd_events_unmapped_total", "Samples aggregated under their own escaped name, no mapping matching.", d(s.events_unmapped));
  visitor.Family("metricsd_statsd_events_error_total", "Samples dropped after parsing, by reason.", MetricType::kCounter);
  by_label("reason", "dropped_by_mapping", d(s.events_dropped_by_mapping));
  by_label("reason", "empty_metric_name", d(s.events_empty_name));
  // Names or labels Prometheus would refuse (the whole scrape would fail), or over the limits.
  for (std::size_t i = 1; i < kLabelErrorKinds; ++i) {
    by_label("reason", LabelErrorReason(static_cast<LabelError>(i)), d(s.events_label_errors[i]));
  }
  visitor.Family("metricsd_statsd_series_dropped_total", "New series dropped, by reason (statsd.max_series, statsd.max_series_bytes).", MetricType::kCounter);
  by_label("reason", "max_series", d(s.series_dropped_max_series));
  by_label("reason", "max_series_bytes", d(s.series_dropped_max_bytes));
  visitor.Family("metricsd_statsd_series_bytes", "What the StatsD series are charged against statsd.max_series_bytes.", MetricType::kGauge);
  visitor.Sample({}, d(aggregator_->table().bytes()));
  visitor.Family("metricsd_statsd_tcp_connections_closed_total", "StatsD TCP connections closed by metricsd, by reason (statsd.tcp.max_connections, statsd.tcp.idle_timeout).", MetricType::kCounter);
  by_label("reason", "max_connections", d(s.tcp_connections_rejected));
  by_label("reason", "idle_timeout", d(s.tcp_connections_idle_closed));
  visitor.Family("metricsd_statsd_dogstatsd_events_total", "DogStatsD events and service checks received (recognised, not aggregated).", MetricType::kCounter);
  by_label("kind", "event", d(s.dogstatsd_events));
  by_label("kind", "service_check", d(s.dogstatsd_service_checks));
  std::size_t counters, gauges, histograms, summaries;
  aggregator_->table().CountByType(counters, gauges, histograms, summaries);
  visitor.Family("metricsd_statsd_metrics_total", "The number of StatsD series held, by type.", MetricType::kGauge);
  by_label("type", "counter", d(counters));
  by_label("type", "gauge", d(gauges));
  by_label("type", "histogram", d(histograms));
  by_label("type", "summary", d(summaries));
}

}  // namespace metricsd::statsd
