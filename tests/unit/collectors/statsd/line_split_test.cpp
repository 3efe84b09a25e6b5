// TakeLine against the plain definition (find '\n', strip one '\r', first ':', first '|' after
// it) on hand-picked lines and on random buffers over the bytes that matter, so the
// eight-at-a-time scan agrees with it at every offset and length.
#include "collectors/statsd/line_split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace metricsd::statsd {
namespace {

std::vector<LineParts> Plain(std::string_view buffer) {
  std::vector<LineParts> out;
  while (!buffer.empty()) {
    std::size_t newline = buffer.find('\n');
    LineParts parts;
    parts.line = buffer.substr(0, newline);
    if (!parts.line.empty() && parts.line.back() == '\r') parts.line.remove_suffix(1);
    parts.colon = parts.line.find(':');
    if (parts.colon != LineParts::npos) parts.bar = parts.line.find('|', parts.colon);
    out.push_back(parts);
    if (newline == std::string_view::npos) break;
    buffer.remove_prefix(newline + 1);
  }
  return out;
}

std::vector<LineParts> Taken(std::string_view buffer) {
  std::vector<LineParts> out;
  while (!buffer.empty()) out.push_back(TakeLine(buffer));
  return out;
}

void ExpectSame(std::string_view buffer) {
  std::vector<LineParts> plain = Plain(buffer), taken = Taken(buffer);
  ASSERT_EQ(plain.size(), taken.size()) << buffer;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(plain[i].line.data(), taken[i].line.data()) << buffer << " line " << i;
    EXPECT_EQ(plain[i].line, taken[i].line) << buffer << " line " << i;
    EXPECT_EQ(plain[i].colon, taken[i].colon) << buffer << " line " << i;
    EXPECT_EQ(plain[i].bar, taken[i].bar) << buffer << " line " << i;
  }
}

TEST(LineSplit, SplitsLinesAtTheirColonAndBar) {
  std::string_view buffer = "game.hits:1|c\ngame.time:12.5|ms|@0.1|#zone:eu\r\nno_colon|c\n";
  LineParts first = TakeLine(buffer);
  EXPECT_EQ(first.line, "game.hits:1|c");
  EXPECT_EQ(first.colon, 9u);
  EXPECT_EQ(first.bar, 11u);
  LineParts second = TakeLine(buffer);
  EXPECT_EQ(second.line, "game.time:12.5|ms|@0.1|#zone:eu");
  EXPECT_EQ(second.colon, 9u);
  EXPECT_EQ(second.bar, 14u);
  LineParts third = TakeLine(buffer);
  EXPECT_EQ(third.line, "no_colon|c");
  EXPECT_EQ(third.colon, LineParts::npos);
  EXPECT_EQ(third.bar, LineParts::npos);
  EXPECT_TRUE(buffer.empty());
}

TEST(LineSplit, EdgesAgreeWithThePlainDefinition) {
  for (const char* buffer : {"", "\n", "\n\n", "\r\n", "\r", ":", "|", ":|", "|:", "a:1", "a:1|",
                             "a:1\r\nb", "a:\r|c", "a:1|c\r", "a:1|c\r\r\n", "x\ny:2|g", ":::|||\n|",
                             "0123456789abcdef:0123456789abcdef|0123456789abcdef\n"}) {
    ExpectSame(buffer);
  }
  ExpectSame(std::string_view("a\0b:1|c\n\0:\0|\0", 13));
}

TEST(LineSplit, RandomBuffersAgreeWithThePlainDefinition) {
  std::mt19937 random(17);
  const char alphabet[] = {':', '|', '\n', '\r', 'a', '\0', '\x80', '\xff', ':' + 1, '|' - 1};
  for (int round = 0; round < 20000; ++round) {
    std::string buffer(random() % 70, ' ');
    for (char& c : buffer) c = alphabet[random() % sizeof alphabet];
    // Every starting offset, so the eight-byte words fall differently.
    std::string_view view = buffer;
    ExpectSame(view.substr(std::min<std::size_t>(round % 8, view.size())));
  }
}

}  // namespace
}  // namespace metricsd::statsd
