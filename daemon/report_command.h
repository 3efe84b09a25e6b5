// `metricsd report --name NAME --format md|json|html`: one report of analytics.reports made
// now and printed, from the store of a stopped daemon (the store's lock admits one process)
// or from analytics.source's remote API, without starting the daemon.
#pragma once

#include "daemon/flags.h"

namespace metricsd {

// Returns the process exit code: 0 printed, 1 an error (printed to standard error).
int RunReportCommand(const Flags& flags);

}  // namespace metricsd
