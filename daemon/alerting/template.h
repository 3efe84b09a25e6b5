// Alert annotation templates: the part of Go's text/template that Prometheus rules use.
//
//   {{ $value }}  {{ $labels.NAME }}  {{ $externalLabels.NAME }}  "a string"  1.5
//   {{ $labels }}, {{ $externalLabels }}: the whole map as Go prints it (map[a:1 b:2])
//   functions humanize, humanizeDuration, humanizePercentage, printf "FORMAT" ARGS...
//   called as `FUNC ARG` or piped, `ARG | FUNC` (the piped value becomes the last argument).
//
// A template is parsed once, when its rule file loads, so a typo is a config error with a
// position instead of a broken notification at 3 a.m.; rendering cannot fail.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace metricsd::alerting {

using LabelMap = std::map<std::string, std::string, std::less<>>;

struct TemplateData {
  double value = 0;
  const LabelMap* labels = nullptr;
  const LabelMap* external_labels = nullptr;
};

class TemplateError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class AlertTemplate {
 public:
  AlertTemplate() = default;
  // Throws TemplateError naming what is wrong and where ("at offset 12: unknown function ...").
  static AlertTemplate Parse(std::string_view text);

  std::string Render(const TemplateData& data) const;
  const std::string& text() const { return text_; }

  struct Operand {
    enum class Kind { kValue, kLabel, kExternalLabel, kString, kNumber } kind;
    std::string text;  // label name, or the literal
    double number = 0;
  };
  struct Command {
    std::string function;  // empty: a lone operand
    std::vector<Operand> args;
  };
  struct Piece {
    std::string literal;             // text before the action
    std::vector<Command> pipeline;   // empty: no action (trailing text)
  };

 private:
  std::string text_;
  std::vector<Piece> pieces_;
};

// Prometheus's formatting functions, also used for the /api/v1 answers and logs.
std::string Humanize(double value);
std::string HumanizeDuration(double seconds);
std::string HumanizePercentage(double ratio);
// Go's %v of a float64: shortest round-trip digits, exponent form outside [1e-4, 1e6).
std::string FormatGoFloat(double value);

}  // namespace metricsd::alerting
