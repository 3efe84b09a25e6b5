// The user-experience report sections: Apdex per latency watch with a histogram and frame
// smoothness ("ux"), and the correlation of technical watches with player-satisfaction watches
// ("correlation").
//
// Thread-safety: pure functions over the engine (thread-safe itself).
#pragma once

#include <string>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/report_document.h"

namespace metricsd::analytics {

// Apdex's T for `watch` in seconds, and where it came from ("watch", "reference <id>",
// "ux.apdex_t"): Watch::apdex_t, else the good line of the watch's explicitly named reference
// when that is in seconds, else ux.apdex_t (default 0.1 s, RAIL's response).
double ApdexTFor(const Watch& watch, const UxOptions& options, std::string* origin = nullptr);

ReportSection BuildUxSection(const AnalysisContext& context);
ReportSection BuildCorrelationSection(const AnalysisContext& context);

}  // namespace metricsd::analytics
