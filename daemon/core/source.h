// The Source contract: every input of metricsd streams what it has now to a visitor.
//
// A Source hands over each family (name, help, type) and then that family's samples. Names and
// label pairs are string_views into the Source's own storage, valid until Visit() returns: a
// visitor that keeps them longer must copy. Visiting must not allocate on the Source's
// side, so a scrape of 100k series costs what writing them costs.
//
// The same stream feeds the /metrics writer, the alert evaluator and the prometheus-cpp adapter,
// so an alert always sees exactly what Prometheus scrapes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "daemon/core/enum_table.h"

namespace metricsd {

enum class MetricType { kCounter, kGauge, kHistogram, kSummary, kUntyped };

// The text format's name of each type ("counter", ...).
inline constexpr EnumTable<MetricType, 5> kMetricTypeNames{{{
    {MetricType::kCounter, "counter"},
    {MetricType::kGauge, "gauge"},
    {MetricType::kHistogram, "histogram"},
    {MetricType::kSummary, "summary"},
    {MetricType::kUntyped, "untyped"},
}}};
inline std::string_view MetricTypeName(MetricType type) { return kMetricTypeNames.Name(type); }

struct Label {
  std::string_view name;
  std::string_view value;
};
using Labels = std::span<const Label>;

struct Quantile {
  double quantile;
  double value;
};

// Receives one Source's families. Calls come in the order Family, then that family's samples,
// then the next Family. A family with no samples may be announced (it is still written, as
// prometheus-cpp does).
class FamilyVisitor {
 public:
  virtual ~FamilyVisitor() = default;

  virtual void Family(std::string_view name, std::string_view help, MetricType type) = 0;

  // A counter, gauge or untyped sample.
  virtual void Sample(Labels labels, double value) = 0;

  // upper_bounds are the finite bucket bounds in ascending order; cumulative_counts[i] counts
  // observations <= upper_bounds[i]. The +Inf bucket is `count`.
  virtual void Histogram(Labels labels, std::span<const double> upper_bounds,
                         std::span<const std::uint64_t> cumulative_counts, double sum,
                         std::uint64_t count) = 0;

  virtual void Summary(Labels labels, std::span<const Quantile> quantiles, double sum,
                       std::uint64_t count) = 0;

  // Whether this visitor keeps `family` at all. The alert evaluator's selector keeps only the
  // families its rules name; a Source whose family costs work at Visit time (a /proc read)
  // may ask and skip that work. Announcing a family the visitor does not want is harmless.
  virtual bool Wants(std::string_view /*family*/) const { return true; }
};

// How the last collection of a Source went, exposed as metricsd_collector_success and
// metricsd_collector_duration_seconds{collector}.
struct CollectionStatus {
  bool success = false;
  double duration_seconds = 0;
};

// An input of metricsd. Implementations are thread-safe: Visit() may be called from several
// threads at once (concurrent scrapes, the alert evaluator) while the Source keeps collecting.
class Source {
 public:
  virtual ~Source() = default;

  // Short, stable name used as the `collector` label ("process", "cpu", "statsd", ...).
  virtual std::string_view Name() const = 0;

  // Streams every family the Source has now.
  virtual void Visit(FamilyVisitor& visitor) const = 0;

  // The last collection's outcome, or nullopt for a Source that is not a collector (the daemon's
  // own counters, for example).
  virtual std::optional<CollectionStatus> LastCollection() const { return std::nullopt; }
};

}  // namespace metricsd
