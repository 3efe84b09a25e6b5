// How config views show secrets: as Prometheus does, the literal `<secret>`.
//
// Every place that renders config (/api/v1/status/config, /api/v1/targets) goes through
// these, so a password never has a second spelling to forget. (URLs echoed in errors and logs
// go through RedactUrl in daemon/client/url.h.) Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace metricsd {

// What a rendered config shows in place of a secret's value.
inline constexpr std::string_view kSecret = "<secret>";

// kSecret for a set secret, "" for an unset one: whether a secret is configured is useful to
// see; its value never is.
std::string Secret(std::string_view value);

}  // namespace metricsd
