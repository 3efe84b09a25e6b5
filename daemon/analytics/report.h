// Builds a report: each section the report names, in its order (all when it names none), from
// its method's Build*Section, over [now - range, now], through the context's engine. A section
// whose method fails (a query error, an exception) carries the error instead of its blocks: one bad
// section never costs the others.
//
// Thread-safety: pure functions of their arguments (the engine is thread-safe).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/report_config.h"
#include "daemon/analytics/report_document.h"

namespace metricsd::analytics {

// The sections of `report` over its range ending at context.now (context.start/end are set
// here from the report's range).
ReportDocument BuildReport(const AnalysisContext& context, const ReportConfig& report,
                           std::string_view host);

// "json", "md", "html" → the rendered document; empty for an unknown format.
std::string RenderReport(const ReportDocument& document, std::string_view format);

}  // namespace metricsd::analytics
