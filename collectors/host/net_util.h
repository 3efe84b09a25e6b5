// Header-only helpers the net collectors (arp, bonding, conntrack, netclass, softnet,
// udp_queues, ipvs) share: Go's integer parsing as procfs and node_exporter call it (strconv.ParseInt/ParseUint
// with base 0 or 16), and reading a procfs file that may legitimately be absent.
//
// Thread-safety: the functions are pure except ReadUnlessAbsent, which uses the caller's
// CachedFile (not thread-safe; the poller's thread only).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/proc_file.h"

namespace metricsd::host {

// strconv.ParseUint(text, base, bits): base 16 takes bare hex digits, base 10 decimal digits,
// base 0 a 0x/0o/0b prefix or a leading 0 for octal (and underscores between digits, as Go
// does then). nullopt on any stray character or a value over `bits` bits.
inline std::optional<std::uint64_t> ParseGoUint(std::string_view text, int base, int bits = 64);
// strconv.ParseInt(text, base, 64): ParseGoUint with an optional sign.
inline std::optional<std::int64_t> ParseGoInt(std::string_view text, int base);

// The file's text, or null when it does not exist (the kernel lacks the feature or the
// module is not loaded: node_exporter's "no data"). Any other failure throws CollectError.
inline const std::string* ReadUnlessAbsent(CachedFile& file);

// Go's strings.TrimSpace for the ASCII whitespace the kernel writes.
inline std::string_view TrimSpace(std::string_view text);

// --- implementation

namespace net_detail {

inline int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Go's underscoreOK: with base 0, '_' may only sit between digits or after the base prefix.
inline bool UnderscoresOk(std::string_view text) {
  char saw = '^';  // '^' start, '0' digit or prefix, '_' underscore, '!' other
  std::size_t i = 0;
  bool hex = false;
  if (text.size() >= 2 && text[0] == '0') {
    char p = static_cast<char>(text[1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      hex = p == 'x';
      i = 2;
      saw = '0';
    }
  }
  for (; i < text.size(); ++i) {
    char c = text[i];
    if ((c >= '0' && c <= '9') || (hex && DigitValue(c) < 16)) {
      saw = '0';
    } else if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
    } else {
      if (saw == '_') return false;
      saw = '!';
    }
  }
  return saw != '_';
}

}  // namespace net_detail

inline std::optional<std::uint64_t> ParseGoUint(std::string_view text, int base, int bits) {
  if (text.empty()) return std::nullopt;
  bool underscores = false;
  if (base == 0) {
    if (!net_detail::UnderscoresOk(text)) return std::nullopt;
    base = 10;
    if (text[0] == '0') {
      char p = text.size() >= 2 ? static_cast<char>(text[1] | 0x20) : '\0';
      if (text.size() >= 3 && p == 'x') {
        base = 16;
        text.remove_prefix(2);
      } else if (text.size() >= 3 && p == 'o') {
        base = 8;
        text.remove_prefix(2);
      } else if (text.size() >= 3 && p == 'b') {
        base = 2;
        text.remove_prefix(2);
      } else {
        base = 8;
        text.remove_prefix(1);
      }
    }
    underscores = true;
  }
  std::uint64_t max = bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c == '_' && underscores) continue;
    int digit = net_detail::DigitValue(c);
    if (digit >= base) return std::nullopt;
    auto b = static_cast<std::uint64_t>(base);
    if (value > (max - static_cast<std::uint64_t>(digit)) / b) return std::nullopt;
    value = value * b + static_cast<std::uint64_t>(digit);
  }
  return value;
}

inline std::optional<std::int64_t> ParseGoInt(std::string_view text, int base) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::optional<std::uint64_t> magnitude = ParseGoUint(text, base);
  if (!magnitude) return std::nullopt;
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  if (negative) {
    if (*magnitude > kLimit) return std::nullopt;
    return *magnitude == kLimit ? INT64_MIN : -static_cast<std::int64_t>(*magnitude);
  }
  if (*magnitude >= kLimit) return std::nullopt;
  return static_cast<std::int64_t>(*magnitude);
}

inline const std::string* ReadUnlessAbsent(CachedFile& file) {
  try {
    return &file.Read();
  } catch (const CollectError&) {
    // Only a failed read pays for this second look; errno is gone by the time we catch.
    if (::access(file.path().c_str(), F_OK) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
      return nullptr;
    }
    throw;
  }
}

inline std::string_view TrimSpace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  std::size_t start = text.find_first_not_of(kSpace);
  if (start == std::string_view::npos) return {};
  return text.substr(start, text.find_last_not_of(kSpace) - start + 1);
}

}  // namespace metricsd::host
