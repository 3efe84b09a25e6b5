// What every EnumTable must satisfy, for the table tests of each library: spellings pinned
// (users read them in configs, labels and JSON), unique, and each one parsing back to its value.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/core/enum_table.h"

namespace metricsd::test_support {

// `spellings` lists the names in enumerator order (0, 1, ...): every enumerator up to the
// table's size is named, so a value added to the enum without a row fails here.
template <class E, std::size_t N>
void ExpectEnumTable(const EnumTable<E, N>& table, const std::vector<std::string>& spellings) {
  EXPECT_EQ(table.Names(), spellings);
  std::set<std::string> unique(spellings.begin(), spellings.end());
  EXPECT_EQ(unique.size(), N) << "a spelling is used twice";
  for (std::size_t i = 0; i < N; ++i) {
    E value = static_cast<E>(i);
    ASSERT_LT(i, spellings.size());
    EXPECT_EQ(table.Name(value), spellings[i]) << "enumerator " << i;
    auto parsed = table.Parse(spellings[i]);
    ASSERT_TRUE(parsed.has_value()) << spellings[i];
    EXPECT_EQ(*parsed, value) << spellings[i];
  }
  EXPECT_FALSE(table.Parse("no such value").has_value());
  EXPECT_FALSE(table.Parse("").has_value());
}

}  // namespace metricsd::test_support
