// The Kubernetes Horizontal Pod Autoscaler's algorithm as pure functions of explicit inputs
// and times, so recorded load shapes can drive it in tests. It follows
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details
// and the controller's stabilizeRecommendationWithBehaviors:
//
//   1. `load` is the metric per replica (HPA's currentMetricValue, e.g. an average), `target`
//      its desired value; ratio = load / target. Within 1 +- tolerance the recommendation is
//      current, else ceil(current x ratio). From 0 replicas the formula gives 0 (HPA then
//      disables scaling): the recommendation stays 0 and the clamp lifts it to min_replicas.
//   2. Predictive: the same formula over the forecast load `lead` ahead; the higher of the two
//      recommendations is used, so a forecast scales up early and never scales down.
//   3. Stabilization: the recommendation is recorded; the result is current brought within
//      [lowest recommendation of the scale-up window, highest of the scale-down window], both
//      windows including the new recommendation (a scale-down waits until every
//      recommendation of its window allows it; a scale-up window of 0 acts at once).
//   4. Clamped to [min_replicas, max_replicas].
//   5. A hook is due when desired != current and the cooldown since the last hook has passed.
//
// Thread-safety: functions are pure; a Stabilizer is a value owned by one caller at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/duration.h"
#include "daemon/core/enum_table.h"

namespace metricsd::scaling {

using TimePoint = std::chrono::system_clock::time_point;

enum class Direction { kNone, kUp, kDown };
inline constexpr EnumTable<Direction, 3> kDirectionNames{{{
    {Direction::kNone, "none"},
    {Direction::kUp, "up"},
    {Direction::kDown, "down"},
}}};
inline std::string_view DirectionName(Direction d) { return kDirectionNames.Name(d); }

struct HpaParams {
  double target = 1;  // load per replica, > 0
  double tolerance = 0.1;
  int min_replicas = 1;
  int max_replicas = 10;
  Duration scale_up_window{0};
  Duration scale_down_window = std::chrono::minutes(5);
};

// Step 1: the recommendation for one load value, and why.
struct Recommendation {
  int replicas = 0;
  double ratio = 0;         // load / target
  bool within_tolerance = false;
};
Recommendation Recommend(int current, double load, const HpaParams& params);

// The recommendations of one target over time (step 3's memory).
class Stabilizer {
 public:
  // Records `recommendation` at `now` and returns current brought within the windows' bounds;
  // `*bound` (if given) says which window limited it: "up", "down" or "" (none did).
  int Stabilize(int current, int recommendation, TimePoint now, const HpaParams& params,
                std::string* bound = nullptr);
  std::size_t size() const { return history_.size(); }

 private:
  struct Entry {
    TimePoint time;
    int replicas;
  };
  std::deque<Entry> history_;
};

struct Decision {
  int current = 0;
  int desired = 0;          // after stabilization and the clamp
  int recommended = 0;      // before stabilization (current load, or forecast when higher)
  double load = 0;
  std::optional<double> forecast;  // the forecast load, when predictive and available
  Direction direction = Direction::kNone;
  std::string reason;
};

// Steps 1 to 4 for one evaluation: updates `stabilizer`.
Decision Decide(int current, double load, std::optional<double> forecast_load, TimePoint now,
                const HpaParams& params, Stabilizer& stabilizer);

// Step 5: whether a hook may be called now for `decision`.
bool HookDue(const Decision& decision, std::optional<TimePoint> last_hook, TimePoint now,
             Duration cooldown);

}  // namespace metricsd::scaling
