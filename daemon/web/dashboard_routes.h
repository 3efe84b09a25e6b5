// The dashboard's routes: `/` (the page, or the plain endpoint list when the dashboard is off),
// `/assets/<file>` (embedded files) and `/api/v1/dashboard` (the pages as data, with what the
// page needs to know about the daemon). Every response carries a strict Content-Security-Policy:
// the page runs only the daemon's own scripts and talks only to the daemon.
//
// Thread-safety: the handlers are thread-safe; `view` is called from the server's threads and
// must be too.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/route.h"
#include "daemon/web/dashboard_config.h"

namespace metricsd::web {

// The CSP of every dashboard response: no inline script or style, no other origin.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// What the page is told about the daemon, read per request (reloads change it).
struct DashboardView {
  std::shared_ptr<const DashboardConfig> config;  // null: the dashboard is off
  std::string config_file;
  std::string version;
  std::string revision;
  bool history = false;    // /api/v1/query* have data
  bool analytics = false;  // findings, annotations and reports answer
  bool alerting = false;   // /api/v1/rules and /api/v1/alerts list rules
  std::vector<std::string> reports;  // analytics.reports' names
};

// `endpoints` (every route of the daemon, for the Endpoints page and the plain list) must
// outlive the routes and be filled before the first request.
Routes DashboardRoutes(std::function<DashboardView()> view, const Routes* endpoints);

}  // namespace metricsd::web
