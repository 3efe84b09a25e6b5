#include "daemon/analytics/industry_references.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

namespace metricsd::analytics {
namespace {

constexpr Direction kHigher = Direction::kHigherIsWorse;
constexpr Direction kLower = Direction::kLowerIsWorse;

// Order matters for ReferenceFor: the first row of a kind is that kind's default.
constexpr std::array kReferences{
    Reference{"rail_response", "RAIL response (100 ms)", WatchKind::kLatency, "seconds", 0.1, 1.0,
              kHigher,
              "Google, RAIL performance model: handle input within 100 ms to feel immediate; "
              "past 1 s users lose focus (https://web.dev/articles/rail)"},
    Reference{"frame_60fps", "RAIL animation frame (16.7 ms, 60 fps)", WatchKind::kUx, "seconds",
              0.0167, 0.0333, kHigher,
              "Google, RAIL performance model: produce each animation frame within 16.7 ms "
              "(60 fps) (https://web.dev/articles/rail); 33.3 ms (30 fps) as acceptable"},
    Reference{"frame_30fps", "30 fps frame (33.3 ms)", WatchKind::kUx, "seconds", 0.0333, 0.05,
              kHigher,
              "30 fps frame budget of 33.3 ms (half the 60 fps rate of "
              "https://web.dev/articles/rail); acceptable 50 ms (20 fps) is a convention"},
    Reference{"apdex", "Apdex bands", WatchKind::kUx, "apdex", 0.85, 0.70, kLower,
              "Apdex Alliance, Apdex Technical Specification v1.1 (https://www.apdex.org): "
              "excellent >= 0.94, good >= 0.85, fair >= 0.70, poor >= 0.50, unacceptable below"},
    Reference{"inp", "Core Web Vitals INP (200 ms)", WatchKind::kLatency, "seconds", 0.2, 0.5,
              kHigher,
              "Google, Core Web Vitals, Interaction to Next Paint: good <= 200 ms, poor > 500 ms "
              "(https://web.dev/articles/inp)"},
    Reference{"lcp", "Core Web Vitals LCP (2.5 s)", WatchKind::kLatency, "seconds", 2.5, 4.0,
              kHigher,
              "Google, Core Web Vitals, Largest Contentful Paint: good <= 2.5 s, poor > 4 s "
              "(https://web.dev/articles/lcp)"},
    Reference{"slo_latency_p99", "SLO: p99 latency under 100 ms", WatchKind::kLatency, "seconds",
              0.1, 1.0, kHigher,
              "Google, Site Reliability Engineering (O'Reilly 2016), ch. 4 Service Level "
              "Objectives, example SLO: 99 % of requests complete in under 100 ms "
              "(https://sre.google/sre-book/service-level-objectives/); acceptable 1 s is RAIL's "
              "focus limit"},
    Reference{"slo_availability_999", "SLO: 99.9 % availability", WatchKind::kErrors, "ratio",
              0.001, 0.01, kHigher,
              "Google, Site Reliability Engineering (O'Reilly 2016), ch. 3-4: availability "
              "targets such as 99.9 % (error ratio 0.1 %) "
              "(https://sre.google/sre-book/service-level-objectives/); 99 % as acceptable is a "
              "convention"},
    Reference{"utilisation_headroom", "Utilisation headroom (70-80 %)", WatchKind::kResource,
              "ratio", 0.7, 0.8, kHigher,
              "convention: capacity planning keeps sustained utilisation under 70-80 % so "
              "bursts and a lost node fit (common practice, no single standard)"},
    Reference{"memory_headroom", "Memory headroom (80-90 %)", WatchKind::kResource, "ratio", 0.8,
              0.9, kHigher,
              "convention: memory used under 80 %, 90 % at most, leaves room for the page cache "
              "and peaks (common practice, no single standard)"},
    Reference{"disk_headroom", "Filesystem headroom (80-90 %)", WatchKind::kResource, "ratio", 0.8,
              0.9, kHigher,
              "convention: filesystems under 80 % used, 90 % at most, as common disk-space alerts "
              "warn (common practice, no single standard)"},
};

// The canonical spelling of a unit and its factor to the canonical one.
struct UnitScale {
  std::string_view canonical;
  double factor;
};

UnitScale Canonical(std::string_view unit) {
  if (unit == "seconds" || unit == "s" || unit == "second") return {"seconds", 1};
  if (unit == "milliseconds" || unit == "ms") return {"seconds", 1e-3};
  if (unit == "microseconds" || unit == "us") return {"seconds", 1e-6};
  if (unit == "ratio") return {"ratio", 1};
  if (unit == "percent" || unit == "%") return {"ratio", 1e-2};
  return {unit, 1};
}

}  // namespace

std::span<const Reference> IndustryReferences() { return kReferences; }

const Reference* FindReference(std::string_view id) {
  for (const Reference& reference : kReferences) {
    if (reference.id == id) return &reference;
  }
  return nullptr;
}

const Reference* ReferenceFor(const Watch& watch) {
  if (!watch.reference.empty()) return FindReference(watch.reference);
  for (const Reference& reference : kReferences) {
    if (reference.kind == watch.kind && !std::isnan(ConvertUnit(1, watch.unit, reference.unit))) {
      return &reference;
    }
  }
  return nullptr;
}

double ConvertUnit(double value, std::string_view from, std::string_view to) {
  UnitScale a = Canonical(from), b = Canonical(to);
  if (a.canonical != b.canonical) return std::numeric_limits<double>::quiet_NaN();
  return value * a.factor / b.factor;
}

std::string FormatQuantity(double value, std::string_view unit) {
  if (std::isnan(value)) return "n/a";
  char buffer[64];
  UnitScale scale = Canonical(unit);
  double v = value * scale.factor;
  if (scale.canonical == "seconds" && std::abs(v) < 1) {
    std::snprintf(buffer, sizeof buffer, "%.4g ms", v * 1e3);
  } else if (scale.canonical == "seconds") {
    std::snprintf(buffer, sizeof buffer, "%.4g s", v);
  } else if (scale.canonical == "ratio") {
    std::snprintf(buffer, sizeof buffer, "%.4g %%", v * 100);
  } else if (unit.empty() || unit == "apdex") {
    std::snprintf(buffer, sizeof buffer, "%.3f", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.4g %.*s", value, static_cast<int>(unit.size()),
                  unit.data());
  }
  return buffer;
}

}  // namespace metricsd::analytics
