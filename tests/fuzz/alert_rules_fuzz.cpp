// Feeds arbitrary bytes to the rule file parser, and every rule that parses through the
// evaluator and its templates over series of each type built from the same bytes: a rule
// file must load or throw ConfigError, and evaluation must never crash whatever the family's
// type, buckets or values (NaN, Inf, counters going backwards).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "daemon/alerting/alerting_config.h"
#include "daemon/alerting/rule_evaluator.h"

namespace {

using namespace metricsd;
using namespace metricsd::alerting;

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

SelectedFamily FamilyFrom(Bytes& bytes) {
  SelectedFamily family;
  family.type = static_cast<MetricType>(bytes.Byte() % 5);
  int series = bytes.Byte() % 4;
  for (int i = 0; i < series; ++i) {
    SelectedSeries s;
    s.labels["zone"] = std::string(1, static_cast<char>('a' + bytes.Byte() % 3));
    s.value = bytes.Double();
    int buckets = bytes.Byte() % 4;
    for (int b = 0; b < buckets; ++b) {
      s.bounds.push_back(bytes.Double());
      s.buckets.push_back(bytes.Double());
    }
    s.buckets.push_back(bytes.Double());
    s.quantiles.push_back({bytes.Double(), bytes.Double()});
    s.sum = bytes.Double();
    s.count = bytes.Double();
    family.series.push_back(std::move(s));
  }
  return family;
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
      RuleState state;
      for (int step = 0; step < 4; ++step) {
        Selection selection;
        selection[rule.metric] = FamilyFrom(bytes);
        if (!rule.divide_by.empty()) selection[rule.divide_by] = FamilyFrom(bytes);
        EvaluateRule(rule, selection, 1000.0 + step * (1 + bytes.Byte() % 60), external, state);
        TakeAlertsToSend(state, 1000.0 + step, 60, 1);
      }
      (void)rule.Expression();
    }
  }
  return 0;
}
