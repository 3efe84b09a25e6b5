// How config views show secrets: as Prometheus does, the literal `<secret>`.
//
// Every place that renders config (/api/v1/status/config, /api/v1/targets) or echoes a value
// from it (config errors) goes through these, so a password never has a second spelling to
// forget. Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace metricsd {

// What a rendered config shows in place of a secret's value.
inline constexpr std::string_view kSecret = "<secret>";

// kSecret for a set secret, "" for an unset one: whether a secret is configured is useful to
// see; its value never is.
std::string Secret(std::string_view value);

// `url` with the password of any userinfo (`scheme://user:password@host`) replaced by kSecret,
// for echoing a URL from the config in an error or a log line.
std::string RedactUrl(std::string_view url);

}  // namespace metricsd
