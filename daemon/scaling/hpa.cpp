#include "daemon/scaling/hpa.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace metricsd::scaling {
namespace {

std::string ShortNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

// ceil(current x ratio), saturating; a relative epsilon keeps 2 x 400 / 100 at 8 whatever the
// rounding of the division.
int CeilReplicas(int current, double ratio) {
  double exact = static_cast<double>(current) * ratio;
  double rounded = std::ceil(exact - std::abs(exact) * 1e-12);
  if (rounded >= static_cast<double>(std::numeric_limits<int>::max())) {
    return std::numeric_limits<int>::max();
  }
  return std::max(0, static_cast<int>(rounded));
}

void Append(std::string& reason, const std::string& part) {
  if (!reason.empty()) reason += "; ";
  reason += part;
}

}  // namespace

Recommendation Recommend(int current, double load, const HpaParams& params) {
  Recommendation out;
  out.ratio = load / params.target;
  // The epsilon keeps a ratio of exactly 1 + tolerance (110 / 100) inside, whatever binary
  // rounding makes of it.
  if (std::abs(out.ratio - 1.0) <= params.tolerance + 1e-9) {
    out.within_tolerance = true;
    out.replicas = current;
    return out;
  }
  out.replicas = CeilReplicas(current, out.ratio);
  return out;
}

int Stabilizer::Stabilize(int current, int recommendation, TimePoint now, const HpaParams& params,
                          std::string* bound) {
  // As stabilizeRecommendationWithBehaviors: both bounds start at the new recommendation and
  // take in every recorded one newer than their window's cutoff.
  const TimePoint up_cutoff = now - params.scale_up_window;
  const TimePoint down_cutoff = now - params.scale_down_window;
  int up = recommendation;
  int down = recommendation;
  for (const Entry& entry : history_) {
    if (entry.time > up_cutoff) up = std::min(up, entry.replicas);
    if (entry.time > down_cutoff) down = std::max(down, entry.replicas);
  }
  // Entries older than both windows can never matter again.
  const TimePoint oldest = std::min(up_cutoff, down_cutoff);
  while (!history_.empty() && history_.front().time <= oldest) history_.pop_front();
  history_.push_back({now, recommendation});

  int stabilized = current;
  if (bound) bound->clear();
  if (stabilized < up) stabilized = up;
  if (stabilized > down) stabilized = down;
  if (bound) {
    if (recommendation > current && stabilized < recommendation) *bound = "up";
    if (recommendation < current && stabilized > recommendation) *bound = "down";
  }
  return stabilized;
}

Decision Decide(int current, double load, std::optional<double> forecast_load, TimePoint now,
                const HpaParams& params, Stabilizer& stabilizer) {
  Decision decision;
  decision.current = current;
  decision.load = load;
  decision.forecast = forecast_load;

  Recommendation now_rec = Recommend(current, load, params);
  int recommended = now_rec.replicas;
  std::string reason;
  if (current == 0) {
    reason = "current is 0 replicas: the HPA formula cannot scale from zero";
  } else if (now_rec.within_tolerance) {
    reason = "load " + ShortNumber(load) + " is within " + ShortNumber(params.tolerance * 100) +
             "% of target " + ShortNumber(params.target);
  } else {
    reason = "load " + ShortNumber(load) + " vs target " + ShortNumber(params.target) + ": ceil(" +
             std::to_string(current) + " x " + ShortNumber(now_rec.ratio) + ") = " +
             std::to_string(now_rec.replicas);
  }
  if (forecast_load && std::isfinite(*forecast_load) && current > 0) {
    Recommendation ahead = Recommend(current, *forecast_load, params);
    if (ahead.replicas > recommended) {
      recommended = ahead.replicas;
      Append(reason, "forecast load " + ShortNumber(*forecast_load) + " ahead: ceil(" +
                         std::to_string(current) + " x " + ShortNumber(ahead.ratio) + ") = " +
                         std::to_string(ahead.replicas) + ", used");
    }
  }
  decision.recommended = recommended;

  std::string bound;
  int desired = stabilizer.Stabilize(current, recommended, now, params, &bound);
  if (bound == "down") {
    Append(reason, "scale-down stabilized: the highest recommendation of the last " +
                       FormatDuration(params.scale_down_window) + " is " + std::to_string(desired));
  } else if (bound == "up") {
    Append(reason, "scale-up stabilized: the lowest recommendation of the last " +
                       FormatDuration(params.scale_up_window) + " is " + std::to_string(desired));
  }
  if (desired > params.max_replicas) {
    desired = params.max_replicas;
    Append(reason, "clamped to max_replicas " + std::to_string(params.max_replicas));
  } else if (desired < params.min_replicas) {
    desired = params.min_replicas;
    Append(reason, "clamped to min_replicas " + std::to_string(params.min_replicas));
  }
  decision.desired = desired;
  decision.direction = desired > current   ? Direction::kUp
                       : desired < current ? Direction::kDown
                                           : Direction::kNone;
  decision.reason = std::move(reason);
  return decision;
}

bool HookDue(const Decision& decision, std::optional<TimePoint> last_hook, TimePoint now,
             Duration cooldown) {
  if (decision.desired == decision.current) return false;
  return !last_hook || now - *last_hook >= cooldown;
}

}  // namespace metricsd::scaling
