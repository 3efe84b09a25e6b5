#include "daemon/core/secret.h"

namespace metricsd {

std::string Secret(std::string_view value) { return value.empty() ? "" : std::string(kSecret); }

std::string RedactUrl(std::string_view url) {
  // Userinfo ends at the LAST '@', searched in the whole text rather than the authority alone:
  // a password with an unescaped '/', '?' or '@' in it is a common mistake and must not leak
  // either. Over-redacting a path that holds '@' is harmless in an echo.
  std::size_t scheme_end = url.find("://");
  std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  std::size_t at = url.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  std::size_t colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);  // a user alone
  std::string out(url.substr(0, colon + 1));
  out.append(kSecret);
  out.append(url.substr(at));
  return out;
}

}  // namespace metricsd
