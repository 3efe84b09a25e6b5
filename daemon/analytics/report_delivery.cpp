#include "daemon/analytics/report_delivery.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "daemon/client/exchange.h"
#include "daemon/client/webhook_post.h"
#include "daemon/core/logging.h"

namespace metricsd::analytics {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Fail(const std::string& what, const std::string& path, int error) {
  throw std::runtime_error("cannot " + what + " report " + path + ": " + std::strerror(error));
}

// The whole buffer, retrying short writes and EINTR.
void WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail("write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Whether `file` is one of this report's files in this format: NAME-yyyymmddThhmmssZ.EXT.
bool IsReportFile(std::string_view file, std::string_view name, std::string_view extension) {
  std::string prefix = std::string(name) + "-";
  std::string suffix = "." + std::string(extension);
  if (!file.starts_with(prefix) || !file.ends_with(suffix)) return false;
  std::string_view stamp = file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
  if (stamp.size() != 16 || stamp[8] != 'T' || stamp[15] != 'Z') return false;
  for (std::size_t i = 0; i < 15; ++i) {
    if (i != 8 && (stamp[i] < '0' || stamp[i] > '9')) return false;
  }
  return true;
}

void Rotate(const fs::path& directory, std::string_view name, std::string_view extension,
            int keep) {
  std::error_code ec;
  std::vector<std::string> files;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    std::string file = it->path().filename().string();
    if (IsReportFile(file, name, extension)) files.push_back(std::move(file));
  }
  if (ec) {
    LogWarn("cannot list reports for rotation",
            {{"dir", directory.string()}, {"err", ec.message()}});
    return;
  }
  if (files.size() <= static_cast<std::size_t>(std::max(keep, 1))) return;
  std::sort(files.begin(), files.end());  // the time stamp sorts as text
  std::size_t excess = files.size() - static_cast<std::size_t>(std::max(keep, 1));
  for (std::size_t i = 0; i < excess; ++i) {
    fs::path old = directory / files[i];
    if (!fs::remove(old, ec) && ec) {
      LogWarn("cannot delete an old report", {{"file", old.string()}, {"err", ec.message()}});
    }
  }
}

}  // namespace

std::string ReportFileName(std::string_view name, std::string_view format,
                           query::promql::Timestamp now) {
  std::time_t seconds = static_cast<std::time_t>(now >= 0 ? now / 1000 : (now - 999) / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(name) + "-" + stamp + "." + std::string(ReportExtension(format));
}

std::string WriteReport(const ReportConfig& report, std::string_view format,
                        std::string_view rendered, query::promql::Timestamp now) {
  if (report.directory.empty()) {
    throw std::runtime_error("report " + report.name + " has no directory to be written to");
  }
  fs::path directory = report.directory;
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) Fail("create the directory of", directory.string(), ec.value());
  fs::path path = directory / ReportFileName(report.name, format, now);
  // A dot file in the same directory: rename is atomic only within one file system, and
  // rotation never matches it.
  fs::path temporary =
      directory / ("." + path.filename().string() + ".tmp" + std::to_string(::getpid()));
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) Fail("create", path.string(), errno);
  try {
    WriteAll(fd, rendered, path.string());
    // Synced before the rename, so a crash leaves the old file list or the whole new file.
    if (::fsync(fd) != 0) Fail("sync", path.string(), errno);
    int closed = ::close(fd);
    fd = -1;
    if (closed != 0) Fail("close", path.string(), errno);
    if (::rename(temporary.c_str(), path.c_str()) != 0)
      Fail("rename into place", path.string(), errno);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {  // the rename itself durable; best effort (not every file system allows it)
    ::fsync(dir);
    ::close(dir);
  }
  Rotate(directory, report.name, ReportExtension(format), report.keep);
  return path.string();
}

void PostReport(net::io_context& ioc, const WebhookTarget& target, std::string body,
                std::string content_type, PostCallback done) {
  std::string where = "POST " + RedactUrl(target.url.ToString());
  auto fail_soon = [&ioc, &done, &where](const std::string& why) {
    // The callback never runs inside PostReport itself, as with a real exchange.
    net::post(ioc, [done = std::move(done), error = where + ": " + why] {
      PostResult result;
      result.error = error;
      done(std::move(result));
    });
  };
  // No redirects: a report is not re-sent, with its credentials, elsewhere.
  ExchangeRequest request;
  std::string error;
  if (!MakeWebhookPost(target.url, target.tls, target.auth, std::move(content_type), std::move(body),
                       target.timeout, request, error)) {
    return fail_soon(error);
  }
  RunExchange(ioc, std::move(request),
              [done = std::move(done), where = std::move(where)](ExchangeResult exchange) {
                PostResult result;
                result.status = exchange.status;
                if (exchange.outcome != Outcome::kOk) {
                  result.error = where + ": " + std::string(OutcomeName(exchange.outcome)) + ": " +
                                 exchange.error;
                } else if (exchange.status < 200 || exchange.status >= 300) {
                  result.error = where + ": HTTP " + std::to_string(exchange.status);
                } else {
                  result.ok = true;
                }
                done(std::move(result));
              });
}

}  // namespace metricsd::analytics
