// One keep-alive HTTP/1.1 connection, blocking, every call bounded by a timeout: what the load
// generator POSTs StatsD batches over and reads the target's /metrics with. A request on a
// reused connection the server had closed meanwhile is retried once on a new one.
//
// Thread-safety: not thread-safe; one thread uses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/core/beast.h"
#include "daemon/loadgen/socket_io.h"

namespace metricsd::loadgen {

struct HttpResult {
  unsigned status = 0;  // 0: no response (see error)
  std::string body;
  std::string error;    // transport error; empty when a response arrived
};

class HttpConnection {
 public:
  HttpConnection(std::string host, std::uint16_t port, std::chrono::milliseconds timeout);

  // `method` `target` with `body` (sent when not empty, with `content_type`).
  HttpResult Request(std::string_view method, std::string_view target, std::string_view body,
                     std::string_view content_type = "text/plain");

 private:
  HttpResult Once(std::string_view method, std::string_view target, std::string_view body,
                  std::string_view content_type, bool& reused);

  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  Fd fd_;
  beast::flat_buffer buffer_;  // bytes read past the last response
  std::string request_;        // reused to format requests
};

}  // namespace metricsd::loadgen
