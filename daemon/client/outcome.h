// How an exchange (and a probe) ended: one of these, the `outcome` label of
// metricsd_probes_total and friends.
#pragma once

#include <string_view>

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

inline std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kError: return "error";
    case Outcome::kExpectationFailed: return "expectation_failed";
    case Outcome::kBusy: return "busy";
    case Outcome::kRateLimited: return "rate_limited";
    case Outcome::kDenied: return "denied";
    case Outcome::kHttpError: return "http_error";
    case Outcome::kBadResponse: return "bad_response";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kConnectError: return "connect_error";
    case Outcome::kDnsError: return "dns_error";
    case Outcome::kTlsError: return "tls_error";
  }
  return "error";
}

}  // namespace metricsd
