// GET /api/v1/scaling: the scaling advisor's targets and last decisions, in Prometheus's API
// envelope ({status: "success", data: {targets: [...]}}).
#include "daemon/query/api_json.h"
#include "daemon/scaling/scaling_advisor.h"

namespace metricsd::scaling {

Routes ScalingRoutes(ScalingAdvisor* advisor) {
  return {Route{.path = "/api/v1/scaling",
                .methods = {http::verb::get},
                .handler =
                    [advisor](const HttpRequest& request) {
                      return query::ApiSuccess(request, advisor->Status().dump());
                    },
                .doc = "Scaling advisor: each target's load, current and desired replicas, "
                       "direction, reason, forecast and last hook call."}};
}

}  // namespace metricsd::scaling
