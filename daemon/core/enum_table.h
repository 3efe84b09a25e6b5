// One table per enum that users see spelled out (config values, labels, JSON), so the spelling
// is written once and both directions read it: Name(value) and Parse(text).
//
//   inline constexpr EnumTable<Kind, 3> kKindNames{{{
//       {Kind::kUdp, "udp"}, {Kind::kTcp, "tcp"}, {Kind::kUnixgram, "unixgram"}}}};
//   kKindNames.Name(Kind::kTcp) == "tcp";  kKindNames.Parse("udp") == Kind::kUdp
//
// Thread-safety: immutable; any thread may read it.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace metricsd {

template <class E, std::size_t N>
struct EnumTable {
  std::array<std::pair<E, std::string_view>, N> entries;

  // The spelling of `value`; "" for a value missing from the table (a programming error the
  // unit tests of each table catch).
  constexpr std::string_view Name(E value) const {
    for (const auto& [item, name] : entries) {
      if (item == value) return name;
    }
    return {};
  }
  constexpr std::optional<E> Parse(std::string_view text) const {
    for (const auto& [item, name] : entries) {
      if (name == text) return item;
    }
    return std::nullopt;
  }
  // Every spelling, in table order: for error messages, docs and the JSON Schema's `enum`.
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    names.reserve(N);
    for (const auto& entry : entries) names.emplace_back(entry.second);
    return names;
  }
};

}  // namespace metricsd
