// HTTP basic auth against exporter-toolkit's `basic_auth_users` (user -> bcrypt hash).
//
// bcrypt costs tens of milliseconds by design, so, as exporter-toolkit does, a successful check
// is remembered and the next request with the same credentials is answered from memory. The
// cache never holds a password: its keys are an HMAC-SHA-256 (with a key drawn at start, so a
// memory dump cannot be brute-forced offline faster than bcrypt) of user, hash and password.
// Full checks run one at a time, so a flood of wrong passwords costs at most one core.
//
// Thread-safety: all methods may be called from any thread concurrently.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "absl/base/thread_annotations.h"
#include "daemon/core/mutex.h"

namespace metricsd {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// The credentials of an `Authorization: Basic <base64(user:password)>` header value, as Go's
// Request.BasicAuth reads them; nullopt for another scheme or malformed base64.
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header_value);

// True when `hash` has the shape of a bcrypt hash ($2a$, $2b$ or $2y$, cost 4..31, 53 chars of
// salt and digest), which is what exporter-toolkit's bcrypt.Cost() accepts.
bool IsBcryptHash(std::string_view hash);

class BasicAuth {
 public:
  // users: user name -> bcrypt hash (validated with IsBcryptHash by the caller).
  explicit BasicAuth(std::map<std::string, std::string, std::less<>> users);
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  // Cheap: these credentials passed Check() before (and are still in the cache).
  bool CheckCached(const BasicCredentials& credentials) const;
  // The full bcrypt check, remembering a success. An unknown user still costs one bcrypt (of a
  // dummy hash with the highest configured cost), so timing does not tell which users exist.
  bool Check(const BasicCredentials& credentials) const;

  std::size_t user_count() const { return users_.size(); }
  // Full bcrypt computations so far (for tests: a cached success must not add one).
  std::size_t bcrypt_runs() const;

  // exporter-toolkit's cache size.
  static constexpr std::size_t kCacheCapacity = 100;

 private:
  std::string CacheKey(const BasicCredentials& credentials, std::string_view hash) const;
  // The stored hash for `user`, or the dummy one.
  std::string_view HashFor(std::string_view user, bool& known) const;

  const std::map<std::string, std::string, std::less<>> users_;
  std::string dummy_hash_;
  std::string hmac_key_;

  mutable Mutex cache_mutex_;
  mutable std::unordered_set<std::string> cache_ ABSL_GUARDED_BY(cache_mutex_);
  // Serialises bcrypt (CPU-bound) and owns libcrypt's scratch space (~32 KiB).
  mutable Mutex bcrypt_mutex_;
  mutable std::size_t bcrypt_runs_ ABSL_GUARDED_BY(bcrypt_mutex_) = 0;
};

}  // namespace metricsd
