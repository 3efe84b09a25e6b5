// What the prober's files share: a target's state and the helpers its probes and its
// exposition use. Internal to collectors/probes.
//
// Thread-safety: a Target is guarded by its Prober's mutex_ (see prober.h).
#pragma once

#include <array>
#include <chrono>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "collectors/probes/ao.h"
#include "collectors/probes/prober.h"
#include "daemon/core/histogram.h"

namespace metricsd::probes {

using SystemClock = std::chrono::system_clock;

// One target's config, schedule and what its probes found. Guarded by the Prober's mutex.
struct Prober::Target {
  // Swapped whole on reload; a probe in flight keeps the one it started with.
  std::shared_ptr<const TargetConfig> config;
  // Ticks every config->interval; owned here only (its runs hold weak references).
  std::shared_ptr<PeriodicJob> job;
  bool running = false;
  bool queued = false;
  bool removed = false;
  std::uint64_t sequence = 0;

  // The last probe.
  bool has_result = false;
  Outcome outcome = Outcome::kOk;
  std::string error;
  double duration = 0;
  SystemClock::time_point last_run;
  ExchangeResult exchange;
  bool failed_due_to_regex = false;

  // Over time.
  std::array<std::uint64_t, kOutcomes> counts{};
  std::array<std::unique_ptr<Histogram>, kOutcomes> histograms;
  std::uint64_t skipped = 0;

  // ao_dryrun
  std::optional<double> gas_used;
  double gas_used_total = 0;
  std::optional<double> messages;

  // ao_unit
  std::string unit_address;
  std::optional<double> clock_skew;
  std::optional<double> block_height;
};

inline double UnixSeconds(SystemClock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

inline std::string Rfc3339(SystemClock::time_point t) {
  std::time_t seconds = SystemClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

template <typename Handler>
ExchangeCallback Prober::Bind(const std::shared_ptr<Target>& target, Handler handler) {
  // Weak references: an exchange still pending when the io_context stops must not keep the
  // Prober or the target (and its timer) alive past it. While the Prober lives, running_
  // keeps the target.
  return [weak = weak_from_this(), weak_target = std::weak_ptr<Target>(target),
          handler = std::move(handler)](ExchangeResult result) mutable {
    auto self = weak.lock();
    auto live = weak_target.lock();
    if (self && live) handler(self, live, std::move(result));
  };
}

}  // namespace metricsd::probes
