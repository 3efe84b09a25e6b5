// The one way metricsd includes Boost.Beast (after the Asio wrapper and its <utility> fix).
#pragma once

#include "daemon/core/asio.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace metricsd {
namespace beast = boost::beast;
namespace http = boost::beast::http;

using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;
}  // namespace metricsd
