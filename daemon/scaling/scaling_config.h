// The `scaling` section: targets the scaling advisor watches (daemon/scaling/scaling_advisor.h).
// Each target names a PromQL load expression, the load one replica should carry, where the
// current replica count comes from (a static number or a PromQL expression), the bounds and
// the HPA-style tolerance, stabilization windows and cooldown, an optional forecast lead, and
// the hooks called when the advisor wants another replica count.
//
// Thread-safety: plain values; immutable once loaded.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/client/url.h"
#include "daemon/core/config_schema.h"
#include "daemon/core/duration.h"
#include "daemon/core/http_client_config.h"

namespace metricsd::scaling {

// `hooks.webhook`: POSTs the decision as JSON. Configured when `url` is set.
struct WebhookHook {
  std::optional<Url> url;
  HttpAuth auth;
  TlsOptions tls;
  std::vector<std::pair<std::string, std::string>> headers;  // values are secrets
  Duration timeout = std::chrono::seconds(10);

  bool configured() const { return url.has_value(); }
};

// `hooks.exec`: runs argv[0] with the decision in its environment (no shell). Configured
// when `argv` is not empty.
struct ExecHook {
  std::vector<std::string> argv;
  Duration timeout = std::chrono::seconds(30);
  std::vector<std::pair<std::string, std::string>> env;

  bool configured() const { return !argv.empty(); }
};

struct ScalingHooks {
  WebhookHook webhook;
  ExecHook exec;
};

// `stabilization`: Kubernetes HPA's behavior.scaleUp/scaleDown.stabilizationWindowSeconds.
struct Stabilization {
  Duration scale_up{0};
  Duration scale_down = std::chrono::minutes(5);
};

// `predictive`: scale up ahead of the load's Holt-Winters forecast. Enabled when lead > 0.
struct Predictive {
  Duration lead{0};
  Duration history = std::chrono::hours(1);  // the range the forecast is fitted to
  Duration step = std::chrono::minutes(1);   // the range query's step

  bool enabled() const { return lead.count() > 0; }
};

struct ScalingTarget {
  std::string name;
  std::string load;                        // PromQL: the load per replica, one number
  double target = 0;                       // its desired value (> 0)
  std::optional<int> current_replicas;     // static current replica count
  std::string current_expr;                // or PromQL giving it
  int min_replicas = 1;
  int max_replicas = 10;
  double tolerance = 0.1;
  Stabilization stabilization;
  Duration cooldown = std::chrono::minutes(3);
  Predictive predictive;
  ScalingHooks hooks;
  bool dry_run = true;
};

struct ScalingConfig {
  Duration interval = std::chrono::seconds(15);  // how often targets are evaluated
  std::vector<ScalingTarget> targets;
};

const config::Section<ScalingConfig>& ScalingSection();

}  // namespace metricsd::scaling
