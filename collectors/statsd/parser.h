// The StatsD line parser: statsd_exporter's dialect rules, as a pure function over one line.
//
// Accepts Etsy lines (`name:value|type[|@rate]`, several samples per line `name:1|c:2|ms`),
// DogStatsD (`|#k:v,k2:v2` tags, `|c:<container>` as a container_id tag, `|T<ts>` ignored,
// extended aggregation `name:1:2:3|ms`), and tags in the name in InfluxDB (`name,k=v`),
// Librato (`name#k=v`) and SignalFX (`name[k=v]`, `na[k=v]me`, `[k=v]name`) styles, each
// switchable. Types: c, g (a
// leading +/- makes it relative), ms (converted to seconds), h and d; s (sets) is rejected,
// as statsd_exporter rejects it. DogStatsD events (`_e{`, read by event.h, whose errors are
// counted apart) and service checks (`_sc|`) are recognised, not metric errors.
//
// Nothing is allocated per line once the output's vectors have grown: names and tags are
// views into the input line. A bad sample costs only itself (brubeck's and statsd_exporter's
// rule); every dropped sample is reported with a reason, so it can be counted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/enum_table.h"
#include "daemon/core/metric_names.h"  // EscapeMetricName: tags and names become Prometheus names

namespace metricsd::statsd {

enum class SampleType { kCounter, kGauge, kTimer, kHistogram, kDistribution };

// statsd_exporter's sample error reasons (its `reason` label values). A negative counter is
// not one: it parses, and is refused after mapping (events_error_total, illegal_negative_counter).
enum class SampleError {
  kMalformedLine,
  kMalformedComponent,
  kMalformedValue,
  kInvalidSampleFactor,  // the sample is kept at rate 1, as statsd_exporter keeps it
  kIllegalEvent,  // set, unknown type
  kInvalidExtendedAggregateType,
  kMixedTaggingStyles,
  kNotEnoughPartsAfterColon,  // no '|' after the first ':'
  kMalformedContainerId,      // a `|c` field that is not `|c:<id>`
};
inline constexpr EnumTable<SampleError, 9> kSampleErrorReasons{{{
    {SampleError::kMalformedLine, "malformed_line"},
    {SampleError::kMalformedComponent, "malformed_component"},
    {SampleError::kMalformedValue, "malformed_value"},
    {SampleError::kInvalidSampleFactor, "invalid_sample_factor"},
    {SampleError::kIllegalEvent, "illegal_event"},
    {SampleError::kInvalidExtendedAggregateType, "invalid_extended_aggregate_type"},
    {SampleError::kMixedTaggingStyles, "mixed_tagging_styles"},
    {SampleError::kNotEnoughPartsAfterColon, "not_enough_parts_after_colon"},
    {SampleError::kMalformedContainerId, "malformed_container_id"},
}}};
inline std::string_view ReasonLabel(SampleError error) { return kSampleErrorReasons.Name(error); }

struct ParseOptions {
  bool dogstatsd_tags = true;
  bool influxdb_tags = true;
  bool librato_tags = true;
  bool signalfx_tags = true;
};

struct Tag {
  std::string_view name;  // raw: escape with EscapeMetricName before use as a label name
  std::string_view value;
};

struct Sample {
  SampleType type;
  double value;       // counters already divided by the sample rate; timers in seconds
  bool relative;      // gauges only: +N / -N adjust instead of set
  int repeat;         // observers: how many times to observe (int(1 / sample rate)), >= 1
  double divisor;     // what the value as sent was divided by: the rate (counters), 1000 (ms)
};

enum class LineKind { kMetric, kEvent, kServiceCheck };

// One line's result; reuse one ParsedLine across lines to avoid allocating. `name` may point
// into `name_buffer` (SignalFX tags in mid-name), so read it from the ParsedLine that was parsed
// into, not from a copy.
struct ParsedLine {
  LineKind kind = LineKind::kMetric;
  std::string_view name;             // without name-embedded tags
  std::string name_buffer;           // `foo.` + `test` of `foo.[k=v]test`
  std::vector<Tag> tags;             // later duplicates of a name override earlier ones
  std::vector<Sample> samples;       // the good ones
  std::vector<SampleError> errors;   // one per dropped sample, or one for a dropped line
  int samples_seen = 0;              // good + dropped samples (a dropped line has none)
  int tag_errors = 0;                // malformed tags (dropped; the sample is kept)
};

// Parses one line (no '\n'). An empty line yields nothing.
void ParseLine(std::string_view line, const ParseOptions& options, ParsedLine& out);

// A sample's value as the parser reads it (Go's ParseFloat: a leading '+' allowed).
bool ParseValue(std::string_view text, double& value);

}  // namespace metricsd::statsd
