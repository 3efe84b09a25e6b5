// How an exchange (and a probe) ended: one of these, the `outcome` label of
// metricsd_probes_total and friends.
#pragma once

#include <string_view>

#include "daemon/core/enum_table.h"

namespace metricsd {

enum class Outcome {
  kOk,
  kError,              // the AO process reported Error
  kExpectationFailed,  // an `expect` check, a status code or a body regexp failed
  kBusy,               // CU answered 202
  kRateLimited,        // 429
  kDenied,             // 403
  kHttpError,          // any other unexpected status
  kBadResponse,        // not HTTP, invalid JSON, over the body limit, closed early
  kTimeout,
  kConnectError,
  kDnsError,
  kTlsError,
};
inline constexpr int kOutcomes = 12;

// The `outcome` label's values.
inline constexpr EnumTable<Outcome, kOutcomes> kOutcomeNames{{{
    {Outcome::kOk, "ok"},
    {Outcome::kError, "error"},
    {Outcome::kExpectationFailed, "expectation_failed"},
    {Outcome::kBusy, "busy"},
    {Outcome::kRateLimited, "rate_limited"},
    {Outcome::kDenied, "denied"},
    {Outcome::kHttpError, "http_error"},
    {Outcome::kBadResponse, "bad_response"},
    {Outcome::kTimeout, "timeout"},
    {Outcome::kConnectError, "connect_error"},
    {Outcome::kDnsError, "dns_error"},
    {Outcome::kTlsError, "tls_error"},
}}};
inline std::string_view OutcomeName(Outcome outcome) { return kOutcomeNames.Name(outcome); }

}  // namespace metricsd
