// Strict reading of one YAML config section, with errors that name file:line:column and the
// key path ("metricsd.yaml:3:3: web.listen_adress: unknown key (did you mean listen_address?)").
//
// Each Source parses its own section through a ConfigNode, next to the code that uses it;
// daemon/config composes the file. ConfigNode is a cheap value (it shares the YAML tree).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "daemon/core/duration.h"

namespace metricsd {

// The one error type of config loading. what() is the full "file:line:column: path: message".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string_view file, int line, int column, std::string_view path,
              std::string_view message);
};

class ConfigNode {
 public:
  // The root of a parsed document; `file` is the name errors print.
  ConfigNode(YAML::Node node, std::string file);

  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }
  // False when the key was absent or its value is YAML null (`key:` with nothing after it).
  bool IsSet() const;
  bool IsSequence() const { return node_.IsSequence(); }

  // Throws unless this node is a mapping (or unset) whose keys are unique and all in
  // `allowed`; an unknown key's error suggests the closest allowed one.
  void ExpectKeys(std::initializer_list<std::string_view> allowed) const;
  void ExpectKeys(const std::vector<std::string_view>& allowed) const;

  // The child at `key`; unset if absent. Errors about an absent child point at this node.
  ConfigNode operator[](std::string_view key) const;

  // Elements of a sequence (empty if unset); throws if this is not a sequence.
  std::vector<ConfigNode> Items() const;
  // Entries of a mapping whose keys are free-form (label maps), in file order; throws if this
  // is not a mapping or a key repeats. Each key is paired with its value's node.
  std::vector<std::pair<std::string, ConfigNode>> Entries() const;

  std::string AsString() const;
  bool AsBool() const;
  std::int64_t AsInt(std::int64_t min, std::int64_t max) const;
  double AsDouble() const;  // finite
  // A non-empty, strictly increasing list of numbers (histogram bucket bounds).
  std::vector<double> AsBuckets() const;
  Duration AsDuration() const;
  // A path as written, resolved against the directory of the file this node comes from (as
  // Prometheus resolves file paths in its config); absolute paths and paths read from an
  // embedded document (a name in <angle brackets>) are returned as written.
  std::string AsPath() const;

  // Each returns `fallback` when the node is unset.
  std::string GetString(std::string_view key, std::string_view fallback) const;
  bool GetBool(std::string_view key, bool fallback) const;
  std::int64_t GetInt(std::string_view key, std::int64_t fallback, std::int64_t min,
                      std::int64_t max) const;
  Duration GetDuration(std::string_view key, Duration fallback) const;

  // Throws ConfigError at this node's position.
  [[noreturn]] void Fail(std::string_view message) const;

 private:
  ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string path,
             YAML::Mark mark);
  std::string ScalarOrFail(std::string_view expected) const;
  // A plain (unquoted) scalar: "32" in quotes is a string, not a number, as Go's YAML (and so
  // Prometheus) reads it, and as the JSON Schema says.
  std::string PlainScalarOrFail(std::string_view expected) const;

  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::string path_;
  YAML::Mark mark_;  // where errors point: the node itself, or its parent when absent
};

// The closest of `candidates` to `word` by edit distance, if close enough to be a likely typo.
std::string_view SuggestKey(std::string_view word,
                            std::initializer_list<std::string_view> candidates);
std::string_view SuggestKey(std::string_view word, const std::vector<std::string_view>& candidates);

// The whole text of a config file (or a file it points to); an unreadable file is a
// ConfigError naming it.
std::string ReadConfigFile(const std::string& path);

// Parses YAML text into a root ConfigNode; a syntax error becomes a ConfigError with yaml-cpp's
// position.
ConfigNode ParseYaml(std::string_view text, std::string file);

}  // namespace metricsd
