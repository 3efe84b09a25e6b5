// Documents generated from the config declarations (daemon/core/config_schema.h): the README's
// key tables, the commented default config (--print-default-config, config/metricsd.yaml) and
// the JSON Schema for editors (--print-config-schema, config/schema/metricsd.schema.json).
//
// Thread-safety: pure functions of immutable declarations; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "daemon/core/config_schema.h"

namespace metricsd {

// A Markdown table of the section's keys (nested blocks flattened as `a.b`, list items as
// `a[].b`), then the checks the schema cannot express.
std::string KeyTableMarkdown(const config::SectionInfo& section);

// The whole default config file, every key set to its default with its doc as a comment.
std::string DefaultConfigYaml();

// The effective config (secrets masked) as YAML, keys in declaration order: loadable again.
struct Config;
std::string EffectiveConfigYaml(const Config& config);

// The JSON Schema (draft-07, which yaml-language-server and most editors read) of the whole
// config file.
nlohmann::json ConfigJsonSchema();

}  // namespace metricsd
