// Probes without the network: URLs, the dry-run request and the judgement of answers, AO unit
// health answers, and config validation with positions; and one exchange on loopback (an IP
// literal, which skips the resolver, and a host name, which does not).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <thread>
#include <vector>

#include "collectors/probes/ao.h"
#include "collectors/probes/probe_config.h"
#include "daemon/client/exchange.h"
#include "daemon/client/url.h"
#include "daemon/core/beast.h"
#include "tests/unit/support/config_error_of.h"

namespace metricsd::probes {
namespace {

TEST(UrlTest, ParsesWhatProbesUse) {
  auto url = ParseUrl("https://cu.ao-testnet.xyz/dry-run?x=1");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->https);
  EXPECT_EQ(url->host, "cu.ao-testnet.xyz");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/dry-run?x=1");
  EXPECT_EQ(url->HostHeader(), "cu.ao-testnet.xyz");
  url = ParseUrl("http://[::1]:8080");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(url->ToString(), "http://[::1]:8080/");
  for (const char* bad : {"ftp://x", "http://", "http://x:0", "http://x:99999", "http://u@x/", "x"}) {
    EXPECT_FALSE(ParseUrl(bad)) << bad;
  }
  auto base = *ParseUrl("http://a:81/dir/page?q");
  EXPECT_EQ(ResolveUrl(base, "/ok")->ToString(), "http://a:81/ok");
  EXPECT_EQ(ResolveUrl(base, "next")->ToString(), "http://a:81/dir/next");
  EXPECT_EQ(ResolveUrl(base, "https://b/")->ToString(), "https://b/");
}

// Go's shouldCopyHeaderOnRedirect, with the port compared too.
TEST(UrlTest, CredentialsFollowOnlyToTheSameHostOrASubdomain) {
  auto follows = [](const char* from, const char* to) {
    return CredentialsMayFollow(*ParseUrl(from), *ParseUrl(to));
  };
  EXPECT_TRUE(follows("http://foo.com/a", "http://foo.com/b"));
  EXPECT_TRUE(follows("http://foo.com/", "http://sub.foo.com/"));
  EXPECT_TRUE(follows("http://Foo.COM/", "http://a.b.foo.com./"));
  EXPECT_TRUE(follows("http://foo.com/", "https://foo.com:80/"));  // the scheme is the caller's check
  EXPECT_FALSE(follows("http://foo.com/", "http://bar.com/"));
  EXPECT_FALSE(follows("http://foo.com/", "http://evilfoo.com/"));
  EXPECT_FALSE(follows("http://sub.foo.com/", "http://foo.com/"));
  EXPECT_FALSE(follows("http://foo.com/", "http://foo.com:8080/"));
  EXPECT_FALSE(follows("http://foo.com/", "https://foo.com/"));  // 80 and 443
  EXPECT_FALSE(follows("http://localhost:9/", "http://127.0.0.1:9/"));
  EXPECT_FALSE(follows("http://1/", "http://[::1]/"));
  EXPECT_TRUE(follows("http://[::1]:9/", "http://[::1]:9/x"));
}

TEST(UrlTest, RedactedForLogsAndErrors) {
  EXPECT_EQ(RedactUrl("https://user:pass@host/"), "https://user:<secret>@host/");
  EXPECT_EQ(RedactUrl("https://user@host/"), "https://user@host/");
  EXPECT_EQ(RedactUrl("http://u:p:q@h:81"), "http://u:<secret>@h:81");
  EXPECT_EQ(RedactUrl("http://h/p?token=abc&x=1"), "http://h/p?<secret>");
  EXPECT_EQ(RedactUrl("http://h/p/a@b:c"), "http://h/p/a@b:c");  // '@' in the path is no userinfo
  EXPECT_EQ(RedactUrl("/relative?k=v"), "/relative?<secret>");
  EXPECT_EQ(RedactUrl("http://[::1]:80/"), "http://[::1]:80/");
}

TEST(DryrunTest, BodyCarriesTargetActionAndFreshIds) {
  DryrunOptions options;
  options.process_id = "PID";
  options.action = "Transfer";
  options.tags = {{"Recipient", "r"}};
  auto first = nlohmann::json::parse(DryrunBody(options, 1));
  auto second = nlohmann::json::parse(DryrunBody(options, 2));
  EXPECT_EQ(first["Target"], "PID");
  EXPECT_EQ(first["Tags"][0], (nlohmann::json{{"name", "Action"}, {"value", "Transfer"}}));
  EXPECT_EQ(first["Tags"][1], (nlohmann::json{{"name", "Recipient"}, {"value", "r"}}));
  EXPECT_EQ(first["Id"].get<std::string>().size(), 43u);
  EXPECT_NE(first["Id"], second["Id"]);
  EXPECT_NE(first["Anchor"], second["Anchor"]);
  options.cache_bust = false;
  EXPECT_EQ(DryrunBody(options, 1), DryrunBody(options, 2));
  EXPECT_EQ(DryrunTarget(*ParseUrl("http://cu"), "a b/c"), "/dry-run?process-id=a%20b%2Fc");
  EXPECT_EQ(DryrunTarget(*ParseUrl("http://cu/base"), "P"), "/base/dry-run?process-id=P");
}

struct Judged {
  unsigned status;
  const char* body;
  Outcome outcome;
};

class JudgeDryrunTest : public ::testing::TestWithParam<Judged> {};

TEST_P(JudgeDryrunTest, OutcomeOfEachAnswer) {
  DryrunExpect expect;
  expect.min_messages = 1;
  expect.pointers.emplace_back("/Messages/0/Data", nlohmann::json("pong"));
  expect.first_message_tag.emplace("Action", "Pong");
  EXPECT_EQ(JudgeDryrun(GetParam().status, GetParam().body, expect).outcome, GetParam().outcome)
      << GetParam().body;
}

INSTANTIATE_TEST_SUITE_P(
    Answers, JudgeDryrunTest,
    ::testing::Values(
        Judged{200, R"({"Messages":[{"Data":"pong","Tags":[{"name":"Action","value":"Pong"}]}],"GasUsed":5})", Outcome::kOk},
        Judged{200, R"({"Messages":[{"Data":"pong","Tags":[{"name":"Action","value":"Pong"}]}],"Error":null})", Outcome::kOk},
        Judged{200, R"({"Messages":[{"Data":"pong","Tags":[{"name":"Action","value":"Pong"}]}],"Error":""})", Outcome::kOk},
        Judged{200, R"({"Messages":[],"Error":"boom"})", Outcome::kError},
        Judged{200, R"({"Messages":[],"Error":{"code":1}})", Outcome::kError},
        Judged{200, R"({"Messages":[]})", Outcome::kExpectationFailed},
        Judged{200, R"({"Messages":[{"Data":"nope","Tags":[]}]})", Outcome::kExpectationFailed},
        Judged{200, R"({"Messages":[{"Data":"pong","Tags":[{"name":"Action","value":"Other"}]}]})", Outcome::kExpectationFailed},
        Judged{200, "not json", Outcome::kBadResponse},
        Judged{200, "[1,2]", Outcome::kBadResponse},
        Judged{202, "", Outcome::kBusy},
        Judged{429, R"({"error":"slow"})", Outcome::kRateLimited},
        Judged{403, R"({"error":"no"})", Outcome::kDenied},
        Judged{500, R"({"error":"x"})", Outcome::kHttpError}));

TEST(JudgeDryrunTest, ReportsGasMessagesAndTheErrorText) {
  auto verdict = JudgeDryrun(500, R"({"error":"cu exploded"})", {});
  EXPECT_EQ(verdict.error, "HTTP 500: cu exploded");
  verdict = JudgeDryrun(200, R"({"Messages":[{},{}],"GasUsed":"77"})", {});
  EXPECT_EQ(*verdict.gas_used, 77);
  EXPECT_EQ(*verdict.messages, 2);
}

TEST(UnitHealthTest, EachUnitsAnswer) {
  EXPECT_EQ(JudgeUnitHealth(AoUnit::kMu, 200, "ao messenger unit").outcome, Outcome::kOk);
  EXPECT_EQ(JudgeUnitHealth(AoUnit::kMu, 200, "{}").outcome, Outcome::kBadResponse);
  auto cu = JudgeUnitHealth(AoUnit::kCu, 200, R"({"address":"w","timestamp":1700000000000})");
  EXPECT_EQ(cu.outcome, Outcome::kOk);
  EXPECT_EQ(cu.address, "w");
  EXPECT_EQ(*cu.timestamp_ms, 1700000000000.0);
  EXPECT_EQ(JudgeUnitHealth(AoUnit::kSu, 200, "ao messenger unit").outcome, Outcome::kBadResponse);
  EXPECT_EQ(JudgeUnitHealth(AoUnit::kCu, 503, "").outcome, Outcome::kHttpError);
  std::optional<double> timestamp;
  EXPECT_EQ(*SuBlockHeight(R"({"timestamp":5,"block_height":1500123})", timestamp), 1500123);
  EXPECT_EQ(*timestamp, 5);
}

ProbesConfig Parse(const std::string& yaml) { return ParseProbesConfig(ParseYaml(yaml, "p.yaml")); }

TEST(ProbesConfigTest, DefaultsAndNames) {
  auto config = Parse("targets:\n  - {type: http, url: 'http://a/x'}\n  - {type: tcp, address: 'db:5432', interval: 1m}\n");
  ASSERT_EQ(config.targets.size(), 2u);
  EXPECT_EQ(config.targets[0].name, "http://a/x");
  EXPECT_EQ(config.targets[0].interval, std::chrono::seconds(15));
  EXPECT_EQ(config.targets[1].name, "db:5432");
  EXPECT_EQ(config.targets[1].tcp_host, "db");
  EXPECT_EQ(config.targets[1].tcp_port, 5432);
  EXPECT_TRUE(config.targets[0].http.ValidStatus(204));
  EXPECT_FALSE(config.targets[0].http.ValidStatus(301));
  EXPECT_FALSE(config.targets[0].http.allow_insecure_redirect);
}

TEST(ProbesConfigTest, AllowInsecureRedirectPerTargetOrByDefault) {
  auto config = Parse("targets:\n  - {type: http, url: 'https://a', allow_insecure_redirect: true}\n"
                      "  - {type: ao_unit, url: 'https://b', unit: cu}\n");
  EXPECT_TRUE(config.targets[0].http.allow_insecure_redirect);
  EXPECT_FALSE(config.targets[1].http.allow_insecure_redirect);
  config = Parse("defaults: {allow_insecure_redirect: true}\n"
                 "targets:\n  - {type: http, url: 'https://a'}\n"
                 "  - {type: ao_dryrun, url: 'https://b', process_id: P, action: A, allow_insecure_redirect: false}\n");
  EXPECT_TRUE(config.targets[0].http.allow_insecure_redirect);
  EXPECT_FALSE(config.targets[1].http.allow_insecure_redirect);
}

struct BadProbes {
  const char* yaml;
  const char* error;
};

class ProbesValidationTest : public ::testing::TestWithParam<BadProbes> {};

TEST_P(ProbesValidationTest, RejectedWithPosition) {
  EXPECT_EQ(ConfigErrorOf([] { Parse(GetParam().yaml); }), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ProbesValidationTest,
    ::testing::Values(
        BadProbes{"targets:\n  - {type: http, url: 'http://a', interval: 1s, timeout: 2s}\n",
                  "p.yaml:2:58: targets[0].timeout: timeout (2s) must be less than interval (1s)"},
        BadProbes{"targets:\n  - {type: http, url: 'ftp://a'}\n",
                  "p.yaml:2:23: targets[0].url: invalid URL \"ftp://a\" (expected http://HOST[:PORT]/... or https://...)"},
        BadProbes{"targets:\n  - {type: ping, url: 'http://a'}\n",
                  "p.yaml:2:12: targets[0].type: must be http, tcp, ao_dryrun or ao_unit, got \"ping\""},
        BadProbes{"targets:\n  - {type: tcp, address: 'a:1', method: GET}\n",
                  "p.yaml:2:41: targets[0].method: only for type http"},
        BadProbes{"targets:\n  - {type: http, url: 'http://a', fail_if_body_matches_regexp: ['(']}\n",
                  "p.yaml:2:65: targets[0].fail_if_body_matches_regexp[0]: invalid regular expression: missing ): ("},
        BadProbes{"targets:\n  - {type: http, url: 'http://a'}\n  - {type: http, url: 'http://a'}\n",
                  "p.yaml:3:5: targets[1]: duplicate target name \"http://a/\" (set `name`)"},
        BadProbes{"targets:\n  - {type: ao_dryrun, url: 'http://cu', action: Info}\n",
                  "p.yaml:2:5: targets[0].process_id: expected a string, got nothing"},
        BadProbes{"targets:\n  - {type: tcp, address: 'nohost'}\n",
                  "p.yaml:2:26: targets[0].address: invalid address \"nohost\" (expected HOST:PORT)"},
        BadProbes{"targets:\n  - {type: http, url: 'https://a', tls: {ca_file: /nonexistent.pem}}\n",
                  "p.yaml:2:51: targets[0].tls.ca_file: cannot read /nonexistent.pem: No such file or directory"},
        BadProbes{"targets:\n  - {type: tcp, address: 'a:1', allow_insecure_redirect: true}\n",
                  "p.yaml:2:58: targets[0].allow_insecure_redirect: only for type http, ao_dryrun, ao_unit"},
        // A password in the URL never reaches the error (nor --check-config's output).
        BadProbes{"targets:\n  - {type: http, url: 'http://u:hunter2@a/?t=x'}\n",
                  "p.yaml:2:23: targets[0].url: invalid URL \"http://u:<secret>@a/?<secret>\" "
                  "(expected http://HOST[:PORT]/... or https://...)"}));

// An IP literal connects without the resolver (exchange.cpp), a name is resolved: both reach
// the server, each over a new connection asking to close, with the same request and result.
TEST(ExchangeTest, IpLiteralAndHostNameReachTheServer) {
  using tcp = net::ip::tcp;
  net::io_context server_ioc;
  tcp::acceptor acceptor(server_ioc, {net::ip::make_address("127.0.0.1"), 0});
  std::uint16_t port = acceptor.local_endpoint().port();
  std::vector<std::string> seen;  // "target host connection" of each request, one per connection
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      tcp::socket socket(server_ioc);
      acceptor.accept(socket);
      beast::flat_buffer buffer;
      HttpRequest request;
      http::read(socket, buffer, request);
      seen.push_back(std::string(request.target()) + " " + std::string(request[http::field::host]) + " " +
                     std::string(request[http::field::connection]));
      HttpResponse response{http::status::ok, 11, "ok\n"};
      response.prepare_payload();
      http::write(socket, response);
    }
  });
  net::io_context ioc;
  std::vector<ExchangeResult> results;
  for (std::string host : {"127.0.0.1", "localhost"}) {
    ExchangeRequest request;
    request.host = host;
    request.port = port;
    request.url = *ParseUrl("http://" + host + ":" + std::to_string(port) + "/ok?from=" + host);
    RunExchange(ioc, std::move(request), [&results](ExchangeResult result) { results.push_back(std::move(result)); });
    ioc.run();
    ioc.restart();
  }
  server.join();
  ASSERT_EQ(results.size(), 2u);
  for (const ExchangeResult& result : results) {
    EXPECT_EQ(result.outcome, Outcome::kOk) << result.error;
    EXPECT_EQ(result.status, 200u);
    EXPECT_EQ(result.body, "ok\n");
    EXPECT_EQ(result.content_length, 3);
  }
  std::string where = ":" + std::to_string(port) + " close";
  EXPECT_EQ(seen, (std::vector<std::string>{"/ok?from=127.0.0.1 127.0.0.1" + where,
                                            "/ok?from=localhost localhost" + where}));
}

}  // namespace
}  // namespace metricsd::probes
