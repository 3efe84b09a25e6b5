#include "daemon/core/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace metricsd {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(LoggingTest, WritesLogfmtWithQuotingWhereNeeded) {
  std::string line = FormatLogLine(LogFormat::kLogfmt, LogLevel::kWarn, "config reload failed",
                                   {{"err", "a.yaml:1:2: bad \"x\""}, {"n", "3"}});
  EXPECT_THAT(line, MatchesRegex("ts=[0-9T:.-]+Z level=warn msg=\"config reload failed\" "
                                 "err=\"a.yaml:1:2: bad \\\\\"x\\\\\"\" n=3\n"));
}

TEST(LoggingTest, WritesOneJsonObjectPerLine) {
  std::string line = FormatLogLine(LogFormat::kJson, LogLevel::kError, "x\ny",
                                   {{"path", "/a\"b"}});
  ASSERT_EQ(line.back(), '\n');
  nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "error");
  EXPECT_EQ(parsed["msg"], "x\ny");
  EXPECT_EQ(parsed["path"], "/a\"b");
  EXPECT_THAT(parsed["ts"].get<std::string>(), HasSubstr("T"));
}

TEST(LoggingTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel("verbose"), std::nullopt);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("text"), std::nullopt);
}

}  // namespace
}  // namespace metricsd
