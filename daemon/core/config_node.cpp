#include "daemon/core/config_node.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "daemon/core/yaml_quotes.h"

namespace metricsd {
namespace {

std::string FormatError(std::string_view file, int line, int column, std::string_view path,
                        std::string_view message) {
  std::string out(file);
  // yaml-cpp marks are 0-based; editors and compilers count from 1. A mark of -1 means unknown.
  // Appended piece by piece: `":" + std::to_string(...)` trips GCC 12's -Wrestrict false
  // positive at -O2/-O3 (GCC bug 105329), which fails a packager's Release build.
  if (line >= 0) {
    out.append(":").append(std::to_string(line + 1));
    out.append(":").append(std::to_string(column + 1));
  }
  out += ": ";
  if (!path.empty()) out.append(path).append(": ");
  out.append(message);
  return out;
}

std::string_view KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Scalar: return "a scalar";
    default: return "nothing";
  }
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

ConfigError::ConfigError(std::string_view file, int line, int column, std::string_view path,
                         std::string_view message)
    : std::runtime_error(FormatError(file, line, column, path, message)) {}

ConfigNode::ConfigNode(YAML::Node node, std::string file)
    : ConfigNode(node, std::make_shared<const std::string>(std::move(file)), "", node.Mark()) {}

ConfigNode::ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string path,
                       YAML::Mark mark)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)), mark_(mark) {}

bool ConfigNode::IsSet() const { return node_.IsDefined() && !node_.IsNull(); }

void ConfigNode::Fail(std::string_view message) const {
  throw ConfigError(*file_, mark_.line, mark_.column, path_, message);
}

void ConfigNode::ExpectKeys(std::initializer_list<std::string_view> allowed) const {
  ExpectKeys(std::vector<std::string_view>(allowed));
}

void ConfigNode::ExpectKeys(const std::vector<std::string_view>& allowed) const {
  if (!IsSet()) return;
  if (!node_.IsMap()) Fail("expected a mapping, got " + std::string(KindName(node_)));
  std::set<std::string, std::less<>> seen;
  for (const auto& entry : node_) {
    const YAML::Node& key = entry.first;
    std::string name = key.IsScalar() ? key.Scalar() : std::string();
    std::string key_path = path_.empty() ? name : path_ + "." + name;
    ConfigNode at_key(key, file_, key_path, key.Mark());
    if (!key.IsScalar()) at_key.Fail("keys must be strings");
    if (!seen.insert(name).second) at_key.Fail("duplicate key");
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string message = "unknown key";
      std::string_view suggestion = SuggestKey(name, allowed);
      if (!suggestion.empty()) message += " (did you mean " + std::string(suggestion) + "?)";
      at_key.Fail(message);
    }
  }
}

ConfigNode ConfigNode::operator[](std::string_view key) const {
  std::string child_path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  if (IsSet() && node_.IsMap()) {
    // Look the key up by iteration: yaml-cpp's operator[] on a const node would not tell us
    // where the key itself sits, and we want errors to point at the value.
    for (const auto& entry : node_) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key) {
        YAML::Mark mark = entry.second.IsNull() ? entry.first.Mark() : entry.second.Mark();
        return ConfigNode(entry.second, file_, child_path, mark);
      }
    }
  }
  return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_, child_path, mark_);
}

std::vector<ConfigNode> ConfigNode::Items() const {
  std::vector<ConfigNode> items;
  if (!IsSet()) return items;
  if (!node_.IsSequence()) Fail("expected a sequence, got " + std::string(KindName(node_)));
  std::size_t index = 0;
  for (const auto& element : node_) {
    items.push_back(ConfigNode(element, file_, path_ + "[" + std::to_string(index++) + "]",
                               element.Mark()));
  }
  return items;
}

std::vector<std::pair<std::string, ConfigNode>> ConfigNode::Entries() const {
  std::vector<std::pair<std::string, ConfigNode>> entries;
  if (!IsSet()) return entries;
  if (!node_.IsMap()) Fail("expected a mapping, got " + std::string(KindName(node_)));
  for (const auto& entry : node_) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
    ConfigNode key_node(entry.first, file_, path_, entry.first.Mark());
    if (!entry.first.IsScalar()) key_node.Fail("keys must be strings");
    for (const auto& seen : entries) {
      if (seen.first == key) key_node.Fail("duplicate key \"" + key + "\"");
    }
    YAML::Mark mark = entry.second.IsNull() ? entry.first.Mark() : entry.second.Mark();
    entries.emplace_back(key, ConfigNode(entry.second, file_, path_ + "." + key, mark));
  }
  return entries;
}

std::string ConfigNode::ScalarOrFail(std::string_view expected) const {
  if (!IsSet() || !node_.IsScalar()) {
    Fail("expected " + std::string(expected) + ", got " +
         std::string(IsSet() ? KindName(node_) : "nothing"));
  }
  return node_.Scalar();
}

std::string ConfigNode::PlainScalarOrFail(std::string_view expected) const {
  std::string text = ScalarOrFail(expected);
  if (node_.Tag() == "!") {
    Fail("expected " + std::string(expected) + ", got the quoted string \"" + text + "\"");
  }
  return text;
}

std::string ConfigNode::AsString() const { return ScalarOrFail("a string"); }

bool ConfigNode::AsBool() const {
  std::string text = PlainScalarOrFail("a boolean");
  if (text == "true") return true;
  if (text == "false") return false;
  Fail("expected true or false, got \"" + text + "\"");
}

std::int64_t ConfigNode::AsInt(std::int64_t min, std::int64_t max) const {
  std::string text = PlainScalarOrFail("an integer");
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    Fail("expected an integer, got \"" + text + "\"");
  }
  if (value < min || value > max) {
    Fail("must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
         text);
  }
  return value;
}

double ConfigNode::AsDouble() const {
  std::string text = PlainScalarOrFail("a number");
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    Fail("expected a number, got \"" + text + "\"");
  }
  return value;
}

std::vector<double> ConfigNode::AsBuckets() const {
  std::vector<double> buckets;
  for (const ConfigNode& item : Items()) buckets.push_back(item.AsDouble());
  if (buckets.empty() || !std::is_sorted(buckets.begin(), buckets.end()) ||
      std::adjacent_find(buckets.begin(), buckets.end()) != buckets.end()) {
    Fail("buckets must be a non-empty, strictly increasing list");
  }
  return buckets;
}

Duration ConfigNode::AsDuration() const {
  std::string text = ScalarOrFail("a duration");
  std::optional<Duration> value = ParseDuration(text);
  if (!value) Fail("invalid duration \"" + text + "\" (expected e.g. 500ms, 15s, 1m30s)");
  return *value;
}

std::string ConfigNode::AsPath() const {
  std::string path = ScalarOrFail("a path");
  if (path.empty() || path.front() == '/' || file_->empty() || file_->front() == '<') return path;
  std::size_t slash = file_->rfind('/');
  if (slash == std::string::npos) return path;  // the config file is in the working directory
  return file_->substr(0, slash + 1) + path;
}

std::string ConfigNode::GetString(std::string_view key, std::string_view fallback) const {
  ConfigNode child = (*this)[key];
  return child.IsSet() ? child.AsString() : std::string(fallback);
}

bool ConfigNode::GetBool(std::string_view key, bool fallback) const {
  ConfigNode child = (*this)[key];
  return child.IsSet() ? child.AsBool() : fallback;
}

std::int64_t ConfigNode::GetInt(std::string_view key, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) const {
  ConfigNode child = (*this)[key];
  return child.IsSet() ? child.AsInt(min, max) : fallback;
}

Duration ConfigNode::GetDuration(std::string_view key, Duration fallback) const {
  ConfigNode child = (*this)[key];
  return child.IsSet() ? child.AsDuration() : fallback;
}

std::string_view SuggestKey(std::string_view word,
                            std::initializer_list<std::string_view> candidates) {
  return SuggestKey(word, std::vector<std::string_view>(candidates));
}

std::string_view SuggestKey(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (std::string_view candidate : candidates) {
    std::size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, -1, -1, "", std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ConfigNode ParseYaml(std::string_view text, std::string file) {
  // Before yaml-cpp: it accepts an unclosed quote and silently drops everything after it.
  if (std::optional<YamlQuoteProblem> problem = FindUnclosedQuote(text)) {
    throw ConfigError(file, problem->line, problem->column, "", "invalid YAML: " + problem->message);
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // e.msg is the bare message; e.mark is yaml-cpp's position of the syntax error.
    throw ConfigError(file, e.mark.line, e.mark.column, "", "invalid YAML: " + e.msg);
  }
  return ConfigNode(std::move(root), std::move(file));
}

}  // namespace metricsd
