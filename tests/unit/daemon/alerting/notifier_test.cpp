// What receivers get: Alertmanager's v2 body, its webhook body, its time format and its
// fingerprint (the e2e test checks the fingerprint against a real Alertmanager's).
#include "daemon/alerting/notifier.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace metricsd::alerting {
namespace {

Notification MakeNotification(std::string zone, double ends_at) {
  Notification alert;
  alert.labels = {{"alertname", "TooManyPlayers"}, {"zone", std::move(zone)}};
  alert.annotations = {{"summary", "many"}};
  alert.starts_at = 1795811600.25;
  alert.ends_at = ends_at;
  alert.generator_url = "http://host:9102/api/v1/alerts";
  return alert;
}

TEST(NotifierTest, TimestampsAsAlertmanagerWritesThem) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(1795811600.25), "2026-11-27T20:33:20.250Z");
  EXPECT_EQ(FormatTimestamp(1795811600.9996), "2026-11-27T20:33:21.000Z");
}

TEST(NotifierTest, FingerprintIsFnv1aOverSortedLabels) {
  EXPECT_EQ(Fingerprint({}), "cbf29ce484222325");  // FNV-1a 64's offset basis
  EXPECT_NE(Fingerprint({{"a", "b"}}), Fingerprint({{"ab", ""}}));  // separators count
}

TEST(NotifierTest, AlertmanagerAndWebhookBodies) {
  std::vector<Notification> alerts{MakeNotification("north", 2000000000), MakeNotification("south", 1000)};
  nlohmann::json v2 = nlohmann::json::parse(AlertmanagerPayload(alerts));
  ASSERT_EQ(v2.size(), 2u);
  EXPECT_EQ(v2[0], nlohmann::json::parse(R"({"labels":{"alertname":"TooManyPlayers","zone":"north"},
    "annotations":{"summary":"many"},"startsAt":"2026-11-27T20:33:20.250Z",
    "endsAt":"2033-05-18T03:33:20.000Z","generatorURL":"http://host:9102/api/v1/alerts"})"));

  nlohmann::json hook = nlohmann::json::parse(WebhookPayload(alerts, 1795811601, "http://host:9102"));
  EXPECT_EQ(hook["version"], "4");
  EXPECT_EQ(hook["status"], "firing");  // any alert still firing
  EXPECT_EQ(hook["alerts"][0]["status"], "firing");
  EXPECT_EQ(hook["alerts"][1]["status"], "resolved");  // endsAt in the past
  EXPECT_EQ(hook["commonLabels"], nlohmann::json::parse(R"({"alertname":"TooManyPlayers"})"));
  EXPECT_EQ(hook["commonAnnotations"], nlohmann::json::parse(R"({"summary":"many"})"));
  EXPECT_EQ(hook["externalURL"], "http://host:9102");
  EXPECT_EQ(hook["alerts"][0]["fingerprint"], Fingerprint(alerts[0].labels));
}

}  // namespace
}  // namespace metricsd::alerting
