// One POST of a body to a configured webhook (scheduled report delivery, scaling hooks): the
// URL's host and TLS (`tls`), the credentials (`auth`, secret files read now), no redirects (a
// body is not re-sent, with its credentials, to another host), and an answer read only for its
// status (64 KiB at most).
//
// Thread-safety: a pure function (it reads the secret files named in `auth`).
#pragma once

#include <string>

#include "daemon/client/exchange.h"
#include "daemon/client/url.h"
#include "daemon/core/duration.h"
#include "daemon/core/http_client_config.h"

namespace metricsd {

// Fills `request` for RunExchange. False with `error` when the TLS context or the credentials
// cannot be set up: the CA file's error, or "credentials: " and the secret file's error (it
// names the file, never a secret).
bool MakeWebhookPost(const Url& url, const TlsOptions& tls, const HttpAuth& auth,
                     std::string content_type, std::string body, Duration timeout,
                     ExchangeRequest& request, std::string& error);

}  // namespace metricsd
