#include "daemon/analytics/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "daemon/analytics/normal_distribution.h"

namespace metricsd::analytics {

MannWhitneyResult MannWhitney(std::span<const double> a, std::span<const double> b) {
  MannWhitneyResult result;
  // (value, from A) for every finite observation, ranked together.
  std::vector<std::pair<double, bool>> all;
  all.reserve(a.size() + b.size());
  for (double v : a) {
    if (!std::isnan(v)) all.emplace_back(v, true);
  }
  result.n_a = all.size();
  for (double v : b) {
    if (!std::isnan(v)) all.emplace_back(v, false);
  }
  result.n_b = all.size() - result.n_a;
  if (!result.valid()) return result;
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });

  const double n_a = static_cast<double>(result.n_a);
  const double n_b = static_cast<double>(result.n_b);
  const double n = n_a + n_b;
  double rank_sum_a = 0;
  double tie_term = 0;  // sum of t^3 - t over groups of t tied values
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    // Ranks i+1 .. j (1-based) share their average.
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k) {
      if (all[k].second) rank_sum_a += average_rank;
    }
    const double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }
  result.u = rank_sum_a - n_a * (n_a + 1) / 2;
  result.effect = result.u / (n_a * n_b);

  const double mean = n_a * n_b / 2;
  const double variance = n_a * n_b / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (!(variance > 0)) return result;  // every value equal: no evidence either way
  const double sd = std::sqrt(variance);
  const double diff = result.u - mean;
  result.z = diff / sd;
  // The continuity correction moves U half a unit towards the mean, as scipy does.
  result.p_greater = std::min(1.0, normal::UpperTail((diff - 0.5) / sd));
  result.p_less = std::min(1.0, normal::UpperTail((-diff - 0.5) / sd));
  result.p_two_sided = std::min(1.0, 2 * normal::UpperTail((std::fabs(diff) - 0.5) / sd));
  return result;
}

}  // namespace metricsd::analytics
