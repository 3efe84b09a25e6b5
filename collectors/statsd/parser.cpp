#include "collectors/statsd/parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "collectors/statsd/label_rules.h"

namespace metricsd::statsd {

namespace {

// The common value, digits with at most one '.' inside them and 15 digits in all, read
// without from_chars (a tenth of a timer line's user time): the digits make an integer below
// 2^53 and 10^decimals is exact, so one division is the correctly rounded value, as
// from_chars' is (Clinger's fast path). Anything else is left to from_chars.
bool ParseSimpleDecimal(std::string_view text, double& value) {
  static constexpr double kPowers[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text.size() > 16 || text.front() == '.' || text.back() == '.') return false;
  std::uint64_t mantissa = 0;
  std::size_t digits = 0, point = std::string_view::npos;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
      ++digits;
    } else if (c == '.' && point == std::string_view::npos) {
      point = i;
    } else {
      return false;
    }
  }
  if (digits > 15) return false;
  std::size_t decimals = point == std::string_view::npos ? 0 : text.size() - point - 1;
  double magnitude = static_cast<double>(mantissa) / kPowers[decimals];
  value = negative ? -magnitude : magnitude;
  return true;
}

}  // namespace

bool ParseValue(std::string_view text, double& value) {
  // Go's ParseFloat accepts a leading '+'; from_chars does not.
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  if (ParseSimpleDecimal(text, value)) return true;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

namespace {

void AddTag(ParsedLine& out, std::string_view name, std::string_view value) {
  for (Tag& tag : out.tags) {
    if (tag.name == name) {
      tag.value = value;  // a map in statsd_exporter: the last one wins
      return;
    }
  }
  out.tags.push_back({name, value});
}

// "k=v,k2=v2" (InfluxDB, Librato, SignalFX) or "k:v,#k2:v2" (DogStatsD, where each tag may
// start with a '#' of its own, as DataDog's PHP client sends them: statsd_exporter drops one).
void ParseTags(std::string_view text, char separator, ParsedLine& out) {
  while (true) {
    std::size_t comma = text.find(',');
    std::string_view tag = text.substr(0, comma);
    if (tag.empty() && comma == std::string_view::npos) return;
    if (separator == ':' && !tag.empty() && tag[0] == '#') tag.remove_prefix(1);
    std::size_t sep = tag.find(separator);
    if (tag.empty() || sep == std::string_view::npos || sep == 0 || sep + 1 == tag.size()) {
      ++out.tag_errors;  // empty tag, missing separator, empty key or value
    } else {
      AddTag(out, tag.substr(0, sep), tag.substr(sep + 1));
    }
    if (comma == std::string_view::npos) return;
    text.remove_prefix(comma + 1);
  }
}

// The name part before the first ':', with InfluxDB/Librato/SignalFX tags taken out.
// Returns the bare name; for SignalFX, `foo.[k=v]test` becomes `foo.test`, joined in
// out.name_buffer (whose capacity is reused) when there is a piece on both sides.
std::string_view ParseNameAndTags(std::string_view name, const ParseOptions& options,
                                  ParsedLine& out) {
  if (options.signalfx_tags) {
    std::size_t open = name.find('['), close = name.find(']');
    if (open != std::string_view::npos && close != std::string_view::npos && open < close) {
      ParseTags(name.substr(open + 1, close - open - 1), '=', out);
      std::string_view before = name.substr(0, open), after = name.substr(close + 1);
      if (after.empty()) return before;
      if (before.empty()) return after;
      out.name_buffer.assign(before);
      out.name_buffer.append(after);
      return out.name_buffer;
    }
    // A lone bracket: the name is left as is. statsd_exporter does that too; "]...[" makes
    // it panic (a slice with low > high), here it is a tag error like a lone bracket.
    if (open != std::string_view::npos || close != std::string_view::npos) {
      ++out.tag_errors;
      return name;
    }
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if ((name[i] == '#' && options.librato_tags) || (name[i] == ',' && options.influxdb_tags)) {
      ParseTags(name.substr(i + 1), '=', out);
      return name.substr(0, i);
    }
  }
  return name;
}

bool TypeOf(std::string_view text, SampleType& type) {
  if (text == "c") type = SampleType::kCounter;
  else if (text == "g") type = SampleType::kGauge;
  else if (text == "ms") type = SampleType::kTimer;
  else if (text == "h") type = SampleType::kHistogram;
  else if (text == "d") type = SampleType::kDistribution;
  else return false;
  return true;
}

bool IsObserver(std::string_view type) { return type == "ms" || type == "h" || type == "d"; }

// One sample: `value` and `fields`, the "type[|@rate][|#tags][|c:id][|T123]" after it. They
// come apart so that DogStatsD's extended aggregation ("1:2:3|ms") can share one set of
// fields among several values without copying the line.
void ParseSample(std::string_view value_text, std::string_view fields, const ParseOptions& options,
                 ParsedLine& out) {
  ++out.samples_seen;
  // statsd_exporter's limit: value, type and at most four fields (rate, tags, container, time).
  constexpr std::size_t kMaxComponents = 6;
  std::string_view components[kMaxComponents];
  components[0] = value_text;
  std::size_t count = 1;
  std::string_view sample = fields;
  while (true) {
    std::size_t bar = sample.find('|');
    if (count == kMaxComponents) {
      out.errors.push_back(SampleError::kMalformedComponent);
      return;
    }
    components[count++] = sample.substr(0, bar);
    if (bar == std::string_view::npos) break;
    sample.remove_prefix(bar + 1);
  }
  if (count < 2 || fields.data() == nullptr) {
    out.errors.push_back(SampleError::kMalformedComponent);
    return;
  }
  std::string_view type_text = components[1];
  bool relative = !value_text.empty() && (value_text[0] == '+' || value_text[0] == '-');
  double value = 0;
  if (!ParseValue(value_text, value)) {
    out.errors.push_back(SampleError::kMalformedValue);
    return;
  }
  int repeat = 1;
  double divisor = 1;
  for (std::size_t i = 2; i < count; ++i) {
    if (components[i].empty()) {
      out.errors.push_back(SampleError::kMalformedComponent);
      return;
    }
  }
  for (std::size_t i = 2; i < count; ++i) {
    std::string_view component = components[i];
    switch (component[0]) {
      case '@': {
        // statsd_exporter counts an unreadable rate as an error and keeps the sample at rate
        // 1 (ParseFloat's 0, then 0 means 1). Rates outside (0, 1] are taken as they come: a
        // counter at @2 adds half, at @-1 is negative (refused after mapping); an observer at
        // a rate above 1 or below 0 is observed int(1 / rate) <= 0 times, i.e. not at all.
        double rate = 0;
        if (!ParseValue(component.substr(1), rate)) {
          out.errors.push_back(SampleError::kInvalidSampleFactor);
          rate = 0;
        }
        if (rate == 0) rate = 1;
        if (type_text == "c") {
          value /= rate;
          divisor = rate;
        } else if (IsObserver(type_text)) {
          // Capped: a rate of 1e-300 must not turn into 1e300 observations (or overflow int).
          double times = 1 / rate;
          repeat = times >= 1 ? static_cast<int>(std::min(times, 1e6)) : 0;
        }
        break;  // gauges ignore the rate
      }
      case '#':
        if (options.dogstatsd_tags) ParseTags(component.substr(1), ':', out);
        break;
      case 'c':
        // DogStatsD container field: "c:<id>" becomes the container_id tag.
        if (component.size() > 2 && component[1] == ':') {
          AddTag(out, "container_id", component.substr(2));
          break;
        }
        out.errors.push_back(SampleError::kMalformedContainerId);
        return;
      case 'T':
        break;  // DogStatsD client timestamp: Prometheus stamps the scrape, so ignored
      default:
        out.errors.push_back(SampleError::kInvalidSampleFactor);
        return;
    }
  }
  // An observer at a rate above 1 makes no event in statsd_exporter, so no error either.
  if (repeat == 0) return;
  SampleType type;
  if (!TypeOf(type_text, type) || std::isnan(value)) {
    out.errors.push_back(SampleError::kIllegalEvent);  // sets, unknown types
    return;
  }
  if (type != SampleType::kGauge) relative = false;
  if (type == SampleType::kTimer) {
    value /= 1000;  // milliseconds to seconds
    divisor = 1000;
  }
  if (type == SampleType::kCounter || type == SampleType::kGauge) repeat = 1;
  out.samples.push_back({type, value, relative, repeat, divisor});
}

// DogStatsD's "|c:<id>" container field, told apart from an Etsy multi-sample line such as
// "1|c:2|ms", where "c" is a type and ':' starts the next sample: a container field follows
// the type, so a '|' stands between it and the previous ':' (or the start).
bool HasContainerField(std::string_view rest) {
  for (std::size_t at = rest.find("|c:"); at != std::string_view::npos; at = rest.find("|c:", at + 1)) {
    std::size_t sample_start = rest.rfind(':', at);
    sample_start = sample_start == std::string_view::npos ? 0 : sample_start + 1;
    if (rest.substr(sample_start, at - sample_start).find('|') != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// "value|fields" -> ParseSample(value, fields); a sample without '|' is malformed.
void SplitSample(std::string_view sample, const ParseOptions& options, ParsedLine& out) {
  std::size_t bar = sample.find('|');
  if (bar == std::string_view::npos) {
    ParseSample(sample, std::string_view{}, options, out);
    return;
  }
  ParseSample(sample.substr(0, bar), sample.substr(bar + 1), options, out);
}

}  // namespace

void ParseLine(std::string_view line, const ParseOptions& options, ParsedLine& out) {
  out.kind = LineKind::kMetric;
  out.name = {};
  out.tags.clear();
  out.samples.clear();
  out.errors.clear();
  out.samples_seen = 0;
  out.tag_errors = 0;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  if (line.substr(0, 3) == "_e{") {
    out.kind = LineKind::kEvent;
    return;
  }
  if (line.substr(0, 4) == "_sc|") {
    out.kind = LineKind::kServiceCheck;
    return;
  }

  //  game.battle.duration:120|ms|@0.5|#zone:eu
  //  ^name                ^samples (split on ':' unless DogStatsD fields are present)
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0 || !IsValidUtf8(line)) {
    out.errors.push_back(SampleError::kMalformedLine);
    return;
  }
  out.name = ParseNameAndTags(line.substr(0, colon), options, out);
  std::string_view rest = line.substr(colon + 1);
  bool name_tags = !out.tags.empty();
  // statsd_exporter's line-level checks, in its order; a line refused here has no samples.
  if (name_tags && rest.find("|#") != std::string_view::npos) {
    out.errors.push_back(SampleError::kMixedTaggingStyles);  // never mix tag styles
    return;
  }
  if (rest.find('|') == std::string_view::npos) {
    out.errors.push_back(SampleError::kNotEnoughPartsAfterColon);
    return;
  }

  std::string_view first = rest.substr(0, rest.find('|'));
  if (first.find(':') != std::string_view::npos) {
    // DogStatsD extended aggregation: "1:2:3|ms|..." is three samples with the same suffix.
    std::size_t bar = rest.find('|');
    std::string_view suffix = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
    std::string_view type = suffix.substr(0, suffix.find('|'));
    if (!IsObserver(type)) {
      out.errors.push_back(SampleError::kInvalidExtendedAggregateType);
      return;
    }
    while (true) {
      std::size_t next = first.find(':');
      ParseSample(first.substr(0, next), suffix, options, out);
      if (next == std::string_view::npos) break;
      first.remove_prefix(next + 1);
    }
    return;
  }
  bool dogstatsd_fields = rest.find("|#") != std::string_view::npos || HasContainerField(rest);
  if (dogstatsd_fields) {
    SplitSample(rest, options, out);  // no multi-sample lines with DogStatsD fields
    return;
  }
  while (true) {
    std::size_t next = rest.find(':');
    SplitSample(rest.substr(0, next), options, out);
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
}

}  // namespace metricsd::statsd
