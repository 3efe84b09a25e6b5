#include "daemon/config/config_docs.h"

#include <sstream>

#include "daemon/config/config.h"
#include "daemon/config/yaml_render.h"

namespace metricsd {
namespace config {
extern const std::string_view kStatsdMappingSchema;  // config/schema/statsd-mapping.schema.json
}  // namespace config
namespace {

std::string Cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string DefaultCell(const config::KeyInfo& key) {
  if (!key.default_note.empty()) return key.default_note;
  if (key.required) return "required";
  if (key.default_value.is_null()) return "";
  if (key.block != nullptr && !key.list) return "";  // its keys have the defaults
  std::string text = key.default_value.is_string() ? key.default_value.get<std::string>()
                                                   : key.default_value.dump();
  if (text.empty()) return "`\"\"`";
  // Backticks cannot be escaped inside a code span; a doubled fence holds a single one.
  return text.find('`') == std::string::npos ? "`" + text + "`" : "`` " + text + " ``";
}

void Rows(const config::SectionInfo& section, const std::string& prefix, std::ostream& out,
          std::vector<std::string>& notes) {
  for (const config::KeyInfo& key : section.Keys()) {
    std::string name = prefix + key.name;
    if (key.block != nullptr && !key.list) {
      Rows(*key.block, name + ".", out, notes);
      continue;
    }
    out << "| `" << name << "` | " << Cell(key.type) << " | " << Cell(DefaultCell(key)) << " | "
        << Cell(key.doc) << (key.secret ? " (secret: shown as `<secret>`)" : "") << " |\n";
    if (key.block != nullptr) Rows(*key.block, name + "[].", out, notes);
  }
  std::string where = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1) + ": ";
  for (const std::string& note : section.notes()) notes.push_back(where + note);
}

// Comment lines of at most ~100 columns.
void Comment(std::string_view text, const std::string& indent, std::ostream& out) {
  std::istringstream words{std::string(text)};
  std::string word, line;
  while (words >> word) {
    if (!line.empty() && indent.size() + 2 + line.size() + 1 + word.size() > 100) {
      out << indent << "# " << line << "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out << indent << "# " << line << "\n";
}

bool IsScalarList(const nlohmann::json& value) {
  if (!value.is_array()) return false;
  for (const auto& item : value) {
    if (item.is_structured()) return false;
  }
  return true;
}

// A scalar, or a list of scalars in flow style ([0.005, 0.01]).
std::string Inline(const nlohmann::json& value) {
  if (!value.is_array()) {
    std::string text = RenderYaml(value);
    return text.substr(0, text.size() - 1);
  }
  std::string out = "[";
  for (const auto& item : value) {
    if (out.size() > 1) out += ", ";
    out += Inline(item);
  }
  return out + "]";
}

void Indented(const std::string& text, const std::string& indent, std::ostream& out) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out << indent << line << "\n";
}

// The keys of `section` with their `values`, in declaration order (nlohmann::json sorts
// keys), each with its doc as a comment when `comments`.
void YamlBlock(const config::SectionInfo& section, const nlohmann::json& values,
               const std::string& indent, bool comments, std::ostream& out) {
  for (const config::KeyInfo& key : section.Keys()) {
    if (comments) Comment(key.doc, indent, out);
    if (!values.is_object() || !values.contains(key.name) || values[key.name].is_null()) {
      if (comments) out << indent << "# " << key.name << ":\n";  // unset by default
      continue;
    }
    const nlohmann::json& value = values[key.name];
    if (key.block != nullptr && !key.list) {
      out << indent << key.name << ":\n";
      YamlBlock(*key.block, value, indent + "  ", comments, out);
    } else if (key.block != nullptr && value.is_array() && !value.empty()) {
      out << indent << key.name << ":\n";
      for (const auto& item : value) {
        std::ostringstream item_text;
        YamlBlock(*key.block, item, "", false, item_text);
        std::string text = item_text.str(), first = "- ", rest = "  ";
        std::istringstream lines(text);
        bool head = true;
        for (std::string line; std::getline(lines, line); head = false) {
          out << indent << "  " << (head ? first : rest) << line << "\n";
        }
      }
    } else if (!value.is_structured() || IsScalarList(value) || value.empty()) {
      out << indent << key.name << ": " << (value.is_structured() && value.empty()
                                               ? (value.is_array() ? "[]" : "{}")
                                               : Inline(value))
          << "\n";
    } else {
      out << indent << key.name << ":\n";
      Indented(RenderYaml(value), indent + "  ", out);
    }
  }
}

}  // namespace

std::string KeyTableMarkdown(const config::SectionInfo& section) {
  std::ostringstream out;
  std::vector<std::string> notes;
  out << "| key | type | default | meaning |\n| --- | --- | --- | --- |\n";
  Rows(section, "", out, notes);
  if (!notes.empty()) {
    out << "\nChecked at load besides types and bounds:\n\n";
    for (const std::string& note : notes) out << "- " << note << "\n";
  }
  return out.str();
}

std::string DefaultConfigYaml() {
  std::ostringstream out;
  out << "# yaml-language-server: $schema=schema/metricsd.schema.json\n"
         "# metricsd's default configuration: every key at its default, with its doc.\n"
         "# Generated by `metricsd --print-default-config`; the test `default_config_generated`\n"
         "# fails when this file and the declarations differ. A key commented out is unset by\n"
         "# default.\n";
  for (const config::KeyInfo& section : ConfigSection().Keys()) {
    out << "\n";
    Comment(section.doc, "", out);
    out << section.name << ":\n";
    YamlBlock(*section.block, section.default_value, "  ", /*comments=*/true, out);
  }
  return out.str();
}

std::string EffectiveConfigYaml(const Config& config) {
  std::ostringstream out;
  YamlBlock(ConfigSection(), config.ToJson(), "", /*comments=*/false, out);
  return out.str();
}

nlohmann::json ConfigJsonSchema() {
  nlohmann::json schema = ConfigSection().Schema();
  schema["$schema"] = "http://json-schema.org/draft-07/schema#";
  schema["$id"] = "https://github.com/metricsd/metricsd/config/schema/metricsd.schema.json";
  schema["title"] = "metricsd configuration file";
  // The inline statsd_exporter mapping refers to the mapping file schema's definitions.
  schema["definitions"] = nlohmann::json::parse(config::kStatsdMappingSchema)["definitions"];
  return schema;
}

}  // namespace metricsd
