#include "daemon/flags.h"

#include <vector>

#include <gtest/gtest.h>

namespace metricsd {
namespace {

FlagsResult Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "metricsd");
  return ParseFlags(static_cast<int>(args.size()), args.data());
}

TEST(FlagsTest, DefaultsWithNoArguments) {
  FlagsResult result = Parse({});
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.flags.config_file, "");
  EXPECT_FALSE(result.flags.listen_address);
  EXPECT_EQ(result.flags.log_level, LogLevel::kInfo);
  EXPECT_EQ(result.flags.log_format, LogFormat::kLogfmt);
}

TEST(FlagsTest, AcceptsEqualsAndSeparateValues) {
  FlagsResult result = Parse({"--config.file=/tmp/a.yaml", "--web.listen-address", "[::1]:0",
                              "--log.level=debug", "--log.format", "json", "--check-config"});
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.flags.config_file, "/tmp/a.yaml");
  EXPECT_EQ(result.flags.listen_address->ToString(), "[::1]:0");
  EXPECT_EQ(result.flags.log_level, LogLevel::kDebug);
  EXPECT_EQ(result.flags.log_format, LogFormat::kJson);
  EXPECT_TRUE(result.flags.check_config);
}

TEST(FlagsTest, RejectsWhatItDoesNotKnow) {
  EXPECT_EQ(Parse({"--config.fil=x"}).error, "unknown flag --config.fil=x (see --help)");
  EXPECT_EQ(Parse({"--config.file"}).error, "flag --config.file needs a value");
  EXPECT_EQ(Parse({"--web.listen-address=9102"}).error,
            "--web.listen-address: invalid address \"9102\" (expected HOST:PORT)");
  EXPECT_EQ(Parse({"--log.level=loud"}).error,
            "--log.level must be debug, info, warn or error, got \"loud\"");
  EXPECT_EQ(Parse({"--log.format=xml"}).error, "--log.format must be logfmt or json, got \"xml\"");
}

TEST(FlagsTest, LifecycleIsOffUnlessAsked) {
  EXPECT_FALSE(Parse({}).flags.enable_lifecycle);
  EXPECT_TRUE(Parse({"--web.enable-lifecycle"}).flags.enable_lifecycle);
  EXPECT_NE(FlagsUsage().find("--web.enable-lifecycle"), std::string_view::npos);
}

TEST(FlagsTest, HelpAndVersion) {
  EXPECT_TRUE(Parse({"-h"}).flags.help);
  EXPECT_TRUE(Parse({"--version"}).flags.version);
  EXPECT_NE(FlagsUsage().find("--config.file"), std::string_view::npos);
}

}  // namespace
}  // namespace metricsd
