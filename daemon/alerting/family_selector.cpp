#include "daemon/alerting/family_selector.h"

namespace metricsd::alerting {

void FamilyTypeReader::Family(std::string_view name, std::string_view, MetricType type) {
  // Two Sources announcing one family (they should not): the first type stands.
  if (names_.contains(name)) types_.emplace(std::string(name), type);
}

}  // namespace metricsd::alerting
