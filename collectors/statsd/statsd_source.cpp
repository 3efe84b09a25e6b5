#include "collectors/statsd/statsd_source.h"

#include <malloc.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <limits>
#include <string>
#include <thread>
#include <utility>
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

// Everything a visit renders from, filled under the table's lock (all but `merged`, which the
// shards fill under their own locks), and the rendering's scratch. Flat buffers, reused from
// visit to visit: no allocation per series, and none at all once they have grown.
struct VisitBuffers {
  // A wanted family as copied out of the table. Its name is copied (an expiry may free the
  // FamilyMeta once the lock is released); its options are not (the table never frees them).
  struct FamilyCopy {
    std::size_t name_at = 0;  // in VisitBuffers::text
    std::uint32_t name_size = 0;
    MetricType type = MetricType::kUntyped;
    const FamilyOptions* options = nullptr;
    std::uint32_t first_series = 0;  // in VisitBuffers::series
    std::uint32_t series_count = 0;
  };

  // A series as copied out of the table: the labels part of its key, and where its values are.
  struct SeriesCopy {
    std::size_t labels_at = 0;  // in VisitBuffers::text
    std::uint32_t labels_size = 0;
    // In merged.values: a counter's value, a gauge's (copied under the lock), a histogram's
    // buckets, +Inf, sum, or a summary's sum and count.
    std::uint32_t values_at = 0;
    std::uint32_t summary = MergeItem::kNoSummary;  // its runs in merged.runs
  };

  std::uint64_t generation = 0;
  std::string text;  // family names and series keys' label parts
  std::vector<FamilyCopy> families;
  std::vector<SeriesCopy> series;
  std::vector<MergeItem> items;  // what the shards must merge: every non-gauge series
  std::uint32_t summaries = 0;
  MergeResult merged;
  // Rendering's scratch.
  std::vector<std::pair<std::string_view, std::uint32_t>> order;  // families by name
  std::vector<std::uint32_t> first_run;
  std::vector<std::uint64_t> cumulative;
  std::vector<Quantile> quantiles;
  std::vector<double> samples;
  std::vector<Label> views;

  std::string_view Text(std::size_t at, std::size_t size) const { return {text.data() + at, size}; }

  // Bytes the buffers hold (capacity, not size).
  std::size_t Footprint() const {
    auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
    return text.capacity() + bytes(families) + bytes(series) + bytes(items) + bytes(merged.values) +
           bytes(merged.samples) + bytes(merged.runs) + bytes(order) + bytes(first_run) +
           bytes(cumulative) + bytes(quantiles) + bytes(samples) + bytes(views);
  }
};

// A visit's buffers are pooled for the next visit only up to this size (see StatsdSource).
constexpr std::size_t kPooledBufferBytes = std::size_t{1} << 20;

namespace {

// Families and series copied per hold of the table's lock: tens of microseconds of copying, so a receiver
// meeting a new series (which takes the lock exclusively) waits no longer than that.
constexpr std::size_t kCopiedPerHold = 512;

// Copies the wanted families of `table` into `snapshot`, under the table's shared lock, which
// it takes and releases every `per_hold` families and series. The copy is a superset of the
// series that existed when it began and a subset of those at its end, each series copied
// whole. Returns false, the copy to be redone, when series expired meanwhile (the positions
// it resumes from would be wrong).
bool Copy(const SeriesTable& table, const FamilyVisitor& visitor, VisitBuffers& snapshot,
          std::size_t per_hold) {
  snapshot.text.clear();
  snapshot.families.clear();
  snapshot.series.clear();
  snapshot.items.clear();
  snapshot.summaries = 0;
  std::vector<double>& values = snapshot.merged.values;
  values.clear();
  snapshot.merged.samples.clear();
  snapshot.merged.runs.clear();

  std::size_t family_at = 0;   // in table.families()
  std::size_t series_at = 0;   // in that family's series
  bool family_open = false;    // its FamilyCopy made
  for (bool first = true;; first = false) {
    // Lets a receiver or an expiry waiting for the lock go first (bounded: ~a millisecond).
    for (int spin = 0; table.writer_waiting() && spin < 1000; ++spin) std::this_thread::yield();
    ReaderMutexLock lock(table.mutex());
    if (first) snapshot.generation = table.generation();
    else if (table.generation() != snapshot.generation) return false;
    std::span<const FamilyRef> families = table.families();
    for (std::size_t budget = per_hold; family_at < families.size() && budget > 0;) {
      const FamilyRef family = families[family_at];
      if (!family_open) {
        --budget;
        std::string_view name = family.name();
        if (!visitor.Wants(name)) {
          ++family_at;
          continue;
        }
        VisitBuffers::FamilyCopy& copy = snapshot.families.emplace_back();
        copy.name_at = snapshot.text.size();
        copy.name_size = static_cast<std::uint32_t>(name.size());
        snapshot.text += name;
        copy.type = family.shape().type;
        copy.options = family.shape().options;
        copy.first_series = static_cast<std::uint32_t>(snapshot.series.size());
        family_open = true;
      }
      VisitBuffers::FamilyCopy& copy = snapshot.families.back();
      for (; series_at < family.series_count() && budget > 0; ++series_at, --budget) {
        const SeriesMeta& series = *family.series(series_at);
        std::string_view labels = series.key().substr(copy.name_size);
        VisitBuffers::SeriesCopy& entry = snapshot.series.emplace_back();
        ++copy.series_count;
        entry.labels_at = snapshot.text.size();
        entry.labels_size = static_cast<std::uint32_t>(labels.size());
        snapshot.text += labels;
        entry.values_at = static_cast<std::uint32_t>(values.size());
        if (copy.type == MetricType::kGauge) {
          values.push_back(series.gauge().load(std::memory_order_relaxed));
          continue;
        }
        std::uint32_t width = series.width();
        if (width == 0) continue;
        values.resize(values.size() + width, 0.0);
        MergeItem& item = snapshot.items.emplace_back();
        item.id = series.id;
        item.width = width;
        item.values_at = entry.values_at;
        if (copy.type == MetricType::kSummary) item.summary = entry.summary = snapshot.summaries++;
      }
      if (series_at == family.series_count()) {
        ++family_at;
        series_at = 0;
        family_open = false;
      }
    }
    if (family_at == families.size()) return true;
  }
}

// Calls the visitor from the snapshot alone: no lock is held.
void Render(VisitBuffers& snapshot, FamilyVisitor& visitor) {
  // Sorted by name here rather than under the lock, as statsd_exporter's exposition is.
  // Names next to their index, so the comparisons read the names and nothing else (every
  // unlabelled StatsD metric is a family of its own: there may be 100,000 of them).
  std::vector<std::pair<std::string_view, std::uint32_t>>& order = snapshot.order;
  order.clear();
  for (std::uint32_t i = 0; i < snapshot.families.size(); ++i) {
    order.emplace_back(snapshot.Text(snapshot.families[i].name_at, snapshot.families[i].name_size), i);
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  // Each summary's runs (one per shard that saw it), found by its index.
  std::vector<SampleRun>& runs = snapshot.merged.runs;
  std::stable_sort(runs.begin(), runs.end(),
                   [](const SampleRun& a, const SampleRun& b) { return a.summary < b.summary; });
  std::vector<std::uint32_t>& first_run = snapshot.first_run;
  first_run.assign(snapshot.summaries + 1, 0);
  for (const SampleRun& run : runs) ++first_run[run.summary + 1];
  for (std::uint32_t i = 0; i < snapshot.summaries; ++i) first_run[i + 1] += first_run[i];

  const std::vector<double>& values = snapshot.merged.values;
  std::vector<std::uint64_t>& cumulative = snapshot.cumulative;
  std::vector<Quantile>& quantiles = snapshot.quantiles;
  std::vector<double>& samples = snapshot.samples;
  std::vector<Label>& views = snapshot.views;
  for (const auto& [name, index] : order) {
    const VisitBuffers::FamilyCopy& family = snapshot.families[index];
    visitor.Family(name, family.options->help, family.type);
    for (std::uint32_t s = family.first_series; s < family.first_series + family.series_count; ++s) {
      const VisitBuffers::SeriesCopy& series = snapshot.series[s];
      LabelsOfKey(snapshot.Text(series.labels_at, series.labels_size), views);
      Labels labels(views);
      const double* value = values.data() + series.values_at;
      switch (family.type) {
        case MetricType::kCounter:
        case MetricType::kGauge:
          visitor.Sample(labels, value[0]);
          break;
        case MetricType::kHistogram: {
          const std::vector<double>& bounds = family.options->buckets;
          cumulative.resize(bounds.size());
          std::uint64_t running = 0;
          for (std::size_t i = 0; i < bounds.size(); ++i) {
            cumulative[i] = running += static_cast<std::uint64_t>(value[i]);
          }
          running += static_cast<std::uint64_t>(value[bounds.size()]);
          visitor.Histogram(labels, bounds, cumulative, value[bounds.size() + 1], running);
          break;
        }
        case MetricType::kSummary: {
          samples.clear();
          for (std::uint32_t r = first_run[series.summary]; r < first_run[series.summary + 1]; ++r) {
            const double* begin = snapshot.merged.samples.data() + runs[r].begin;
            samples.insert(samples.end(), begin, begin + runs[r].size);
          }
          Quantiles(samples, family.options->summary.quantiles, quantiles);
          visitor.Summary(labels, quantiles, value[0], static_cast<std::uint64_t>(value[1]));
          break;
        }
        default:
          break;
      }
    }
  }
}

}  // namespace

StatsdSource::StatsdSource(std::shared_ptr<const Aggregator> aggregator)
    : aggregator_(std::move(aggregator)) {}

StatsdSource::~StatsdSource() = default;

std::unique_ptr<VisitBuffers> StatsdSource::TakeBuffers() const {
  MutexLock lock(pool_mutex_);
  if (pool_.empty()) {
    auto buffers = std::make_unique<VisitBuffers>();
    buffers->text.reserve(last_sizes_[0]);
    buffers->families.reserve(last_sizes_[1]);
    buffers->series.reserve(last_sizes_[2]);
    buffers->items.reserve(last_sizes_[3]);
    buffers->merged.values.reserve(last_sizes_[3]);
    buffers->order.reserve(last_sizes_[1]);
    return buffers;
  }
  std::unique_ptr<VisitBuffers> buffers = std::move(pool_.back());
  pool_.pop_back();
  return buffers;
}

void StatsdSource::ReturnBuffers(std::unique_ptr<VisitBuffers> buffers) const {
  bool big = buffers->Footprint() > kPooledBufferBytes;
  {
    MutexLock lock(pool_mutex_);
    if (!big) {
      pool_.push_back(std::move(buffers));
      return;
    }
    // Sizes, not capacities: the next set is reserved to what was used. (merged.values may
    // exceed items: histograms take a slot per bucket; it regrows from items' size.)
    last_sizes_ = {buffers->text.size(), buffers->families.size(), buffers->series.size(),
                   buffers->items.size()};
  }
  buffers.reset();
  // The big buffers were mmapped and are gone with the reset, but a table that grew to this
  // size left holes in the receivers' malloc arenas (indexes and vectors outgrown on the way,
  // 2-3 MiB at 100,000 series), which glibc gives back only when asked. Once per big visit:
  // a pass over the free lists, far below the visit's own cost.
  malloc_trim(0);
}

void StatsdSource::Visit(FamilyVisitor& visitor) const {
  std::unique_ptr<VisitBuffers> snapshot = TakeBuffers();
  const SeriesTable& table = aggregator_->table();
  std::int64_t now_ms = SteadyMillis();
  // A ttl expiry between the copy and the merge may hand a copied series' id and slots to a
  // new series; the generation tells, and both are redone (expiries are rare, so this loop
  // ends at once: a copy in one hold cannot be interrupted). Nothing wanted, or gauges only:
  // nothing to merge.
  for (int attempt = 0;; ++attempt) {
    // Should expiries keep interrupting it, the last attempts copy in one hold.
    if (!Copy(table, visitor, *snapshot, attempt < 2 ? kCopiedPerHold : SIZE_MAX)) continue;
    if (snapshot->items.empty()) break;
    if (aggregator_->Merge(snapshot->items, now_ms, snapshot->merged) == snapshot->generation ||
        attempt == 3) {
      break;
    }
  }
  Render(*snapshot, visitor);
  ReturnBuffers(std::move(snapshot));
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
  counter("metricsd_statsd_tags_total", "The total number of samples received with tags (DogStatsD, InfluxDB, Librato or SignalFX), as statsd_exporter counts them.", d(s.tags));
  counter("metricsd_statsd_tag_errors_total", "The number of malformed tags dropped (their samples are kept).", d(s.tag_errors));
  visitor.Family("metricsd_statsd_events_total", "The total number of StatsD events aggregated, by type (an observer sampled at @0.1 is 10).", MetricType::kCounter);
  for (std::size_t i = 0; i < 3; ++i) by_label("type", kinds[i], d(s.events[i]));
  visitor.Family("metricsd_statsd_events_conflict_total", "Samples dropped because their metric exists with another type or label names.", MetricType::kCounter);
  for (std::size_t i = 0; i < 3; ++i) by_label("type", kinds[i], d(s.events_conflict[i]));
  counter("metricsd_statsd_events_unmapped_total", "Samples aggregated under their own escaped name, no mapping matching.", d(s.events_unmapped));
  visitor.Family("metricsd_statsd_events_error_total", "Samples dropped after parsing, by reason.", MetricType::kCounter);
  by_label("reason", "dropped_by_mapping", d(s.events_dropped_by_mapping));
  by_label("reason", "empty_metric_name", d(s.events_empty_name));
  by_label("reason", "illegal_negative_counter", d(s.events_negative_counter));
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
  visitor.Family("metricsd_statsd_dogstatsd_events_total", "Well-formed DogStatsD events (handed to annotations) and service checks received (not aggregated).", MetricType::kCounter);
  by_label("kind", "event", d(s.dogstatsd_events));
  by_label("kind", "service_check", d(s.dogstatsd_service_checks));
  visitor.Family("metricsd_statsd_dogstatsd_event_errors_total", "Malformed DogStatsD events dropped, by reason.", MetricType::kCounter);
  for (std::size_t i = 0; i < kEventErrorKinds; ++i) {
    by_label("reason", EventErrorReason(static_cast<EventError>(i)), d(s.dogstatsd_event_errors[i]));
  }
  std::size_t counters, gauges, histograms, summaries;
  aggregator_->table().CountByType(counters, gauges, histograms, summaries);
  visitor.Family("metricsd_statsd_series", "The number of StatsD series held, by type.", MetricType::kGauge);
  by_label("type", "counter", d(counters));
  by_label("type", "gauge", d(gauges));
  by_label("type", "histogram", d(histograms));
  by_label("type", "summary", d(summaries));
}

}  // namespace metricsd::statsd
