#include "daemon/analytics/remote_source.h"

#include <boost/beast/core/string.hpp>
#include <optional>

#include "daemon/client/url.h"

namespace metricsd::analytics {
namespace {

bool SameAuth(const HttpAuth& a, const HttpAuth& b) {
  return a.username == b.username && a.password == b.password &&
         a.password_file == b.password_file && a.bearer_token == b.bearer_token &&
         a.bearer_token_file == b.bearer_token_file;
}

// Headers the engine sets itself (or that would smuggle credentials past basic_auth and
// bearer_token, which are masked and never logged).
bool ReservedHeader(std::string_view name) {
  for (std::string_view reserved : {"Authorization", "Host", "Content-Type", "Content-Length",
                                    "Transfer-Encoding", "Connection"}) {
    if (boost::beast::iequals(name, reserved)) return true;
  }
  return false;
}

}  // namespace

bool RemoteSource::operator==(const RemoteSource& other) const {
  return url == other.url && SameAuth(auth, other.auth) && tls == other.tls &&
         timeout == other.timeout && headers == other.headers && max_steps == other.max_steps &&
         body_limit == other.body_limit;
}

const config::Section<RemoteSource>& RemoteSourceSection() {
  static const auto* section = [] {
    auto* source = new config::Section<RemoteSource>(
        "A remote Prometheus-compatible API (Prometheus, Thanos, Mimir, VictoriaMetrics) to "
        "analyse instead of the local history.");
    source
        ->Add(
            config::MakeKeyInfo(
                "url", "URL",
                "base URL of the query API, before /api/v1 (e.g. "
                "http://prometheus:9090); empty: the local history",
                {{"type", {"string", "null"}}, {"pattern", "^$|^[hH][tT][tT][pP][sS]?://"}}),
            [](const ConfigNode& node, RemoteSource& out) {
              std::string text = node.AsString();
              if (!text.empty() && !ParseUrl(text)) {
                bool userinfo = text.find('@') != std::string::npos;
                node.Fail("invalid URL \"" + RedactUrl(text) +
                          "\" (expected http://HOST[:PORT]/... or https://...)" +
                          (userinfo ? "; put credentials in basic_auth, not in the URL" : ""));
              }
              out.url = std::move(text);
            },
            [](const RemoteSource& in) { return nlohmann::json(RedactUrl(in.url)); })
        .Include(&RemoteSource::auth, HttpAuthSection())
        .Block("tls", &RemoteSource::tls, TlsSection(), "TLS of an https url")
        .Dur("timeout", &RemoteSource::timeout, "time allowed for one HTTP request",
             config::kPositive)
        .StringMap("headers", &RemoteSource::headers,
                   "extra request headers, e.g. X-Scope-OrgID (values are masked)",
                   /*secret=*/true,
                   [](const ConfigNode& node, const std::string& name) {
                     if (ReservedHeader(name)) {
                       node.Fail("header " + name +
                                 " is set by metricsd (credentials: basic_auth or bearer_token)");
                     }
                   })
        .Int("max_steps", &RemoteSource::max_steps, 1, 1000000,
             "steps per range request; longer ranges are split (Prometheus refuses more than "
             "11000 points per series)")
        .Size("body_limit", &RemoteSource::body_limit, 1024, std::int64_t{4} << 30,
              "largest response accepted (bytes or 256MiB); larger is an error");
    return source;
  }();
  return *section;
}

}  // namespace metricsd::analytics
