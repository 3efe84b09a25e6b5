// Delivering a rendered report: a file in the report's directory (written atomically, older
// files rotated away) and a POST to a webhook.
//
// Thread-safety: WriteReport may run on any thread, but two writes of the same report and
// format at once race on rotation (the scheduler runs one report at a time). PostReport may be
// called from any thread; its callback runs once, on an io_context thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "daemon/analytics/report_config.h"
#include "daemon/core/asio.h"
#include "daemon/query/promql/value.h"

namespace metricsd::analytics {

// "<name>-<yyyymmddThhmmssZ>.<ext>" for `now` (ms, UTC): sorts by time as text.
std::string ReportFileName(std::string_view name, std::string_view format,
                           query::promql::Timestamp now);

// Writes `rendered` to report.directory/ReportFileName(...) (creating the directory), through a
// temporary file in the same directory that is synced and renamed, so a reader never sees a
// partial report; then deletes all but the newest report.keep files of this report and format.
// Returns the file's path. Throws std::runtime_error naming the path and the system's reason
// (no space left on device, permission denied) when it cannot be written, leaving no
// temporary behind; a file that rotation cannot delete is only logged.
std::string WriteReport(const ReportConfig& report, std::string_view format,
                        std::string_view rendered, query::promql::Timestamp now);

struct PostResult {
  bool ok = false;      // a 2xx answer
  unsigned status = 0;  // the HTTP status, 0 when none arrived
  // Why it failed, e.g. "POST https://host/hook: HTTP 503" or "...: timeout: ..."; the URL's
  // query string and credentials are redacted and no header is ever included.
  std::string error;
};

using PostCallback = std::function<void(PostResult)>;

// POSTs `body` with `content_type` to target.url with its Authorization (basic or bearer, files
// read now) and TLS options, within target.timeout, following no redirect. `done` runs once
// with the result; the caller counts failures.
void PostReport(net::io_context& ioc, const WebhookTarget& target, std::string body,
                std::string content_type, PostCallback done);

}  // namespace metricsd::analytics
