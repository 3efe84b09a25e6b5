#include "daemon/query/metadata.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <string_view>
#include <vector>

#include "daemon/query/api_json.h"
#include "daemon/query/api_params.h"

namespace metricsd::query {
namespace {

struct Metadata {
  std::string_view type;
  std::string help;
  friend bool operator==(const Metadata&, const Metadata&) = default;
};

// Prometheus's textparse names: an untyped family is "unknown".
std::string_view TypeName(MetricType type) {
  return type == MetricType::kUntyped ? std::string_view("unknown") : MetricTypeName(type);
}

// Keeps each family's announced metadata, ignoring samples; several Sources announcing the same
// family with the same help count once (Prometheus's set per name).
class MetadataCollector : public FamilyVisitor {
 public:
  explicit MetadataCollector(const std::string* metric) : metric_(metric) {}

  void Family(std::string_view name, std::string_view help, MetricType type) override {
    if (metric_ != nullptr && name != *metric_) return;
    std::vector<Metadata>& list = families_[std::string(name)];
    Metadata entry{TypeName(type), std::string(help)};
    if (std::find(list.begin(), list.end(), entry) == list.end()) list.push_back(std::move(entry));
  }
  void Sample(Labels, double) override {}
  void Histogram(Labels, std::span<const double>, std::span<const std::uint64_t>, double,
                 std::uint64_t) override {}
  void Summary(Labels, std::span<const Quantile>, double, std::uint64_t) override {}

  const std::map<std::string, std::vector<Metadata>>& families() const { return families_; }

 private:
  const std::string* metric_;
  std::map<std::string, std::vector<Metadata>> families_;  // sorted, as Go marshals a map
};

// Go's strconv.Atoi: an optional sign and decimal digits, within int64.
std::optional<long long> ParseGoInt(std::string_view text) {
  std::string_view digits = text;
  if (digits.starts_with('+')) digits.remove_prefix(1);
  if (digits.empty() || digits.front() == '+') return std::nullopt;
  long long value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string MetadataJson(const SourceSet& sources, const std::string* metric, long long limit) {
  MetadataCollector collector(metric);
  sources.Visit(collector);
  std::string out = "{";
  long long written = 0;
  for (const auto& [name, list] : collector.families()) {
    if (limit >= 0 && written >= limit) break;
    if (written++ != 0) out += ',';
    AppendJsonString(out, name);
    out += ":[";
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i != 0) out += ',';
      out += R"({"type":)";
      AppendJsonString(out, list[i].type);
      out += R"(,"help":)";
      AppendJsonString(out, list[i].help);
      out += R"(,"unit":""})";  // the text format 0.0.4 has no units
    }
    out += ']';
  }
  out += '}';
  return out;
}

HttpResponse HandleMetadata(const HttpRequest& request, const SourceSetPtr& sources) {
  FormValues form;
  std::string error;
  ParseRequestForm(request, &form, &error);  // r.FormValue ignores form errors
  long long limit = -1;
  std::optional<std::string> limit_text = form.First("limit");
  if (limit_text && !limit_text->empty()) {
    std::optional<long long> parsed = ParseGoInt(*limit_text);
    if (!parsed) return ApiError(request, ApiErrorType::kBadData, "limit must be a number");
    limit = *parsed;
  }
  std::optional<std::string> metric = form.First("metric");
  const std::string* only = metric && !metric->empty() ? &*metric : nullptr;
  if (sources == nullptr) return ApiSuccess(request, "{}");
  return ApiSuccess(request, MetadataJson(*sources, only, limit));
}

}  // namespace metricsd::query
