#include "daemon/query/series_api.h"

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/core/metric_names.h"
#include "daemon/core/route.h"
#include "daemon/query/api_json.h"
#include "daemon/query/api_params.h"
#include "daemon/storage/series_key.h"

namespace metricsd::query {
namespace {

// Prometheus's order of label sets (labels.Compare) straight on keys: the separators sort
// below every other byte, so a shorter name or value sorts first, as it does there.
bool KeyLess(std::string_view a, std::string_view b) {
  auto rank = [](char c) {
    auto byte = static_cast<unsigned char>(c);
    if (c == storage::kKeyLabelStart) return 0;
    if (c == storage::kKeyValueStart) return 1;
    return byte + 2;
  };
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    int ra = rank(a[i]);
    int rb = rank(b[i]);
    if (ra != rb) return ra < rb;
  }
  return a.size() < b.size();
}

struct Query {
  FormValues form;
  TimeRange range;
  std::vector<storage::Matchers> selectors;
};

// Parses the form, start/end and match[] in Prometheus's order; an error response when
// something is wrong. /series names match[] in its error (invalidParamError), as 2.42 does;
// /labels and /label/<name>/values give the parser's message alone.
std::optional<HttpResponse> ParseQuery(const HttpRequest& request, Query* query,
                                       bool series) {
  std::string error;
  if (!ParseRequestForm(request, &query->form, &error)) {
    return ApiError(request, ApiErrorType::kBadData, "error parsing form values: " + error);
  }
  if (series && query->form.All("match[]").empty()) {
    return ApiError(request, ApiErrorType::kBadData, "no match[] parameter provided");
  }
  if (!ParseTimeRange(query->form, &query->range, &error)) {
    return ApiError(request, ApiErrorType::kBadData, error);
  }
  if (!ParseSelectors(query->form, &query->selectors, &error)) {
    return ApiError(request, ApiErrorType::kBadData,
                    series ? InvalidParameter("match[]", error) : error);
  }
  return std::nullopt;
}

}  // namespace

HttpResponse HandleSeries(const HttpRequest& request, const StoreGetter& get_store) {
  std::shared_ptr<storage::Store> store = get_store();
  if (store == nullptr) return HistoryUnavailable(request);
  Query query;
  if (auto error = ParseQuery(request, &query, /*series=*/true)) return std::move(*error);
  std::vector<std::string> keys;
  for (storage::SeriesRef ref : store->Select(query.selectors, query.range.start, query.range.end)) {
    std::string key = store->Key(ref);
    if (!key.empty()) keys.push_back(std::move(key));  // deleted by retention meanwhile
  }
  std::sort(keys.begin(), keys.end(), KeyLess);
  std::string data = "[";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i != 0) data += ',';
    data += '{';
    bool first = true;
    storage::ForEachKeyLabel(keys[i], [&](std::string_view name, std::string_view value) {
      if (!first) data += ',';
      first = false;
      AppendJsonString(data, name);
      data += ':';
      AppendJsonString(data, value);
    });
    data += '}';
  }
  data += ']';
  return ApiSuccess(request, data);
}

HttpResponse HandleLabels(const HttpRequest& request, const StoreGetter& get_store) {
  std::shared_ptr<storage::Store> store = get_store();
  if (store == nullptr) return HistoryUnavailable(request);
  Query query;
  if (auto error = ParseQuery(request, &query, /*series=*/false)) return std::move(*error);
  return ApiSuccess(request, JsonStringArray(store->LabelNames(query.selectors, query.range.start,
                                                               query.range.end)));
}

HttpResponse HandleLabelValues(const HttpRequest& request, const StoreGetter& get_store) {
  std::string_view path = request.target();
  path = path.substr(0, path.find('?'));
  std::string_view rest = path.substr(std::min(path.size(), kLabelValuesPrefix.size()));
  constexpr std::string_view kSuffix = "/values";
  if (!path.starts_with(kLabelValuesPrefix) || !rest.ends_with(kSuffix) ||
      rest.size() == kSuffix.size() ||
      rest.substr(0, rest.size() - kSuffix.size()).find('/') != std::string_view::npos) {
    return MakeResponse(request, http::status::not_found, "not found\n");
  }
  // The path is percent-decoded, as Go's router sees it ('+' stays a plus in a path).
  std::string raw_name(rest.substr(0, rest.size() - kSuffix.size()));
  std::string escaped_plus;
  for (char c : raw_name) escaped_plus += c == '+' ? std::string("%2B") : std::string(1, c);
  std::optional<std::string> name = PercentDecode(escaped_plus);
  if (!name || !IsValidLabelName(*name)) {
    return ApiError(request, ApiErrorType::kBadData,
                    "invalid label name: \"" + (name ? *name : raw_name) + "\"");
  }
  std::shared_ptr<storage::Store> store = get_store();
  if (store == nullptr) return HistoryUnavailable(request);
  Query query;
  if (auto error = ParseQuery(request, &query, /*series=*/false)) return std::move(*error);
  return ApiSuccess(request, JsonStringArray(store->LabelValues(*name, query.selectors,
                                                                query.range.start,
                                                                query.range.end)));
}

}  // namespace metricsd::query
