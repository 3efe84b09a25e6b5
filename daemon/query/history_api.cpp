#include "daemon/query/history_api.h"

#include "daemon/query/export_api.h"
#include "daemon/query/import_api.h"
#include "daemon/query/series_api.h"

namespace metricsd::query {

Routes HistoryApiRoutes(StoreGetter store) {
  // Every route reads or writes the store (locks, SQLite): off the io threads.
  return {
      Route{.path = "/api/v1/series",
            .methods = {http::verb::get, http::verb::post},
            .handler = [store](const HttpRequest& r) { return HandleSeries(r, store); },
            .heavy = true,
            .doc = "History: label sets of the series `match[]` selects in [`start`, `end`] "
                   "(Prometheus's series API)."},
      Route{.path = "/api/v1/labels",
            .methods = {http::verb::get, http::verb::post},
            .handler = [store](const HttpRequest& r) { return HandleLabels(r, store); },
            .heavy = true,
            .doc = "History: label names, of the series `match[]` selects if given "
                   "(Prometheus's labels API)."},
      Route{.path = std::string(kLabelValuesPrefix),
            .prefix = true,
            .methods = {http::verb::get},
            .handler = [store](const HttpRequest& r) { return HandleLabelValues(r, store); },
            .heavy = true,
            .doc = "`/api/v1/label/<name>/values`: history: values of one label, `__name__` "
                   "included (Prometheus's label values API)."},
      Route{.path = "/api/v1/export",
            .methods = {http::verb::get, http::verb::post},
            .stream = [store](const HttpRequest& r) { return HandleExport(r, store); },
            .heavy = true,
            .doc = "History: raw samples of the series `match[]` selects as VictoriaMetrics' "
                   "JSON lines, streamed (a backup: POST it to `/api/v1/import`)."},
      Route{.path = "/api/v1/import",
            .methods = {http::verb::post},
            .handler = [store](const HttpRequest& r) { return HandleImport(r, store); },
            .heavy = true,
            .max_body_bytes = kMaxImportBodyBytes,
            .doc = "History: stores VictoriaMetrics' JSON lines (gzip too, up to 64 MiB), all "
                   "or nothing; backfills older samples, duplicates are skipped."},
  };
}

}  // namespace metricsd::query
