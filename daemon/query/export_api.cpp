#include "daemon/query/export_api.h"

#include <memory>
#include <vector>

#include "daemon/query/api_json.h"
#include "daemon/query/api_params.h"
#include "daemon/query/export_format.h"

namespace metricsd::query {
namespace {

// What one export response walks through; owned by the producer, so the store stays open
// until the last chunk is written.
struct ExportCursor {
  std::shared_ptr<storage::Store> store;
  std::vector<storage::SeriesRef> refs;
  std::size_t next = 0;
  TimeRange range;
  std::vector<storage::Sample> samples;  // reused between series

  // Appends lines until the chunk is full; false once every series is written.
  bool Fill(std::string& chunk) {
    while (next < refs.size() && chunk.size() < kExportChunkBytes) {
      storage::SeriesRef ref = refs[next++];
      std::string key = store->Key(ref);
      if (key.empty()) continue;  // deleted by retention since Select
      samples.clear();
      store->RawSamples(ref, range.start, range.end, samples);
      AppendExportLine(chunk, key, samples);
    }
    return next < refs.size();
  }
};

}  // namespace

StreamedResponse HandleExport(const HttpRequest& request, const StoreGetter& get_store) {
  std::shared_ptr<storage::Store> store = get_store();
  if (store == nullptr) return {.head = HistoryUnavailable(request)};
  FormValues form;
  std::string error;
  if (!ParseRequestForm(request, &form, &error)) {
    return {.head = ApiError(request, ApiErrorType::kBadData,
                             "error parsing form values: " + error)};
  }
  auto cursor = std::make_shared<ExportCursor>();
  std::vector<storage::Matchers> selectors;
  if (!ParseTimeRange(form, &cursor->range, &error) || !ParseSelectors(form, &selectors, &error)) {
    return {.head = ApiError(request, ApiErrorType::kBadData, error)};
  }
  if (selectors.empty()) {
    return {.head = ApiError(request, ApiErrorType::kBadData, "no match[] parameter provided")};
  }
  cursor->refs = store->Select(selectors, cursor->range.start, cursor->range.end);
  cursor->store = std::move(store);
  StreamedResponse response{
      .head = MakeResponse(request, http::status::ok, "", "application/stream+json")};
  response.next = [cursor](std::string& chunk) { return cursor->Fill(chunk); };
  return response;
}

}  // namespace metricsd::query
