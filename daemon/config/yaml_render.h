// JSON rendered as block-style YAML, for showing the effective config the way it is written.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace metricsd {

// Mappings and sequences in block style (empty ones as {} and []); a string that would read
// back as another type (a number, a boolean, null, empty) is quoted, so the YAML means what
// the JSON does. Pure function; safe from any thread.
std::string RenderYaml(const nlohmann::json& value);

}  // namespace metricsd
