// The text exposition parser of textfile_parser.h: a port of expfmt.TextParser's state machine
// (prometheus/common v0.37.0, text_parse.go). Its quirks are kept on purpose, since they decide
// which files node_exporter rejects: every line must end in '\n' (a last line without one is
// "unexpected end of input stream"), an empty HELP is no HELP, TYPE after a family's samples is
// an error, _sum/_count/_bucket lines join an earlier summary or histogram of the base name, a
// summary's or histogram's series are grouped by their labels wherever they appear.
#include "collectors/host/textfile_parser.h"

#include <cctype>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <unordered_map>

#include "daemon/core/proc_file.h"

namespace metricsd::host {
namespace {

bool IsBlankOrTab(char c) { return c == ' ' || c == '\t'; }
bool IsLabelNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsLabelNameContinuation(char c) { return IsLabelNameStart(c) || (c >= '0' && c <= '9'); }
bool IsMetricNameStart(char c) { return IsLabelNameStart(c) || c == ':'; }
bool IsMetricNameContinuation(char c) { return IsLabelNameContinuation(c) || c == ':'; }

bool EndsWith(std::string_view name, std::string_view suffix) {
  return name.size() > suffix.size() && name.ends_with(suffix);
}

bool ValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3
                                     : (byte >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    std::uint32_t cp = length == 1 ? byte : byte & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

// Go's strconv.ParseFloat(s, 64) after expfmt's refusal of 'p', 'P' and '_': decimal numbers
// with an optional sign, and inf/infinity/nan in any case.
std::optional<double> ParseGoFloat(std::string_view text) {
  if (text.find_first_of("pP_") != std::string_view::npos || text.empty()) return std::nullopt;
  bool negative = false;
  std::string_view body = text;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  std::string lower;
  for (char c : body) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "inf" || lower == "infinity") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (body.empty() || body.front() == '+' || body.front() == '-') return std::nullopt;
  // from_chars would take "inf"/"nan" spellings and hex without 0x; both are handled above or
  // refused here (Go refuses a hex mantissa without a 'p' exponent).
  if (lower.find('x') != std::string::npos || lower.find('i') != std::string::npos ||
      lower.find('n') != std::string::npos) {
    return std::nullopt;
  }
  std::optional<double> value = ParseDouble(body);
  if (!value) return std::nullopt;
  return negative ? -*value : *value;
}

// Go's float64 → uint64 conversion for the sane range; out of range saturates.
std::uint64_t ToCount(double value) {
  if (!(value >= 0)) return 0;
  if (value >= 18446744073709551615.0) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(value);
}

class Parser;
// A state of the machine: the method that reads on, returning the next state (null: stop).
struct State {
  using Fn = State (Parser::*)();
  State(Fn f) : fn(f) {}  // NOLINT: states are written as &Parser::Name
  State(std::nullptr_t) {}  // NOLINT
  Fn fn = nullptr;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  TextParseResult Run() {
    State state = &Parser::StartOfLine;
    while (state.fn != nullptr) state = (this->*state.fn)();
    TextParseResult result;
    if (eof_ && error_.empty()) Fail("unexpected end of input stream");
    if (!error_.empty()) {
      result.error = "text format parsing error in line " + std::to_string(line_) + ": " + error_;
      return result;
    }
    for (TextFamily& family : families_) {
      if (!family.metrics.empty()) result.families.push_back(std::move(family));
    }
    return result;
  }

 private:
  // Reads the next byte into current_; false (and eof_) at the end of the text.
  bool ReadByte() {
    if (pos_ >= text_.size()) {
      eof_ = true;
      return false;
    }
    current_ = text_[pos_++];
    return true;
  }
  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  bool Failed() const { return eof_ || !error_.empty(); }

  void SkipBlankTab() {
    while (ReadByte() && IsBlankOrTab(current_)) {
    }
  }
  void SkipBlankTabIfCurrentBlankTab() {
    if (IsBlankOrTab(current_)) SkipBlankTab();
  }
  void ReadTokenUntilWhitespace() {
    token_.clear();
    while (!eof_ && !IsBlankOrTab(current_) && current_ != '\n') {
      token_.push_back(current_);
      ReadByte();
    }
  }
  void ReadTokenUntilNewline(bool escapes) {
    token_.clear();
    bool escaped = false;
    while (!eof_) {
      if (escapes && escaped) {
        if (current_ == '\\') {
          token_.push_back('\\');
        } else if (current_ == 'n') {
          token_.push_back('\n');
        } else {
          Fail(std::string("invalid escape sequence '\\") + current_ + "'");
          return;
        }
        escaped = false;
      } else if (current_ == '\n') {
        return;
      } else if (current_ == '\\') {
        escaped = true;
      } else {
        token_.push_back(current_);
      }
      ReadByte();
    }
  }
  void ReadTokenAsMetricName() {
    token_.clear();
    if (!IsMetricNameStart(current_)) return;
    do {
      token_.push_back(current_);
    } while (ReadByte() && IsMetricNameContinuation(current_));
  }
  void ReadTokenAsLabelName() {
    token_.clear();
    if (!IsLabelNameStart(current_)) return;
    do {
      token_.push_back(current_);
    } while (ReadByte() && IsLabelNameContinuation(current_));
  }
  void ReadTokenAsLabelValue() {
    token_.clear();
    bool escaped = false;
    while (ReadByte()) {
      if (escaped) {
        if (current_ == '"' || current_ == '\\') {
          token_.push_back(current_);
        } else if (current_ == 'n') {
          token_.push_back('\n');
        } else {
          Fail(std::string("invalid escape sequence '\\") + current_ + "'");
          return;
        }
        escaped = false;
        continue;
      }
      if (current_ == '"') return;
      if (current_ == '\n') {
        Fail("label value \"" + token_ + "\" contains unescaped new-line");
        return;
      }
      if (current_ == '\\') {
        escaped = true;
      } else {
        token_.push_back(current_);
      }
    }
  }

  TextFamily* Find(const std::string& name) {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &families_[it->second];
  }
  void SetOrCreateCurrentFamily() {
    is_count_ = is_sum_ = false;
    const std::string name = token_;
    if ((family_ = Find(name)) != nullptr) return;
    std::string base = name;
    if (EndsWith(name, "_count")) {
      base = name.substr(0, name.size() - 6);
    } else if (EndsWith(name, "_sum")) {
      base = name.substr(0, name.size() - 4);
    }
    if (TextFamily* summary = Find(base); summary != nullptr && typed_[summary->name] &&
                                          summary->type == MetricType::kSummary) {
      family_ = summary;
      is_count_ = EndsWith(name, "_count");
      is_sum_ = EndsWith(name, "_sum");
      return;
    }
    if (EndsWith(name, "_bucket")) base = name.substr(0, name.size() - 7);
    if (TextFamily* histogram = Find(base); histogram != nullptr && typed_[histogram->name] &&
                                            histogram->type == MetricType::kHistogram) {
      family_ = histogram;
      is_count_ = EndsWith(name, "_count");
      is_sum_ = EndsWith(name, "_sum");
      return;
    }
    by_name_[name] = families_.size();
    typed_[name] = false;
    families_.push_back(TextFamily{name, std::nullopt, MetricType::kUntyped, {}});
    family_ = &families_.back();
  }
  bool Grouped() const {
    return typed_.at(family_->name) &&
           (family_->type == MetricType::kSummary || family_->type == MetricType::kHistogram);
  }

  State StartOfLine() {
    ++line_;
    SkipBlankTab();
    if (eof_) {
      eof_ = false;  // the end of the text at the start of a line is the normal end
      return nullptr;
    }
    if (current_ == '#') return &Parser::StartComment;
    if (current_ == '\n') return &Parser::StartOfLine;
    return &Parser::ReadingMetricName;
  }

  State StartComment() {
    SkipBlankTab();
    if (eof_) return nullptr;
    if (current_ == '\n') return &Parser::StartOfLine;
    ReadTokenUntilWhitespace();
    if (eof_) return nullptr;
    if (current_ == '\n') return &Parser::StartOfLine;
    std::string keyword = token_;
    if (keyword != "HELP" && keyword != "TYPE") {
      while (current_ != '\n') {
        if (!ReadByte()) return nullptr;
      }
      return &Parser::StartOfLine;
    }
    SkipBlankTab();
    if (eof_) return nullptr;
    ReadTokenAsMetricName();
    if (eof_) return nullptr;
    if (current_ == '\n') return &Parser::StartOfLine;
    if (!IsBlankOrTab(current_)) {
      Fail("invalid metric name in comment");
      return nullptr;
    }
    SetOrCreateCurrentFamily();
    SkipBlankTab();
    if (eof_) return nullptr;
    if (current_ == '\n') return &Parser::StartOfLine;
    return keyword == "HELP" ? &Parser::ReadingHelp : &Parser::ReadingType;
  }

  State ReadingMetricName() {
    ReadTokenAsMetricName();
    if (eof_) return nullptr;
    if (token_.empty()) {
      Fail("invalid metric name");
      return nullptr;
    }
    SetOrCreateCurrentFamily();
    if (!typed_[family_->name]) {
      typed_[family_->name] = true;  // a sample before TYPE makes the family untyped for good
      family_->type = MetricType::kUntyped;
    }
    metric_ = TextMetric{};
    quantile_ = bucket_ = std::numeric_limits<double>::quiet_NaN();
    group_labels_.clear();
    SkipBlankTabIfCurrentBlankTab();
    if (eof_) return nullptr;
    return &Parser::ReadingLabels;
  }

  State ReadingLabels() {
    if (current_ != '{') return &Parser::ReadingValue;
    return &Parser::StartLabelName;
  }

  State StartLabelName() {
    SkipBlankTab();
    if (eof_) return nullptr;
    if (current_ == '}') {
      SkipBlankTab();
      if (eof_) return nullptr;
      return &Parser::ReadingValue;
    }
    ReadTokenAsLabelName();
    if (eof_) return nullptr;
    if (token_.empty()) {
      Fail("invalid label name for metric \"" + family_->name + "\"");
      return nullptr;
    }
    label_name_ = token_;
    if (label_name_ == "__name__") {
      Fail("label name \"__name__\" is reserved");
      return nullptr;
    }
    bool special = Grouped() && ((family_->type == MetricType::kSummary && label_name_ == "quantile") ||
                                 (family_->type == MetricType::kHistogram && label_name_ == "le"));
    label_kept_ = !special;
    if (label_kept_) {
      for (const auto& [name, value] : metric_.labels) {
        if (name == label_name_) {
          Fail("duplicate label names for metric \"" + family_->name + "\"");
          return nullptr;
        }
      }
      metric_.labels.emplace_back(label_name_, std::string());
    }
    SkipBlankTabIfCurrentBlankTab();
    if (eof_) return nullptr;
    if (current_ != '=') {
      Fail(std::string("expected '=' after label name, found '") + current_ + "'");
      return nullptr;
    }
    return &Parser::StartLabelValue;
  }

  State StartLabelValue() {
    SkipBlankTab();
    if (eof_) return nullptr;
    if (current_ != '"') {
      Fail(std::string("expected '\"' at start of label value, found '") + current_ + "'");
      return nullptr;
    }
    ReadTokenAsLabelValue();
    if (Failed()) return nullptr;
    if (!ValidUtf8(token_)) {
      Fail("invalid label value \"" + token_ + "\"");
      return nullptr;
    }
    if (label_kept_) metric_.labels.back().second = token_;
    if (Grouped()) {
      if (!label_kept_) {
        std::optional<double> bound = ParseGoFloat(token_);
        if (!bound) {
          Fail(std::string("expected float as value for '") +
               (family_->type == MetricType::kSummary ? "quantile" : "le") + "' label, got \"" +
               token_ + "\"");
          return nullptr;
        }
        (family_->type == MetricType::kSummary ? quantile_ : bucket_) = *bound;
      } else {
        group_labels_[label_name_] = token_;
      }
    }
    SkipBlankTab();
    if (eof_) return nullptr;
    if (current_ == ',') return &Parser::StartLabelName;
    if (current_ == '}') {
      SkipBlankTab();
      if (eof_) return nullptr;
      return &Parser::ReadingValue;
    }
    Fail("unexpected end of label value \"" + token_ + "\"");
    return nullptr;
  }

  State ReadingValue() {
    TextMetric* target;
    if (Grouped()) {
      // Summaries' and histograms' lines of one label set are one series wherever they are.
      auto& groups = groups_[family_->name];
      auto it = groups.find(group_labels_);
      if (it == groups.end()) {
        family_->metrics.push_back(std::move(metric_));
        groups.emplace(group_labels_, family_->metrics.size() - 1);
        target = &family_->metrics.back();
      } else {
        target = &family_->metrics[it->second];
      }
    } else {
      family_->metrics.push_back(std::move(metric_));
      target = &family_->metrics.back();
    }
    ReadTokenUntilWhitespace();
    if (eof_) return nullptr;
    std::optional<double> value = ParseGoFloat(token_);
    if (!value) {
      Fail("expected float as value, got \"" + token_ + "\"");
      return nullptr;
    }
    switch (family_->type) {
      case MetricType::kSummary:
        if (is_count_) {
          target->count = ToCount(*value);
        } else if (is_sum_) {
          target->sum = *value;
        } else if (!std::isnan(quantile_)) {
          target->quantiles.emplace_back(quantile_, *value);
        }
        break;
      case MetricType::kHistogram:
        if (is_count_) {
          target->count = ToCount(*value);
        } else if (is_sum_) {
          target->sum = *value;
        } else if (!std::isnan(bucket_)) {
          target->buckets.emplace_back(bucket_, ToCount(*value));
        }
        break;
      default:
        target->value = *value;
    }
    current_metric_ = target;
    if (current_ == '\n') return &Parser::StartOfLine;
    return &Parser::StartTimestamp;
  }

  State StartTimestamp() {
    SkipBlankTab();
    if (eof_) return nullptr;
    ReadTokenUntilWhitespace();
    if (eof_) return nullptr;
    std::string_view number = token_;
    if (!number.empty() && (number.front() == '-' || number.front() == '+')) {
      number.remove_prefix(1);
    }
    std::optional<std::uint64_t> magnitude = ParseUint(number);
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!magnitude || *magnitude > kMax + (token_.front() == '-' ? 1 : 0)) {
      Fail("expected integer as timestamp, got \"" + token_ + "\"");
      return nullptr;
    }
    current_metric_->has_timestamp = true;
    ReadTokenUntilNewline(false);
    if (eof_) return nullptr;
    if (!token_.empty()) {
      Fail("spurious string after timestamp: \"" + token_ + "\"");
      return nullptr;
    }
    return &Parser::StartOfLine;
  }

  State ReadingHelp() {
    if (family_->help) {
      Fail("second HELP line for metric name \"" + family_->name + "\"");
      return nullptr;
    }
    ReadTokenUntilNewline(true);
    if (Failed()) return nullptr;
    family_->help = token_;
    return &Parser::StartOfLine;
  }

  State ReadingType() {
    if (typed_[family_->name]) {
      Fail("second TYPE line for metric name \"" + family_->name +
           "\", or TYPE reported after samples");
      return nullptr;
    }
    ReadTokenUntilNewline(false);
    if (eof_) return nullptr;
    std::string upper;
    for (char c : token_) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    static const std::map<std::string, MetricType, std::less<>> kTypes{
        {"COUNTER", MetricType::kCounter}, {"GAUGE", MetricType::kGauge},
        {"SUMMARY", MetricType::kSummary}, {"UNTYPED", MetricType::kUntyped},
        {"HISTOGRAM", MetricType::kHistogram}};
    auto it = kTypes.find(upper);
    if (it == kTypes.end()) {
      // GAUGE_HISTOGRAM is a type client_model knows but expfmt cannot fill: an error there too.
      Fail("unknown metric type \"" + token_ + "\"");
      return nullptr;
    }
    family_->type = it->second;
    typed_[family_->name] = true;
    return &Parser::StartOfLine;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  char current_ = 0;
  bool eof_ = false;
  std::string error_;
  int line_ = 0;
  std::string token_;

  std::deque<TextFamily> families_;  // a deque: family_ stays valid as families are added
  std::unordered_map<std::string, std::size_t> by_name_;
  std::unordered_map<std::string, bool> typed_;  // whether the family's type is decided
  std::unordered_map<std::string, std::map<std::map<std::string, std::string>, std::size_t>>
      groups_;
  TextFamily* family_ = nullptr;
  TextMetric metric_;
  TextMetric* current_metric_ = nullptr;
  std::string label_name_;
  bool label_kept_ = true;
  bool is_count_ = false, is_sum_ = false;
  double quantile_ = 0, bucket_ = 0;
  std::map<std::string, std::string> group_labels_;
};

}  // namespace

TextParseResult ParseTextFormat(std::string_view text) { return Parser(text).Run(); }

}  // namespace metricsd::host
