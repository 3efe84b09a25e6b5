// The scaling advisor's hooks: what is called when a target's desired replica count differs
// from its current one. Both are blocking calls made on the advisor's hook thread (never on
// the io_context's threads), each bounded by its own timeout.
//   - exec: posix_spawnp(argv) in a process group of its own, no shell; the decision in
//     METRICSD_SCALING_* environment variables (plus PATH and the configured env, nothing else
//     of the daemon's environment); stdout and stderr captured (bounded) and logged at debug;
//     SIGKILL to the group when the timeout passes. The child gets stdin from /dev/null and
//     no other descriptor of the daemon's.
//   - webhook: one POST of the decision as JSON through RunExchange (daemon/client/exchange.h)
//     on the io_context; the calling thread waits for its answer.
//
// Thread-safety: the functions may run concurrently on any threads but the io_context's own
// (PostWebhook waits for a handler that runs there).
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/core/asio.h"
#include "daemon/scaling/hpa.h"
#include "daemon/scaling/scaling_config.h"

namespace metricsd::scaling {

// What a hook is told.
struct HookEvent {
  std::string target;
  int current = 0;
  int desired = 0;
  std::string reason;
  std::optional<double> forecast;  // the forecast load, when predictive
  double load = 0;
  double target_value = 0;
  Direction direction = Direction::kNone;
  TimePoint time;
};

// How a call went: `result` is the metric's label ("success", "failure", "timeout"), `detail`
// a message for the log (never a secret).
struct HookResult {
  std::string result;
  std::string detail;
  bool ok() const { return result == "success"; }
};

// The webhook's body: {target, current, desired, reason, forecast (null without), load,
// target_value, direction, time (RFC 3339)}.
nlohmann::json HookEventJson(const HookEvent& event);
// "2026-12-03T12:55:01.250Z".
std::string FormatRfc3339(TimePoint time);

// Runs the exec hook to its end, its timeout, or `stopping` turning true (then it is killed:
// result "failure", detail "stopped").
HookResult RunExecHook(const ExecHook& hook, const HookEvent& event,
                       const std::atomic<bool>& stopping);

// POSTs the event; waits at most the hook's timeout (plus a second's grace for the handler),
// or until `stopping` turns true (result "failure", detail "stopped": shutdown never waits
// for a slow receiver).
HookResult PostWebhook(net::io_context& ioc, const WebhookHook& hook, const HookEvent& event,
                       const std::atomic<bool>& stopping);

}  // namespace metricsd::scaling
