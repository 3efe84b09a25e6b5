// The one way metricsd includes Boost.Asio.
//
// Debian 12's Boost 1.74 uses std::exchange in asio/awaitable.hpp without including
// <utility>, which GCC 12 rejects in C++20 mode. Including <utility> first here keeps the
// whole tree on C++20 instead of dropping to C++17.
#pragma once

#include <utility>

#include <boost/asio.hpp>

namespace metricsd {
namespace net = boost::asio;
}  // namespace metricsd
