#include "daemon/analytics/remote_source.h"

namespace metricsd::analytics {

const config::Section<RemoteSource>& RemoteSourceSection() {
  static const auto* section = new config::Section<RemoteSource>("A remote Prometheus-compatible API to analyse instead of the local history.");
  return *section;
}

}  // namespace metricsd::analytics
