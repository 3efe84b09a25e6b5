#include "daemon/core/secret.h"

namespace metricsd {

std::string Secret(std::string_view value) { return value.empty() ? "" : std::string(kSecret); }

}  // namespace metricsd
