// The annotations HTTP API, in Grafana's annotation shape so Grafana's JSON and its clients
// work unchanged (https://grafana.com/docs/grafana/latest/developers/http_api/annotations/):
//
//   POST   /api/v1/annotations        {"time": ms, "timeEnd"?: ms, "tags": [...], "text": "...",
//                                      "dashboardUID"?, "panelId"?}
//                                      -> {"id": N, "message": "Annotation added"}
//   GET    /api/v1/annotations?from=ms&to=ms&tags=a&tags=b&limit=100
//                                      -> [{"id","time","timeEnd","tags","text","dashboardUID",
//                                           "panelId","source"}, ...] newest first; every tag
//                                           given must be on the annotation (Grafana's default;
//                                           matchAny=true: any one of them)
//   GET    /api/v1/annotations/<id>    -> the annotation, 404 when there is none
//   DELETE /api/v1/annotations/<id>    -> {"message": "Annotation deleted"}, 404 when none
//
// Errors answer {"message": "..."} (Grafana's error shape): 400 for bad input (bad JSON, a
// body over kMaxAnnotationBodyBytes, no text and no tags, a time that is not a number), 404
// for an unknown id, 503 while the database is not open (history off or still opening), 500
// when the database fails (a full disk).
//
// And the impact of one annotation (impact.h), in Prometheus's envelope like the other
// analytics routes:
//
//   GET    /api/v1/analytics/impact?id=<annotation id>[&fresh=1]
//          -> {"status": "success", "data": ImpactOf(...)}: the stored result when its after
//             window was complete, else computed now (and stored); fresh=1 always computes.
//             400 without a numeric id, 404 for an unknown one, 503 while analytics are off.
//
// Thread-safety: the handlers are thread-safe (AnalyticsDb and the engine are).
#pragma once

#include <cstdint>
#include <functional>

#include "daemon/analytics/analysis_context.h"
#include "daemon/analytics/analytics_db.h"
#include "daemon/core/route.h"

namespace metricsd::analytics {

// Largest POST body read (a 64 KiB text plus tags and JSON escaping); larger gets 400.
inline constexpr std::uint64_t kMaxAnnotationBodyBytes = 256 * 1024;
// GET's default and largest `limit`.
inline constexpr std::size_t kDefaultAnnotationLimit = 100;
inline constexpr std::size_t kMaxAnnotationLimit = 10000;

// `db` is asked on every request; it may return null (answered 503).
using AnalyticsDbGetter = std::function<AnalyticsDb*()>;

Routes AnnotationRoutes(AnalyticsDbGetter db);

// Annotations refused with 400 since the process started (bad input, over a limit), for a
// metricsd_analytics_annotations_refused_total counter.
std::uint64_t AnnotationsRefused();

// The handlers, for tests and for wiring elsewhere.
HttpResponse HandleAnnotations(const HttpRequest& request, const AnalyticsDbGetter& db);    // GET, POST
HttpResponse HandleAnnotationById(const HttpRequest& request, const AnalyticsDbGetter& db); // GET, DELETE

// Runs `analyse` with a context over the current config, engine and database (now = the
// request's time, start = end = now); false when analytics are off or not ready (answered 503).
using ContextRunner = std::function<bool(const std::function<void(const AnalysisContext&)>& analyse)>;

Routes ImpactRoutes(ContextRunner run);
HttpResponse HandleImpact(const HttpRequest& request, const ContextRunner& run);

}  // namespace metricsd::analytics
