#include "daemon/print_docs.h"

#include <functional>
#include <utility>

#include "daemon/app.h"
#include "daemon/config/config.h"
#include "daemon/config/config_docs.h"
#include "daemon/core/route.h"

namespace metricsd {
namespace {

using Producer = std::function<std::string()>;

// One row per README block. Each producer reads a declaration (config sections, routes).
const std::vector<std::pair<std::string, Producer>>& Producers() {
  static const std::vector<std::pair<std::string, Producer>> producers = {
      // The routes App serves, listed (never served) by an App that does not run.
      {"endpoints", [] { return RoutesMarkdownTable(App(Flags{}).AllRoutes()); }},
  };
  static const std::vector<std::pair<std::string, Producer>> all = [] {
    std::vector<std::pair<std::string, Producer>> list = producers;
    // One key table per config section: config-web, config-host, ...
    for (const config::KeyInfo& section : ConfigSection().Keys()) {
      const config::SectionInfo* block = section.block;
      list.emplace_back("config-" + section.name, [block] { return KeyTableMarkdown(*block); });
    }
    return list;
  }();
  return all;
}

}  // namespace

std::optional<std::string> GeneratedDoc(std::string_view name) {
  for (const auto& [key, produce] : Producers()) {
    if (key == name) return produce();
  }
  return std::nullopt;
}

std::vector<std::string> GeneratedDocNames() {
  std::vector<std::string> names;
  for (const auto& entry : Producers()) names.push_back(entry.first);
  return names;
}

}  // namespace metricsd
