#include "daemon/export/remote_write_sender.h"

#include <stdexcept>

#include "daemon/client/http_pool.h"
#include "daemon/client/url.h"

namespace metricsd::remote {

namespace {
class HttpSender final : public BatchSender {
 public:
  HttpSender(net::io_context& ioc, HttpPoolOptions options, Url url, RemoteWriteEndpoint endpoint)
      : pool_(ioc, std::move(options)), url_(std::move(url)), endpoint_(std::move(endpoint)) {}

  void Send(std::string body, std::function<void(SendResult)> done) override {
    ExchangeRequest request;
    request.host = url_.host;
    request.port = url_.port;
    request.use_tls = url_.https;
    request.url = url_;
    request.method = "POST";
    request.follow_redirects = false;
    request.body_limit = 1 << 20;
    request.timeout = endpoint_.remote_timeout;
    request.headers = {{"Content-Encoding", "snappy"},
                       {"Content-Type", "application/x-protobuf"},
                       {"User-Agent", "metricsd"},
                       {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
    for (const auto& [name, value] : endpoint_.headers) request.headers.emplace_back(name, value);
    try {
      std::string authorization = endpoint_.AuthorizationHeader();
      if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
    } catch (const std::exception& e) {
      SendResult failed;
      failed.error = e.what();  // names the file, never the secret
      done(std::move(failed));
      return;
    }
    request.body = std::move(body);
    pool_.Request(std::move(request), [done = std::move(done)](ExchangeResult result) {
      SendResult out;
      out.completed = result.outcome == Outcome::kOk;
      out.status = result.status;
      out.error = out.completed ? std::string() : std::string(OutcomeName(result.outcome)) + ": " + result.error;
      out.retry_after = result.retry_after;
      done(std::move(out));
    });
  }

 private:
  HttpPool pool_;
  const Url url_;
  const RemoteWriteEndpoint endpoint_;
};

}  // namespace

std::shared_ptr<BatchSender> MakeHttpSender(net::io_context& ioc, const RemoteWriteEndpoint& endpoint,
                                            std::string* error) {
  std::optional<Url> url = ParseUrl(endpoint.url);
  if (!url) {
    if (error != nullptr) *error = "not an http or https URL: " + RedactUrl(endpoint.url);
    return nullptr;
  }
  HttpPoolOptions options;
  options.host = url->host;
  options.port = url->port;
  options.server_name = endpoint.tls.server_name;
  try {
    if (url->https) options.tls = MakeTlsContext(endpoint.tls.ca_file, endpoint.tls.insecure_skip_verify);
  } catch (const std::exception& e) {
    if (error != nullptr) *error = e.what();
    return nullptr;
  }
  return std::make_shared<HttpSender>(ioc, std::move(options), std::move(*url), endpoint);
}

}  // namespace metricsd::remote
