// DogStatsD events, Datadog's datagram:
//
//   _e{<TITLE_LENGTH>,<TEXT_LENGTH>}:<TITLE>|<TEXT>|d:<TIMESTAMP>|h:<HOSTNAME>|p:<PRIORITY>
//       |t:<ALERT_TYPE>|k:<AGGREGATION_KEY>|s:<SOURCE_TYPE_NAME>|#<TAG_KEY_1>:<TAG_VALUE_1>,<TAG_2>
//
// parsed strictly: the lengths are the UTF-8 byte lengths of title and text as sent (before
// "\\n" becomes a newline), both non-zero, and must land exactly on the '|' separators; title
// and text must be valid UTF-8; d: is integer unix seconds; p: is normal or low; t: is error,
// warning, info or success. Optional fields may come in any order; fields this parser does not
// know (a newer client's c:, e:, card:) are skipped, as Datadog's agent does. The metricsd
// line limit (statsd.max_line_length) bounds everything before this parser runs.
//
// statsd_exporter does not know events: it reads `_e{5,4}:title|text` as a metric named
// `_e{5,4}` whose value "title" is malformed_value. metricsd counts well-formed events in
// metricsd_statsd_dogstatsd_events_total{kind="event"} and malformed ones in
// metricsd_statsd_dogstatsd_event_errors_total{reason}, and hands each event to the sink set
// with StatsdService::SetEventSink (the analytics store them as annotations).
//
// Thread-safety: pure functions and plain values; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/enum_table.h"

namespace metricsd::statsd {

struct StatsdEvent {
  std::string title;
  std::string text;                       // "\\n" turned into newlines
  std::optional<std::int64_t> timestamp;  // d:, unix seconds; unset: the receiver's now
  std::string hostname;                   // h:
  std::string priority = "normal";        // p: normal | low
  std::string alert_type = "info";        // t: error | warning | info | success
  std::string aggregation_key;            // k:
  std::string source_type;                // s:
  std::vector<std::string> tags;          // #: as sent, "key:value" or "key"

  friend bool operator==(const StatsdEvent&, const StatsdEvent&) = default;
};

// Why an event line was dropped (the `reason` of metricsd_statsd_dogstatsd_event_errors_total).
enum class EventError {
  kMalformedHeader,   // not _e{N,M}: with decimal lengths
  kEmptyTitleOrText,  // a length of 0 (both are required)
  kLengthMismatch,    // the lengths do not land on the '|' separators, or run past the line
  kInvalidUtf8,       // title or text is not valid UTF-8
  kMalformedField,    // d: not an integer, p: or t: not one of their values, an empty tag list
};
inline constexpr std::size_t kEventErrorKinds = 5;
inline constexpr EnumTable<EventError, kEventErrorKinds> kEventErrorReasons{{{
    {EventError::kMalformedHeader, "malformed_header"},
    {EventError::kEmptyTitleOrText, "empty_title_or_text"},
    {EventError::kLengthMismatch, "length_mismatch"},
    {EventError::kInvalidUtf8, "invalid_utf8"},
    {EventError::kMalformedField, "malformed_field"},
}}};
inline std::string_view EventErrorReason(EventError error) {
  return kEventErrorReasons.Name(error);
}

// True when `line` (no '\n') is a DogStatsD event (starts with "_e{"), well-formed or not.
inline bool IsEventLine(std::string_view line) { return line.substr(0, 3) == "_e{"; }

// Parses one event line into `out` (reset first); on failure returns false with `error` set.
bool ParseEvent(std::string_view line, StatsdEvent& out, EventError& error);

// What an annotation keeps of an event (the analytics' sink): the event's tags, then
// "alert_type:<t>" and "priority:<p>", and when sent "host:<h>", "source_type:<s>",
// "aggregation_key:<k>".
std::vector<std::string> EventAnnotationTags(const StatsdEvent& event);
// The title, a newline, the text.
std::string EventAnnotationText(const StatsdEvent& event);
// When it happened, in Unix milliseconds: d: when sent (and representable), else `now_ms`.
std::int64_t EventTimeMs(const StatsdEvent& event, std::int64_t now_ms);

}  // namespace metricsd::statsd
