#include "daemon/client/connection_steps.h"

#include <openssl/x509v3.h>

#include <boost/asio/ssl.hpp>

namespace metricsd::client_steps {
namespace {

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::vector<net::ip::tcp::endpoint> OrderEndpoints(const net::ip::tcp::resolver::results_type& results,
                                                   bool prefer_ip6) {
  std::vector<net::ip::tcp::endpoint> endpoints;
  for (const auto& entry : results) {
    if (entry.endpoint().address().is_v6() == prefer_ip6) endpoints.push_back(entry.endpoint());
  }
  for (const auto& entry : results) {
    if (entry.endpoint().address().is_v6() != prefer_ip6) endpoints.push_back(entry.endpoint());
  }
  return endpoints;
}

void SetPeerName(SSL* ssl, const std::string& name) {
  if (IsIpLiteral(name)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, name.c_str());
    SSL_set1_host(ssl, name.c_str());
  }
}

Outcome Classify(const boost::system::error_code& ec, Outcome outcome) {
  if (ec.category() == net::error::get_ssl_category() || ec == net::ssl::error::stream_truncated) {
    if (outcome == Outcome::kTlsError || outcome == Outcome::kConnectError) return Outcome::kTlsError;
  }
  return outcome;
}

std::string BodyLimitMessage(std::size_t limit) {
  return "body larger than the limit of " + std::to_string(limit) + " bytes";
}

}  // namespace metricsd::client_steps
