#include "daemon/scaling/scaling_config.h"

#include <set>

#include "daemon/client/url_key.h"
#include "daemon/query/promql_key.h"

namespace metricsd::scaling {
namespace {

using config::Section;

constexpr std::int64_t kMaxReplicas = 1'000'000;
// HPA's stabilizationWindowSeconds: 0 to 3600.
constexpr config::DurationBounds kWindowBounds{Duration(0), std::chrono::hours(1)};

const Section<WebhookHook>& WebhookSection() {
  static const auto* section = [] {
    auto* webhook = new Section<WebhookHook>(
        "POSTs each decision as JSON {target, current, desired, reason, forecast, load, "
        "target_value, time} (a 2xx answer is success).");
    AddUrlKey(*webhook, "url", &WebhookHook::url, "http:// or https:// URL receiving the POST")
        .Required("needs a url");
    webhook->Include(&WebhookHook::auth, HttpAuthSection())
        .Block("tls", &WebhookHook::tls, TlsSection(), "TLS of https URLs")
        .StringMap("headers", &WebhookHook::headers,
                   "extra request headers",
                   /*secret=*/true)
        .Dur("timeout", &WebhookHook::timeout, "time allowed for the whole request",
             config::DurationBounds{std::chrono::milliseconds(100), std::chrono::minutes(5)});
    return webhook;
  }();
  return *section;
}

const Section<ExecHook>& ExecSection() {
  static const auto* section =
      &(*new Section<ExecHook>(
            "Runs a program (argv, no shell) with METRICSD_SCALING_TARGET, _CURRENT, _DESIRED, "
            "_REASON, _FORECAST (empty without a forecast), _LOAD and _DIRECTION in its "
            "environment; exit status 0 is success."))
           .Strings("argv", &ExecHook::argv,
                    "the program (an absolute path or one found on PATH) and its arguments")
           .Required("needs argv")
           .Dur("timeout", &ExecHook::timeout, "killed (SIGKILL) when still running after this",
                config::DurationBounds{std::chrono::milliseconds(100), std::chrono::hours(1)})
           .StringMap("env", &ExecHook::env,
                      "extra environment variables (the daemon's own environment is not passed "
                      "on, except PATH)")
           .Check("argv is not empty", [](const ConfigNode& node, ExecHook& exec) {
             if (node.IsSet() && exec.argv.empty()) node["argv"].Fail("must name a program");
             for (std::size_t i = 0; i < exec.argv.size(); ++i) {
               if (exec.argv[i].find('\0') != std::string::npos) {
                 node["argv"].Items()[i].Fail("contains a NUL byte");
               }
             }
           });
  return *section;
}

const Section<ScalingHooks>& HooksSection() {
  static const auto* section =
      &(*new Section<ScalingHooks>("What is called when desired differs from current."))
           .Block("webhook", &ScalingHooks::webhook, WebhookSection(), WebhookSection().doc())
           .OmitWhen([](const ScalingHooks& h) { return !h.webhook.configured(); })
           .Block("exec", &ScalingHooks::exec, ExecSection(), ExecSection().doc())
           .OmitWhen([](const ScalingHooks& h) { return !h.exec.configured(); });
  return *section;
}

const Section<Stabilization>& StabilizationSection() {
  static const auto* section =
      &(*new Section<Stabilization>(
            "Kubernetes HPA's stabilization windows: a scale-down applies the highest "
            "recommendation of the last scale_down window, a scale-up the lowest of the last "
            "scale_up window."))
           .Dur("scale_up", &Stabilization::scale_up,
                "window over which the lowest recommendation is used when scaling up (HPA: 0s)",
                kWindowBounds)
           .Dur("scale_down", &Stabilization::scale_down,
                "window over which the highest recommendation is used when scaling down "
                "(HPA: 5m)",
                kWindowBounds);
  return *section;
}

const Section<Predictive>& PredictiveSection() {
  static const auto* section =
      &(*new Section<Predictive>(
            "Scale up ahead of the load: the load expression's Holt-Winters forecast `lead` "
            "ahead gives a second recommendation, and the higher of the two is used (a "
            "forecast never scales down)."))
           .Dur("lead", &Predictive::lead,
                "how far ahead the load is forecast; 0s: no forecast (e.g. 15m)")
           .Dur("history", &Predictive::history, "the range of load history the forecast is fitted to",
                config::kPositive)
           .Dur("step", &Predictive::step, "the step of that history's range query",
                config::kPositive)
           .Check("step fits history at least 3 times", [](const ConfigNode& node, Predictive& p) {
             if (p.enabled() && p.history < 3 * p.step) {
               node["history"].Fail("must hold at least 3 steps (" + FormatDuration(p.step) +
                                    " each) to fit a forecast");
             }
           });
  return *section;
}

const Section<ScalingTarget>& TargetSection() {
  static const auto* section = [] {
    auto* target = new Section<ScalingTarget>(
        "A workload to scale: desired = ceil(current x load / target), as Kubernetes's HPA "
        "(load and target per replica).");
    target->String("name", &ScalingTarget::name, "unique name (the `target` label)")
        .Required("needs a name")
        .String("load", &ScalingTarget::load,
                "PromQL giving the load per replica now, as HPA's metric value (e.g. an average "
                "over replicas): a scalar or a one-element vector")
        .Required("needs a load expression")
        .Double("target", &ScalingTarget::target, 0, 1e300,
                "the desired load per replica (> 0), HPA's target value")
        .Required("needs a target (the load per replica)")
        .Add(config::MakeKeyInfo("current_replicas", "int " + config::IntRange(0, kMaxReplicas),
                                 "the current replica count, when it is static (or current_expr)",
                                 {{"type", {"integer", "null"}}, {"minimum", 0}, {"maximum", kMaxReplicas}}),
             [](const ConfigNode& node, ScalingTarget& t) {
               t.current_replicas = static_cast<int>(node.AsInt(0, kMaxReplicas));
             },
             [](const ScalingTarget& t) {
               return t.current_replicas ? nlohmann::json(*t.current_replicas) : nlohmann::json();
             })
        .NoDefault()
        .OmitWhen([](const ScalingTarget& t) { return !t.current_replicas; })
        .String("current_expr", &ScalingTarget::current_expr,
                "PromQL giving the current replica count (or current_replicas)")
        .NoDefault()
        .OmitWhen([](const ScalingTarget& t) { return t.current_expr.empty(); })
        .Int("min_replicas", &ScalingTarget::min_replicas, 0, kMaxReplicas, "the fewest replicas advised")
        .Int("max_replicas", &ScalingTarget::max_replicas, 1, kMaxReplicas, "the most replicas advised")
        .Double("tolerance", &ScalingTarget::tolerance, 0, 10,
                "no change while |load / target - 1| is at most this (HPA: 0.1)")
        .Block("stabilization", &ScalingTarget::stabilization, StabilizationSection(),
               StabilizationSection().doc())
        .Dur("cooldown", &ScalingTarget::cooldown,
             "the least time between two hook calls of this target")
        .Block("predictive", &ScalingTarget::predictive, PredictiveSection(),
               PredictiveSection().doc())
        .Block("hooks", &ScalingTarget::hooks, HooksSection(), HooksSection().doc())
        .Bool("dry_run", &ScalingTarget::dry_run,
              "compute, log and expose decisions but call no hook")
        .Check("load and current_expr are PromQL; current_replicas or current_expr, not both; "
               "min_replicas <= max_replicas",
               [](const ConfigNode& node, ScalingTarget& t) {
                 if (!node.IsSet()) return;
                 query::CheckPromQL(node["load"], t.load);
                 query::CheckPromQL(node["current_expr"], t.current_expr);
                 if (t.target <= 0 && node["target"].IsSet()) node["target"].Fail("must be > 0");
                 bool has_static = t.current_replicas.has_value();
                 bool has_expr = !t.current_expr.empty();
                 if (has_static && has_expr) {
                   node["current_expr"].Fail("set current_replicas or current_expr, not both");
                 }
                 if (!has_static && !has_expr) {
                   node.Fail("needs current_replicas (a number) or current_expr (PromQL)");
                 }
                 if (t.min_replicas > t.max_replicas) {
                   node["min_replicas"].Fail("is above max_replicas (" +
                                             std::to_string(t.max_replicas) + ")");
                 }
               });
    return target;
  }();
  return *section;
}

}  // namespace

const config::Section<ScalingConfig>& ScalingSection() {
  static const auto* section =
      &(*new config::Section<ScalingConfig>(
            "The scaling advisor: per target, Kubernetes's HPA formula over a PromQL load "
            "(optionally ahead of its forecast), exposed at /api/v1/scaling and as "
            "metricsd_scaling_* metrics, and hooks (webhook, exec) called when not in dry_run. "
            "Needs history (the load is queried through the PromQL engine)."))
           .Dur("interval", &ScalingConfig::interval, "How often targets are evaluated.",
                config::kPositive)
           .List("targets", &ScalingConfig::targets, TargetSection(), TargetSection().doc())
           .Check("target names are unique", [](const ConfigNode& node, ScalingConfig& c) {
             std::set<std::string> seen;
             std::vector<ConfigNode> items = node["targets"].Items();
             for (std::size_t i = 0; i < c.targets.size(); ++i) {
               if (!seen.insert(c.targets[i].name).second) {
                 const ConfigNode at = i < items.size() ? items[i]["name"] : node["targets"];
                 at.Fail("target \"" + c.targets[i].name + "\" is defined twice");
               }
             }
           });
  return *section;
}

}  // namespace metricsd::scaling
