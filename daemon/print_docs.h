// Generated documentation: the README blocks, the JSON Schema and the commented default config,
// each produced from the one declaration it describes (config keys, routes), never by hand.
//
// Thread-safety: pure functions of compiled-in declarations; any thread may call them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace metricsd {

// The README block NAME (see tests/support/generated_docs.py); nullopt for an unknown name.
std::optional<std::string> GeneratedDoc(std::string_view name);
// Every block name, for the error of an unknown one.
std::vector<std::string> GeneratedDocNames();

}  // namespace metricsd
