#include "daemon/analytics/cost_model.h"

namespace metricsd::analytics {

const config::Section<CostModel>& CostModelSection() {
  static const auto* section = new config::Section<CostModel>("The cost model for ROI.");
  return *section;
}

}  // namespace metricsd::analytics
