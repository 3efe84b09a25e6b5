#include "daemon/analytics/cusum.h"

#include <algorithm>
#include <cmath>

namespace metricsd::analytics {
namespace {

// One side of the tabular CUSUM; `sign` +1 accumulates upward deviations, -1 downward.
// Episodes are addressed by index: the vector they live in grows.
class Side {
 public:
  Side(int sign, const CusumOptions& options) : sign_(sign), options_(options) {}

  void Add(std::size_t i, double z, std::vector<CusumEpisode>& episodes) {
    sum_ = std::max(0.0, sum_ + sign_ * z - options_.k);
    if (sum_ == 0) {
      if (open_ != kNone) episodes[open_].end = i;
      open_ = kNone;
      last_zero_ = static_cast<std::ptrdiff_t>(i);
    } else if (open_ != kNone) {
      episodes[open_].peak = std::max(episodes[open_].peak, sum_);
    } else if (sum_ >= options_.h) {
      CusumEpisode episode;
      episode.direction = sign_;
      episode.start = static_cast<std::size_t>(last_zero_ + 1);
      episode.alarm = i;
      episode.peak = sum_;
      episodes.push_back(episode);
      open_ = episodes.size() - 1;
    }
  }

  double sum() const { return sum_; }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  int sign_;
  CusumOptions options_;
  double sum_ = 0;
  std::ptrdiff_t last_zero_ = -1;  // -1: the sum has been above zero since the first point
  std::size_t open_ = kNone;       // the episode this side is in
};

}  // namespace

CusumResult Cusum(std::span<const double> z, const CusumOptions& options) {
  CusumResult result;
  Side up(+1, options), down(-1, options);
  for (std::size_t i = 0; i < z.size(); ++i) {
    if (std::isnan(z[i])) continue;
    up.Add(i, z[i], result.episodes);
    down.Add(i, z[i], result.episodes);
  }
  result.final_up = up.sum();
  result.final_down = down.sum();
  if (!result.episodes.empty()) {
    const CusumEpisode& first = result.episodes.front();
    result.alarmed = true;
    result.direction = first.direction;
    result.alarm_index = first.alarm;
    result.start_index = first.start;
  }
  return result;
}

}  // namespace metricsd::analytics
