// DogStatsD events: the strict parser (lengths in bytes landing on the separators, required
// title and text, known field values), and their way through the aggregation to the sink and
// the counters.
#include "collectors/statsd/event.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

#include "collectors/statsd/aggregator.h"
#include "collectors/statsd/statsd_source.h"
#include "daemon/core/text_writer.h"
#include "tests/unit/support/samples.h"

namespace metricsd::statsd {
namespace {

// The datagram a DogStatsD client writes, lengths computed in bytes.
std::string Datagram(const std::string& title, const std::string& text,
                     const std::string& fields = "") {
  return "_e{" + std::to_string(title.size()) + "," + std::to_string(text.size()) + "}:" + title +
         "|" + text + fields;
}

EventError ErrorOf(std::string_view line) {
  StatsdEvent event;
  EventError error = EventError::kMalformedHeader;
  EXPECT_FALSE(ParseEvent(line, event, error)) << line;
  return error;
}

TEST(EventParser, MinimalEventHasDatadogDefaults) {
  StatsdEvent event;
  EventError error;
  ASSERT_TRUE(ParseEvent("_e{5,4}:title|text", event, error));
  EXPECT_EQ(event.title, "title");
  EXPECT_EQ(event.text, "text");
  EXPECT_FALSE(event.timestamp);
  EXPECT_EQ(event.priority, "normal");
  EXPECT_EQ(event.alert_type, "info");
  EXPECT_TRUE(event.tags.empty());
  EXPECT_TRUE(event.hostname.empty());
}

TEST(EventParser, EveryFieldInAnyOrder) {
  StatsdEvent event;
  EventError error;
  ASSERT_TRUE(
      ParseEvent(Datagram("Deploy 1.2", "rolled out\\nto eu",
                          "|#env:prod,canary,zone:eu-1|t:success|d:1700000000|h:web-1|p:low|"
                          "k:deploys|s:jenkins|c:ci-123|card:low"),
                 event, error));
  EXPECT_EQ(event.title, "Deploy 1.2");
  EXPECT_EQ(event.text, "rolled out\nto eu");
  EXPECT_EQ(event.timestamp, 1700000000);
  EXPECT_EQ(event.hostname, "web-1");
  EXPECT_EQ(event.priority, "low");
  EXPECT_EQ(event.alert_type, "success");
  EXPECT_EQ(event.aggregation_key, "deploys");
  EXPECT_EQ(event.source_type, "jenkins");
  EXPECT_EQ(event.tags, (std::vector<std::string>{"env:prod", "canary", "zone:eu-1"}));
}

TEST(EventParser, LengthsAreUtf8BytesAndMayCoverSeparators) {
  StatsdEvent event;
  EventError error;
  // "Ärger" is 6 bytes, "naïve|x" 8 bytes with a '|' inside the text.
  ASSERT_TRUE(ParseEvent("_e{6,8}:\xC3\x84rger|na\xC3\xAFve|x|t:error", event, error));
  EXPECT_EQ(event.title, "\xC3\x84rger");
  EXPECT_EQ(event.text, "na\xC3\xAFve|x");
  EXPECT_EQ(event.alert_type, "error");
  // Counted in characters (5) instead of bytes (6): the separator is not where it says.
  EXPECT_EQ(ErrorOf("_e{5,8}:\xC3\x84rger|na\xC3\xAFve|x"), EventError::kLengthMismatch);
  // A trailing '\r' (a TCP client's CRLF) is not part of the event.
  ASSERT_TRUE(ParseEvent("_e{1,1}:a|b\r", event, error));
  EXPECT_EQ(event.text, "b");
}

TEST(EventParser, WrongLengthsAreRefused) {
  EXPECT_EQ(ErrorOf("_e{4,4}:title|text"), EventError::kLengthMismatch);  // title longer
  EXPECT_EQ(ErrorOf("_e{6,4}:title|text"), EventError::kLengthMismatch);  // title shorter
  EXPECT_EQ(ErrorOf("_e{5,3}:title|text"), EventError::kLengthMismatch);  // text goes on
  EXPECT_EQ(ErrorOf("_e{5,5}:title|text"), EventError::kLengthMismatch);  // past the end
  EXPECT_EQ(ErrorOf("_e{5,999999999}:title|text"), EventError::kLengthMismatch);
  EXPECT_EQ(ErrorOf("_e{0,4}:|text"), EventError::kEmptyTitleOrText);
  EXPECT_EQ(ErrorOf("_e{5,0}:title|"), EventError::kEmptyTitleOrText);
}

TEST(EventParser, MalformedHeadersAndFields) {
  for (const char* line :
       {"_e{", "_e{5,4}", "_e{5,4}title|text", "_e{5;4}:title|text", "_e{-5,4}:title|text",
        "_e{+5,4}:title|text", "_e{5, 4}:title|text", "_e{,4}:title|text", "_e{5,}:title|text",
        "_e{1234567890,4}:title|text", "_e{5,4,3}:title|text", "_e{0x5,4}:title|text"}) {
    EXPECT_EQ(ErrorOf(line), EventError::kMalformedHeader) << line;
  }
  for (const char* fields :
       {"|d:soon", "|d:", "|d:+5", "|d:1.5", "|p:urgent", "|t:fatal", "|t:", "|#", "|#,,"}) {
    EXPECT_EQ(ErrorOf(Datagram("title", "text", fields)), EventError::kMalformedField) << fields;
  }
  EXPECT_EQ(ErrorOf("_e{2,4}:\xC3(|text"), EventError::kInvalidUtf8);
  EXPECT_EQ(ErrorOf(Datagram("title", "text", "|h:\xFF\xFE")), EventError::kInvalidUtf8);
  // Empty fields and fields of newer clients are skipped.
  StatsdEvent event;
  EventError error;
  EXPECT_TRUE(ParseEvent(Datagram("title", "text", "||e:ext|x|"), event, error));
}

TEST(EventParser, HostileInputsStayBounded) {
  // Random bytes after a valid header prefix and random mutations of a good datagram: the parser
  // answers (true or false) and any event it returns has what the lengths said.
  std::mt19937 random(20261203);
  const std::string good = Datagram("Deploy", "done", "|t:info|#a:b");
  std::size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string line = good;
    int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = random() % line.size();
      line[at] = static_cast<char>(random() % 256);
    }
    StatsdEvent event;
    EventError error;
    if (ParseEvent(line, event, error)) {
      ++accepted;
      EXPECT_LE(event.title.size() + event.text.size(), line.size());
    }
  }
  EXPECT_GT(accepted, 0u);  // mutations of the fields' values still parse
  // A long line: tags bounded by what was sent.
  std::string tags = "|#";
  for (int i = 0; i < 500; ++i) tags += "t" + std::to_string(i) + ":v,";
  StatsdEvent event;
  EventError error;
  ASSERT_TRUE(ParseEvent(Datagram("title", "text", tags), event, error));
  EXPECT_EQ(event.tags.size(), 500u);
}

TEST(EventParser, AnnotationFields) {
  StatsdEvent event;
  EventError error;
  ASSERT_TRUE(
      ParseEvent(Datagram("Deploy", "v2\\ndone", "|#svc:ao,canary|t:error|h:web-1|d:1700000000"),
                 event, error));
  EXPECT_EQ(EventAnnotationTags(event),
            (std::vector<std::string>{"svc:ao", "canary", "alert_type:error", "priority:normal",
                                      "host:web-1"}));
  EXPECT_EQ(EventAnnotationText(event), "Deploy\nv2\ndone");
  EXPECT_EQ(EventTimeMs(event, 5), 1700000000000);
  event.timestamp.reset();
  EXPECT_EQ(EventTimeMs(event, 5), 5);
  event.timestamp = std::numeric_limits<std::int64_t>::max();  // d: beyond milliseconds' range
  EXPECT_EQ(EventTimeMs(event, 5), 5);
}

std::map<std::string, double> SelfSamples(const std::shared_ptr<Aggregator>& aggregator) {
  StatsdSelfSource self(aggregator, nullptr);
  std::string text;
  TextWriter writer(text);
  self.Visit(writer);
  return ParseSamples(text);
}

TEST(EventSink, WellFormedEventsReachTheSinkAndEveryLineIsCounted) {
  ConfigNode root = ParseYaml("{}", "mapping.yaml");
  IngestSettings settings;
  settings.mapper = std::make_shared<const Mapper>(
      ParseMappingConfig(root["defaults"], root["mappings"], ObserverType::kSummary));
  auto aggregator = std::make_shared<Aggregator>(std::move(settings), 1000);
  Ingester ingester(*aggregator, aggregator->AddShard());
  auto send = [&ingester](std::string_view lines) {
    Ingester::Batch batch(ingester);
    return ingester.Lines(lines);
  };

  // Without a sink: counted only.
  send("_e{1,1}:a|b\n");
  std::vector<StatsdEvent> received;
  aggregator->SetEventSink(
      [&received](StatsdEvent event) { received.push_back(std::move(event)); });
  auto counts = send(Datagram("Deploy", "v2", "|t:warning|#svc:ao") +
                     "\n_e{3,1}:a|b\n_e{1,1}:a|b|p:high\n"
                     "hits:1|c\n_e{0,1}:|b\n");
  EXPECT_EQ(counts.accepted, 1u);  // the counter; events are not samples
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].title, "Deploy");
  EXPECT_EQ(received[0].alert_type, "warning");
  EXPECT_EQ(received[0].tags, std::vector<std::string>{"svc:ao"});
  aggregator->SetEventSink(nullptr);
  send("_e{1,1}:a|b\n");
  EXPECT_EQ(received.size(), 1u);

  auto self = SelfSamples(aggregator);
  EXPECT_EQ(self["metricsd_statsd_dogstatsd_events_total{kind=\"event\"}"], 3);
  EXPECT_EQ(self["metricsd_statsd_dogstatsd_event_errors_total{reason=\"length_mismatch\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_dogstatsd_event_errors_total{reason=\"malformed_field\"}"], 1);
  EXPECT_EQ(self["metricsd_statsd_dogstatsd_event_errors_total{reason=\"empty_title_or_text\"}"],
            1);
  EXPECT_EQ(self["metricsd_statsd_dogstatsd_event_errors_total{reason=\"malformed_header\"}"], 0);
}

}  // namespace
}  // namespace metricsd::statsd
