// The prober's HTTP API: GET /api/v1/targets.
#include "collectors/probes/prober.h"

namespace metricsd::probes {

Routes ProberRoutes(const Prober* prober) {
  return {Route{
      .path = "/api/v1/targets",
      .methods = {http::verb::get},
      .handler = [prober](const HttpRequest& request) {
        return MakeResponse(request, http::status::ok, prober->TargetsJson().dump() + "\n",
                            "application/json");
      },
      .doc = "every probe target: its config, `last_outcome`, `last_error`, "
             "`last_duration_seconds`, `last_run`, `last_status_code`, `next_run`, `running`, "
             "`skipped`",
  }};
}

}  // namespace metricsd::probes
