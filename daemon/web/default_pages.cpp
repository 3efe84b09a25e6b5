// STUB: the shipped pages of the game (a helper fills these in).
#include "daemon/web/dashboard_config.h"

namespace metricsd::web {

std::vector<Page> DefaultPages() {
  return {Page{.id = "overview",
               .title = "Overview",
               .panels = {Panel{.title = "Collectors up",
                                .expr = "metricsd_collector_success",
                                .legend = "{{collector}}",
                                .kind = PanelKind::kTable}}}};
}

}  // namespace metricsd::web
