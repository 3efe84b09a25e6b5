// A report as Markdown (CommonMark with GitHub tables) for chat, tickets and git: headings per
// section, paragraphs, key/value lists, tables, findings as a list, and charts as a table of
// each line's last, minimum and maximum value with a plain-text sparkline (Markdown has no
// charts). Every text from the document is escaped, so a label such as "<script>" or "a | b"
// stays text and never breaks a table or the page.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "daemon/analytics/report_document.h"

namespace metricsd::analytics {

std::string RenderMarkdown(const ReportDocument& document);

// `text` as inline Markdown that renders literally: newlines become spaces, Markdown and HTML
// syntax characters are escaped (backslash or entity), leading spaces dropped.
std::string EscapeMarkdown(std::string_view text);
// The same for text that starts a line (a paragraph): a leading heading or list marker
// ("# ", "- ", "1. ") is neutralised too.
std::string EscapeMarkdownBlock(std::string_view text);

// Up to `width` block characters (▁..█) of the line's values, averaged per bucket; a space
// where a bucket has no finite value.
std::string Sparkline(const std::vector<query::promql::Point>& points, std::size_t width = 24);

}  // namespace metricsd::analytics
