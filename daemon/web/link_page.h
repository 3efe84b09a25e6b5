// The plain page `/` serves when the dashboard is off: version, config path and every endpoint,
// linked. The dashboard's Endpoints page shows the same list from /api/v1/dashboard.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "daemon/core/route.h"

namespace metricsd::web {

// `<`, `>`, `&` and `"` as entities.
std::string HtmlEscape(std::string_view text);

// The `code` spans of an (already escaped) one-line Markdown doc as <code> elements.
std::string MarkdownCodeToHtml(std::string_view text);

std::string RenderLinkPage(std::string_view version, std::string_view revision,
                           std::string_view config_file, const Routes& routes);

}  // namespace metricsd::web
