// The BatchSender of a real endpoint: POSTs each body over a keep-alive HttpPool (one pool per
// endpoint) with remote_write 1.0's headers (Content-Encoding: snappy, Content-Type:
// application/x-protobuf, X-Prometheus-Remote-Write-Version: 0.1.0), the endpoint's headers
// and its credentials (read at each request, so a rotated secret file just works), under
// remote_timeout.
//
// Thread-safety: thread-safe (HttpPool is); `done` runs on an io_context thread.
#pragma once

#include <memory>
#include <string>

#include "daemon/core/asio.h"
#include "daemon/export/remote_write_config.h"
#include "daemon/export/remote_write_queue.h"

namespace metricsd::remote {

// Null with `error` for a URL that is not http(s) or an unreadable CA file.
std::shared_ptr<BatchSender> MakeHttpSender(net::io_context& ioc, const RemoteWriteEndpoint& endpoint,
                                            std::string* error);

}  // namespace metricsd::remote
