#include "daemon/http/basic_auth.h"

#include <crypt.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <random>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace metricsd {
namespace {

// A well-formed bcrypt salt and digest that no password is known to match; the cost is put in
// front at load time.
constexpr std::string_view kDummySaltAndDigest =
    "b1/M8FWxNOkxX/dhq43r2eci85y0FOMBP16BRC2L5vj1bJECr2HnC";

bool IsBcryptChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '/';
}

int BcryptCost(std::string_view hash) {
  return (hash[4] - '0') * 10 + (hash[5] - '0');
}

std::optional<std::string> DecodeBase64(std::string_view in) {
  // Go's base64.StdEncoding: the standard alphabet, padding required, nothing else.
  if (in.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int padding = 0;
    unsigned bits = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=') {
        // Only in the last group, only at its end.
        if (i + 4 != in.size() || j < 2) return std::nullopt;
        ++padding;
        bits <<= 6;
        continue;
      }
      int v = value(c);
      if (v < 0 || padding > 0) return std::nullopt;
      bits = (bits << 6) | static_cast<unsigned>(v);
    }
    out.push_back(static_cast<char>((bits >> 16) & 0xff));
    if (padding < 2) out.push_back(static_cast<char>((bits >> 8) & 0xff));
    if (padding < 1) out.push_back(static_cast<char>(bits & 0xff));
  }
  return out;
}

}  // namespace

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header_value) {
  constexpr std::string_view kPrefix = "Basic ";
  if (header_value.size() < kPrefix.size()) return std::nullopt;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    char c = header_value[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char want = kPrefix[i];
    if (want >= 'A' && want <= 'Z') want = static_cast<char>(want - 'A' + 'a');
    if (c != want) return std::nullopt;
  }
  std::optional<std::string> decoded = DecodeBase64(header_value.substr(kPrefix.size()));
  if (!decoded) return std::nullopt;
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool IsBcryptHash(std::string_view hash) {
  // $2?$NN$ + 22 salt + 31 digest characters.
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' ||
      hash[6] != '$') {
    return false;
  }
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return false;
  int cost = BcryptCost(hash);
  if (cost < 4 || cost > 31) return false;
  return std::all_of(hash.begin() + 7, hash.end(), IsBcryptChar);
}

BasicAuth::BasicAuth(std::map<std::string, std::string, std::less<>> users)
    : users_(std::move(users)) {
  int cost = 10;
  for (const auto& [user, hash] : users_) cost = std::max(cost, BcryptCost(hash));
  dummy_hash_ = "$2b$" + std::to_string(cost) + "$" + std::string(kDummySaltAndDigest);
  hmac_key_.resize(32);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(hmac_key_.data()),
                 static_cast<int>(hmac_key_.size())) != 1) {
    // No randomness: fall back to a key from the C++ library's source rather than fail start-up.
    std::random_device random;
    for (char& c : hmac_key_) c = static_cast<char>(random());
  }
}

std::string_view BasicAuth::HashFor(std::string_view user, bool& known) const {
  auto it = users_.find(user);
  known = it != users_.end();
  return known ? std::string_view(it->second) : std::string_view(dummy_hash_);
}

std::string BasicAuth::CacheKey(const BasicCredentials& credentials,
                                std::string_view hash) const {
  // Length-prefixed fields, so ("ab", "c") and ("a", "bc") cannot collide.
  std::string message;
  for (std::string_view field : {std::string_view(credentials.user), hash,
                                 std::string_view(credentials.password)}) {
    message += std::to_string(field.size());
    message += ':';
    message += field;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), hmac_key_.data(), static_cast<int>(hmac_key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  OPENSSL_cleanse(message.data(), message.size());
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool BasicAuth::CheckCached(const BasicCredentials& credentials) const {
  bool known = false;
  std::string_view hash = HashFor(credentials.user, known);
  if (!known) return false;
  std::string key = CacheKey(credentials, hash);
  MutexLock lock(cache_mutex_);
  return cache_.count(key) > 0;
}

bool BasicAuth::Check(const BasicCredentials& credentials) const {
  bool known = false;
  std::string_view hash = HashFor(credentials.user, known);
  std::string key = CacheKey(credentials, hash);
  if (known) {
    MutexLock lock(cache_mutex_);
    if (cache_.count(key) > 0) return true;
  }
  // crypt() reads a C string: a password with a NUL would be checked cut short, so never match
  // one (the bcrypt is still spent, so timing does not tell).
  bool has_nul = credentials.password.find('\0') != std::string::npos;
  bool match = false;
  {
    MutexLock lock(bcrypt_mutex_);
    auto scratch = std::make_unique<crypt_data>();
    std::string setting(hash);
    const char* result = crypt_r(credentials.password.c_str(), setting.c_str(), scratch.get());
    ++bcrypt_runs_;
    if (result != nullptr && result[0] != '*') {
      std::string_view computed(result);
      match = computed.size() == hash.size() &&
              CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
    }
    OPENSSL_cleanse(scratch.get(), sizeof(crypt_data));
  }
  if (!known || has_nul || !match) return false;
  MutexLock lock(cache_mutex_);
  if (cache_.size() >= kCacheCapacity) {
    // As exporter-toolkit: drop a random tenth, so a full cache is not trimmed on every request.
    thread_local std::minstd_rand random(std::random_device{}());
    std::size_t drop = std::max<std::size_t>(1, cache_.size() / 10);
    for (std::size_t i = 0; i < drop && !cache_.empty(); ++i) {
      auto victim = cache_.begin();
      std::advance(victim, std::uniform_int_distribution<std::size_t>(0, cache_.size() - 1)(random));
      cache_.erase(victim);
    }
  }
  cache_.insert(std::move(key));
  return true;
}

std::size_t BasicAuth::bcrypt_runs() const {
  MutexLock lock(bcrypt_mutex_);
  return bcrypt_runs_;
}

}  // namespace metricsd
