#include "daemon/alerting/template.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <variant>

namespace metricsd::alerting {
namespace {

using Value = std::variant<double, std::string>;

bool IsFunction(std::string_view name) {
  return name == "humanize" || name == "humanizeDuration" || name == "humanizePercentage" ||
         name == "printf";
}

std::string CFormat(const char* format, double value) {
  char buffer[128];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// Go formats non-finite floats as NaN, +Inf, -Inf; C's printf would write nan and inf.
std::string NonFinite(double value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "+Inf" : "-Inf";
}

std::string G4(double value) { return std::isfinite(value) ? CFormat("%.4g", value) : NonFinite(value); }

double AsNumber(const Value& value) {
  if (const double* number = std::get_if<double>(&value)) return *number;
  const std::string& text = std::get<std::string>(value);
  double parsed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nan("");
  return parsed;
}

std::string AsText(const Value& value) {
  if (const std::string* text = std::get_if<std::string>(&value)) return *text;
  return FormatGoFloat(std::get<double>(value));
}

// Go's printf for the verbs annotations use: %v %s %d %f %e %g (with flags, width and
// precision) and %%. Arguments missing or left over are written as Go does.
std::string Printf(const std::string& format, const std::vector<Value>& args) {
  std::string out;
  std::size_t next = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    std::size_t start = i++;
    while (i < format.size() && std::string_view("+- #0").find(format[i]) != std::string_view::npos) ++i;
    while (i < format.size() && (std::isdigit(static_cast<unsigned char>(format[i])) || format[i] == '.')) ++i;
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char verb = format[i];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    const Value& arg = args[next++];
    std::string spec = format.substr(start, i - start);
    switch (verb) {
      case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
        double number = AsNumber(arg);
        out += std::isfinite(number) ? CFormat((spec + verb).c_str(), number) : NonFinite(number);
        break;
      }
      case 'd': {
        double number = AsNumber(arg);
        char buffer[64];
        // Out of range of an integer (or NaN): 0, rather than undefined behaviour.
        bool fits = std::fabs(number) < 9.2e18;
        std::snprintf(buffer, sizeof buffer, (spec + "lld").c_str(),
                      fits ? static_cast<long long>(number) : 0LL);
        out += buffer;
        break;
      }
      case 's': case 'v': case 'q': {
        std::string text = AsText(arg);
        if (verb == 'q') text = "\"" + text + "\"";
        char buffer[512];
        std::snprintf(buffer, sizeof buffer, (spec + "s").c_str(), text.c_str());
        out += buffer;
        break;
      }
      default:
        out += std::string("%!") + verb + "(" + AsText(arg) + ")";
    }
  }
  if (next < args.size()) {
    out += "%!(EXTRA ";
    for (std::size_t i = next; i < args.size(); ++i) out += (i > next ? ", " : "") + AsText(args[i]);
    out += ")";
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view action, std::size_t offset) : text_(action), offset_(offset) {}

  std::vector<AlertTemplate::Command> Pipeline() {
    std::vector<AlertTemplate::Command> pipeline;
    do {
      pipeline.push_back(Command(!pipeline.empty()));
      SkipSpace();
    } while (Consume('|'));
    if (pos_ < text_.size()) Fail("unexpected \"" + std::string(text_.substr(pos_)) + "\"");
    return pipeline;
  }

 private:
  AlertTemplate::Command Command(bool piped) {
    SkipSpace();
    AlertTemplate::Command command;
    std::size_t word_start = pos_;
    while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    std::string word(text_.substr(word_start, pos_ - word_start));
    if (!word.empty()) {
      if (!IsFunction(word)) {
        pos_ = word_start;
        Fail("unknown function \"" + word +
             "\" (known: humanize, humanizeDuration, humanizePercentage, printf)");
      }
      command.function = word;
    }
    for (;;) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] == '|') break;
      command.args.push_back(Operand());
    }
    std::size_t arity = command.args.size() + (piped ? 1 : 0);
    std::size_t end = pos_;
    pos_ = word_start;  // errors below are about the whole command
    if (command.function.empty()) {
      if (piped) Fail("a piped value needs a function after |");
      if (arity != 1) Fail(arity == 0 ? "empty action" : "several values without a function");
    } else if (command.function == "printf") {
      if (command.args.empty() || command.args[0].kind != AlertTemplate::Operand::Kind::kString)
        Fail("printf needs a format string first");
    } else if (arity != 1) {
      Fail(command.function + " takes one value");
    }
    pos_ = end;
    return command;
  }

  AlertTemplate::Operand Operand() {
    using Kind = AlertTemplate::Operand::Kind;
    char c = text_[pos_];
    if (c == '"') {
      std::size_t start = pos_;
      std::string literal;
      for (++pos_; pos_ < text_.size() && text_[pos_] != '"'; ++pos_) {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
          char escaped = text_[++pos_];
          literal += escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped;
        } else {
          literal += text_[pos_];
        }
      }
      if (!Consume('"')) {
        pos_ = start;
        Fail("unterminated string");
      }
      return {Kind::kString, literal, 0};
    }
    if (c == '$') {
      std::size_t start = pos_;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                     text_[pos_] == '_' || text_[pos_] == '$' || text_[pos_] == '.'))
        ++pos_;
      std::string_view name = text_.substr(start, pos_ - start);
      if (name == "$value") return {Kind::kValue, "", 0};
      // The whole map (awesome-prometheus-alerts' "LABELS = {{ $labels }}"): an empty name.
      if (name == "$labels") return {Kind::kLabel, "", 0};
      if (name == "$externalLabels") return {Kind::kExternalLabel, "", 0};
      for (auto [prefix, kind] : {std::pair{std::string_view("$labels."), Kind::kLabel},
                                  std::pair{std::string_view("$externalLabels."), Kind::kExternalLabel}}) {
        if (name.starts_with(prefix) && name.size() > prefix.size())
          return {kind, std::string(name.substr(prefix.size())), 0};
      }
      pos_ = start;
      Fail("unknown variable \"" + std::string(name) +
           "\" (known: $value, $labels, $labels.NAME, $externalLabels, $externalLabels.NAME)");
    }
    double number = 0;
    auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), number);
    if (ec == std::errc() && end != text_.data() + pos_) {
      std::size_t start = pos_;
      pos_ = end - text_.data();
      return {Kind::kNumber, std::string(text_.substr(start, pos_ - start)), number};
    }
    Fail("unexpected \"" + std::string(1, c) + "\"");
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  [[noreturn]] void Fail(const std::string& message) const {
    throw TemplateError("at offset " + std::to_string(offset_ + pos_) + ": " + message);
  }

  std::string_view text_;
  std::size_t offset_;  // of the action in the whole template, for messages
  std::size_t pos_ = 0;
};

Value Evaluate(const AlertTemplate::Operand& operand, const TemplateData& data) {
  using Kind = AlertTemplate::Operand::Kind;
  auto lookup = [&](const LabelMap* map) -> Value {
    if (operand.text.empty()) {
      // Go's %v of a map[string]string: keys sorted, map[k:v k:v].
      std::string out = "map[";
      if (map != nullptr) {
        for (const auto& [name, value] : *map) out += (out.size() > 4 ? " " : "") + name + ":" + value;
      }
      return out + "]";
    }
    if (map == nullptr) return std::string();
    auto it = map->find(operand.text);
    return it == map->end() ? std::string() : it->second;
  };
  switch (operand.kind) {
    case Kind::kValue: return data.value;
    case Kind::kLabel: return lookup(data.labels);
    case Kind::kExternalLabel: return lookup(data.external_labels);
    case Kind::kString: return operand.text;
    case Kind::kNumber: return operand.number;
  }
  return std::string();
}

Value Call(const AlertTemplate::Command& command, const std::vector<Value>& args) {
  if (command.function.empty()) return args[0];
  if (command.function == "printf") return Printf(std::get<std::string>(args[0]), {args.begin() + 1, args.end()});
  double number = AsNumber(args[0]);
  if (command.function == "humanize") return Humanize(number);
  if (command.function == "humanizeDuration") return HumanizeDuration(number);
  return HumanizePercentage(number);
}

}  // namespace

AlertTemplate AlertTemplate::Parse(std::string_view text) {
  AlertTemplate parsed;
  parsed.text_ = std::string(text);
  std::size_t pos = 0;
  for (;;) {
    std::size_t open = text.find("{{", pos);
    Piece piece;
    piece.literal = std::string(text.substr(pos, open == std::string_view::npos ? open : open - pos));
    if (open == std::string_view::npos) {
      if (!piece.literal.empty()) parsed.pieces_.push_back(std::move(piece));
      break;
    }
    std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      throw TemplateError("at offset " + std::to_string(open) + ": unclosed action (missing }})");
    }
    std::string_view action = text.substr(open + 2, close - open - 2);
    // Go's trim markers, "{{- " and " -}}", remove the space around an action.
    bool trim_left = action.starts_with("- ");
    bool trim_right = action.ends_with(" -");
    if (trim_left) {
      action.remove_prefix(1);
      while (!piece.literal.empty() && std::isspace(static_cast<unsigned char>(piece.literal.back())))
        piece.literal.pop_back();
    }
    if (trim_right) action.remove_suffix(1);
    piece.pipeline = Parser(action, open + 2).Pipeline();
    parsed.pieces_.push_back(std::move(piece));
    pos = close + 2;
    if (trim_right) {
      while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    }
  }
  return parsed;
}

std::string AlertTemplate::Render(const TemplateData& data) const {
  std::string out;
  for (const Piece& piece : pieces_) {
    out += piece.literal;
    if (piece.pipeline.empty()) continue;
    std::optional<Value> piped;
    for (const Command& command : piece.pipeline) {
      std::vector<Value> args;
      for (const Operand& operand : command.args) args.push_back(Evaluate(operand, data));
      if (piped) args.push_back(*piped);
      piped = Call(command, args);
    }
    out += AsText(*piped);
  }
  return out;
}

std::string Humanize(double value) {
  if (value == 0 || !std::isfinite(value)) return G4(value);
  static constexpr const char* kBig[] = {"", "k", "M", "G", "T", "P", "E", "Z", "Y"};
  static constexpr const char* kSmall[] = {"", "m", "u", "n", "p", "f", "a", "z", "y"};
  std::size_t i = 0;
  if (std::fabs(value) >= 1) {
    while (i + 1 < std::size(kBig) && std::fabs(value) >= 1000) {
      value /= 1000;
      ++i;
    }
    return G4(value) + kBig[i];
  }
  while (i + 1 < std::size(kSmall) && std::fabs(value) < 1) {
    value *= 1000;
    ++i;
  }
  return G4(value) + kSmall[i];
}

std::string HumanizeDuration(double seconds) {
  if (!std::isfinite(seconds)) return G4(seconds);
  if (seconds == 0) return "0s";
  std::string sign;
  if (seconds < 0) {
    sign = "-";
    seconds = -seconds;
  }
  if (seconds >= 9.2e18) return sign + G4(seconds) + "s";  // beyond days that fit an integer
  if (seconds >= 1) {
    auto whole = static_cast<long long>(seconds);
    long long days = whole / 86400, hours = whole / 3600 % 24, minutes = whole / 60 % 60;
    std::string rest = G4(std::fmod(seconds, 60)) + "s";
    if (days != 0) return sign + std::to_string(days) + "d " + std::to_string(hours) + "h " + std::to_string(minutes) + "m " + rest;
    if (hours != 0) return sign + std::to_string(hours) + "h " + std::to_string(minutes) + "m " + rest;
    if (minutes != 0) return sign + std::to_string(minutes) + "m " + rest;
    return sign + rest;
  }
  static constexpr const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  for (const char* p : kSmall) {
    if (seconds >= 1) break;
    prefix = p;
    seconds *= 1000;
  }
  return sign + G4(seconds) + prefix + "s";
}

std::string HumanizePercentage(double ratio) { return G4(ratio * 100) + "%"; }

std::string FormatGoFloat(double value) {
  if (!std::isfinite(value)) return NonFinite(value);
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string scientific(buffer, end);
  int exponent = std::atoi(scientific.c_str() + scientific.find('e') + 1);
  if (exponent < -4 || exponent >= 6) return scientific;  // strconv.FormatFloat(v, 'g', -1)
  auto [fixed_end, fixed_ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  return std::string(buffer, fixed_end);
}

}  // namespace metricsd::alerting
