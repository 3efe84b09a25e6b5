// Feeds arbitrary bytes to the rule file parser (both forms: Prometheus's `expr` and the
// threshold form), and every rule that loads through the PromQL engine over series built from
// the same bytes, written as the history sampler writes each type (histograms as _bucket/_sum/
// _count, summaries with quantile labels), with the family types from the bytes too: a rule file
// must load or throw ConfigError; a threshold rule must compile, for every type, to PromQL that
// parses (or to a type error); evaluation, templates, limits and the state machine must never
// crash whatever the values (NaN, Inf, counters going backwards).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "daemon/alerting/alerting_config.h"
#include "daemon/alerting/rule_evaluator.h"
#include "daemon/query/promql/memory_queryable.h"

namespace {

using namespace metricsd;
using namespace metricsd::alerting;
namespace promql = metricsd::query::promql;

class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  double Double() {
    double value = 0;
    if (pos_ + sizeof value <= size_) std::memcpy(&value, data_ + pos_, sizeof value);
    pos_ += sizeof value;
    return value;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

void Add(promql::MemoryQueryable& data, std::string name, const std::string& zone, const char* extra_name,
         const std::string& extra_value, promql::Timestamp t, double v) {
  promql::Labels labels{{"__name__", std::move(name)}, {"zone", zone}};
  if (extra_name != nullptr) labels.push_back({extra_name, extra_value});
  std::sort(labels.begin(), labels.end());
  data.Add(std::move(labels), {{t, v}});
}

// One sample per series of `family` at `t`, as the sampler flattens a family of `type`.
void AddFamily(promql::MemoryQueryable& data, const std::string& family, MetricType type, Bytes& bytes,
               promql::Timestamp t) {
  int series = bytes.Byte() % 4;
  for (int i = 0; i < series; ++i) {
    std::string zone(1, static_cast<char>('a' + bytes.Byte() % 3));
    switch (type) {
      case MetricType::kHistogram:
        for (const char* le : {"0.1", "1", "+Inf"}) Add(data, family + "_bucket", zone, "le", le, t, bytes.Double());
        Add(data, family + "_sum", zone, nullptr, "", t, bytes.Double());
        Add(data, family + "_count", zone, nullptr, "", t, bytes.Double());
        break;
      case MetricType::kSummary:
        for (const char* q : {"0.5", "0.9", "0.99"}) Add(data, family, zone, "quantile", q, t, bytes.Double());
        Add(data, family + "_sum", zone, nullptr, "", t, bytes.Double());
        Add(data, family + "_count", zone, nullptr, "", t, bytes.Double());
        break;
      default:
        Add(data, family, zone, nullptr, "", t, bytes.Double());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Rules first, then (after a line "---") the bytes the series are made of.
  std::size_t split = input.find("\n---\n");
  std::string_view rules = input.substr(0, split);
  std::string_view rest = split == std::string_view::npos ? std::string_view() : input.substr(split + 5);
  std::vector<RuleGroup> groups;
  try {
    groups = ParseRuleFile(rules, "fuzz.yaml", std::chrono::seconds(1));
  } catch (const ConfigError&) {
    return 0;
  }
  LabelMap external{{"site", "fuzz"}};
  for (const RuleGroup& group : groups) {
    for (const Rule& rule : group.rules) {
      Bytes bytes(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size());
      auto series = std::make_shared<promql::MemoryQueryable>();
      // Prometheus-form rules read whatever they name; these families are what the bytes fill.
      std::vector<std::string> families = {"a", "b", "up"};
      if (rule.IsThreshold()) families = {rule.metric, rule.divide_by.empty() ? "b" : rule.divide_by};
      FamilyTypes types;
      for (const std::string& family : families) types[family] = static_cast<MetricType>(bytes.Byte() % 5);
      for (int step = 0; step < 4; ++step) {
        for (const auto& [family, type] : types) AddFamily(*series, family, type, bytes, 1000000 + step * 15000);
      }
      query::QueryService service([series] { return series; }, promql::EngineOptions{});
      RuleState state;
      std::size_t limit = bytes.Byte() % 4;
      for (int step = 0; step < 4; ++step) {
        if (bytes.Byte() % 4 == 0) types[families[0]] = static_cast<MetricType>(bytes.Byte() % 5);
        double now = 1000.0 + step * 15 + bytes.Byte() % 60;
        EvaluateRule(rule, now, service, types, external, limit, state);
        // A compiled threshold query that does not parse is a compiler bug.
        if (state.last_error.starts_with("compiled query ")) std::abort();
        TakeAlertsToSend(state, now, 60, 1);
      }
      (void)rule.Expression();
    }
  }
  return 0;
}
