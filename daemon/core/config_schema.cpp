#include "daemon/core/config_schema.h"

#include <charconv>
#include <cmath>

namespace metricsd {

Pattern CompilePattern(std::string_view text) {
  Pattern pattern{std::string(text), nullptr};
  if (text.empty()) return pattern;
  auto regex = std::make_shared<const RE2>(pattern.text, RE2::Quiet);
  if (!regex->ok()) throw std::invalid_argument("built-in regex: " + regex->error());
  pattern.regex = std::move(regex);
  return pattern;
}

Pattern RegexAt(const ConfigNode& node) {
  Pattern pattern{node.AsString(), nullptr};
  if (pattern.text.empty()) return pattern;
  auto regex = std::make_shared<const RE2>(pattern.text, RE2::Quiet);
  if (!regex->ok()) node.Fail("invalid regular expression: " + regex->error());
  pattern.regex = std::move(regex);
  return pattern;
}

namespace config {

nlohmann::json SectionInfo::Schema() const {
  nlohmann::json properties = nlohmann::json::object();
  nlohmann::json required = nlohmann::json::array();
  for (const KeyInfo& key : DeclaredKeys()) {
    properties[key.name] = key.schema;
    if (key.required) required.push_back(key.name);
  }
  nlohmann::json schema = {{"type", {"object", "null"}},
                           {"additionalProperties", false},
                           {"properties", std::move(properties)}};
  if (!doc_.empty()) schema["description"] = doc_;
  if (!required.empty()) {
    schema["type"] = "object";
    schema["required"] = std::move(required);
  }
  return schema;
}

nlohmann::json DurationSchema(DurationBounds bounds) {
  // Prometheus's model.ParseDuration: units largest first, "0" alone.
  nlohmann::json schema = {{"type", {"string", "null"}},
                           {"pattern", "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?"
                                       "(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
                           {"minLength", 1}};
  // A lower bound the schema can say: not zero (only zeros and units). Larger minimums and
  // maximums no JSON Schema keyword can check on a duration string: they are stated as
  // annotations (ignored by validators, read by tests/schema/property_test.py) and checked at
  // load.
  if (bounds.min > Duration(0)) schema["not"] = {{"type", "string"}, {"pattern", "^(0|(0+(ms|y|w|d|h|m|s))+)$"}};
  if (bounds.min > Duration(1)) schema["x-minimumMilliseconds"] = bounds.min.count();
  if (bounds.max != Duration::max()) schema["x-maximumMilliseconds"] = bounds.max.count();
  return schema;
}

nlohmann::json SizeSchema(std::int64_t min, std::int64_t max) {
  return {{"anyOf",
           {{{"type", "integer"}, {"minimum", min}, {"maximum", max}},
            {{"type", "string"}, {"pattern", "^[0-9]+(\\.[0-9]+)?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$"}},
            {{"type", "null"}}}}};
}

KeyInfo MakeKeyInfo(std::string name, std::string type, std::string doc, nlohmann::json schema) {
  KeyInfo info;
  info.name = std::move(name);
  info.type = std::move(type);
  info.doc = std::move(doc);
  info.schema = std::move(schema);
  if (!info.doc.empty()) info.schema["description"] = info.doc;
  return info;
}

nlohmann::json StringSchema() { return {{"type", {"string", "number", "boolean", "null"}}}; }

std::string IntRange(std::int64_t min, std::int64_t max) {
  std::string out = std::to_string(min) + "..";
  if (max != std::numeric_limits<std::int64_t>::max()) out += std::to_string(max);
  return out;
}

std::int64_t ParseSizeAt(const ConfigNode& node, std::int64_t min, std::int64_t max) {
  std::string text = node.AsString();
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  struct Unit { std::string_view name; double factor; };
  static constexpr Unit kUnits[] = {{"", 1},        {"B", 1},           {"KB", 1e3},
                                    {"MB", 1e6},    {"GB", 1e9},        {"TB", 1e12},
                                    {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
                                    {"TiB", 1099511627776.0}};
  const Unit* found = nullptr;
  for (const Unit& candidate : kUnits) {
    if (candidate.name == unit) found = &candidate;
  }
  if (ec != std::errc() || end == text.data() || found == nullptr || number < 0 ||
      !std::isfinite(number) || (unit.empty() && text.find_first_of(".eE") != std::string::npos)) {
    node.Fail("expected a size in bytes, or a number with a unit (B, KB, MB, GB, TB, KiB, MiB, "
              "GiB, TiB), got \"" + text + "\"");
  }
  double bytes = std::floor(number * found->factor);
  if (bytes < static_cast<double>(min) || bytes > static_cast<double>(max)) {
    node.Fail("must be between " + std::to_string(min) + " and " + std::to_string(max) +
              ", got " + text);
  }
  return static_cast<std::int64_t>(bytes);
}

namespace detail {

std::string Number(double value) {
  nlohmann::json json = value;
  return json.dump();
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

std::string DurationType(DurationBounds bounds) {
  std::string type = "duration";
  if (bounds.min > Duration(1)) type += " ≥ " + FormatDuration(bounds.min);
  if (bounds.min == Duration(1)) type += " > 0";
  if (bounds.max != Duration::max()) type += " ≤ " + FormatDuration(bounds.max);
  return type;
}

void CheckDuration(const ConfigNode& node, Duration value, DurationBounds bounds) {
  if (bounds.min == Duration(1) && value < bounds.min) node.Fail("must be greater than 0");
  if (value < bounds.min) node.Fail("must be at least " + FormatDuration(bounds.min));
  if (value > bounds.max) node.Fail("must be at most " + FormatDuration(bounds.max));
}

ConfigNode EmptyNode() { return ParseYaml("", "<defaults>"); }

}  // namespace detail
}  // namespace config
}  // namespace metricsd
