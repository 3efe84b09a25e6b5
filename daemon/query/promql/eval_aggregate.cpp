// Aggregations (2.42's evaluator.aggregation) with its exact floating-point algorithms: sum in
// input order, avg as an incremental mean with its infinity handling, stddev/stdvar by Welford's
// method, topk/bottomk on Go's container/heap, quantile as in quantile.go. Group keys are
// hashed once per input series; group label sets are computed once per group.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <cmath>
#include <string>

#include "daemon/query/promql/evaluator.h"
#include "daemon/query/promql/functions.h"
#include "daemon/query/promql/functions_internal.h"
#include "daemon/storage/label_matcher.h"

namespace metricsd::query::promql {

namespace {

struct HeapEntry {
  double v;
  std::uint32_t series;
};

// Go's container/heap over a slice with the Less of 2.42's vectorByValueHeap (topk: NaN or
// smaller on top) or vectorByReverseValueHeap (bottomk: NaN or larger on top).
class GoHeap {
 public:
  explicit GoHeap(bool reverse) : reverse_(reverse) {}
  std::vector<HeapEntry>& items() { return items_; }
  bool Less(std::size_t i, std::size_t j) const {
    if (std::isnan(items_[i].v)) return true;
    return reverse_ ? items_[i].v > items_[j].v : items_[i].v < items_[j].v;
  }
  void Push(HeapEntry e) {
    items_.push_back(e);
    Up(items_.size() - 1);
  }
  void Pop() {
    const std::size_t n = items_.size() - 1;
    std::swap(items_[0], items_[n]);
    Down(0, n);
    items_.pop_back();
  }
  // sort.Sort(sort.Reverse(heap)) with Go's own algorithm, so ties and NaN end in 2.42's order.
  void SortReversed() {
    struct Reversed : functions_internal::GoSortable {
      explicit Reversed(GoHeap& h) : heap(h) {}
      bool Less(std::int64_t i, std::int64_t j) const override {
        return heap.Less(static_cast<std::size_t>(j), static_cast<std::size_t>(i));
      }
      void Swap(std::int64_t i, std::int64_t j) override {
        std::swap(heap.items_[static_cast<std::size_t>(i)], heap.items_[static_cast<std::size_t>(j)]);
      }
      GoHeap& heap;
    };
    Reversed reversed(*this);
    functions_internal::GoSort(reversed, std::ssize(items_));
  }

 private:
  void Up(std::size_t j) {
    while (j > 0) {
      const std::size_t i = (j - 1) / 2;
      if (!Less(j, i)) break;
      std::swap(items_[i], items_[j]);
      j = i;
    }
  }
  void Down(std::size_t i, std::size_t n) {
    for (;;) {
      const std::size_t j1 = 2 * i + 1;
      if (j1 >= n) break;
      std::size_t j = j1;
      if (j1 + 1 < n && Less(j1 + 1, j1)) j = j1 + 1;
      if (!Less(j, i)) break;
      std::swap(items_[i], items_[j]);
      i = j;
    }
  }
  bool reverse_;
  std::vector<HeapEntry> items_;
};

struct Group {
  std::uint32_t first_series = 0;
  double value = 0;
  double mean = 0;
  std::int64_t count = 0;
  std::uint32_t out_id = 0;
  GoHeap heap{false};
  std::vector<double> values;  // quantile
};

// Go's strconv.FormatFloat(v, 'f', -1, 64).
std::string FormatFloatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, end);
}

// Go's %v of a float64 (strconv 'g', shortest): %e style for exponents < -4 or >= 6.
std::string FormatFloatV(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, end);
  const std::size_t e = sci.find('e');
  const int exponent = std::stoi(sci.substr(e + 1));
  if (exponent < -4 || exponent >= 6) {
    // Go writes at least two exponent digits: 1e+19, 1e-05.
    std::string mantissa = sci.substr(0, e);
    std::string digits = std::to_string(std::abs(exponent));
    if (digits.size() < 2) digits = "0" + digits;
    return mantissa + "e" + (exponent < 0 ? "-" : "+") + digits;
  }
  auto [fend, fec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, fend);
}

bool ValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// 2.42's convertibleToInt64: its maxInt64 is the largest double below 2^63.
bool ConvertibleToInt64(double v) {
  return v <= 9223372036854774784.0 && v >= -9223372036854775808.0;
}

Labels GroupLabels(const Labels& metric, const std::vector<std::string>& grouping, bool without) {
  Labels out;
  for (const Label& label : metric) {
    const bool listed = std::binary_search(grouping.begin(), grouping.end(), label.name);
    if (without ? (listed || label.name == kMetricName) : !listed) continue;
    out.push_back(label);
  }
  return out;
}



// The simple aggregations of a range query computed series by series instead of step by step:
// each step still sees the series in input order (so sums round exactly as 2.42's), but each
// series' points are read once, in memory order. nullopt when the state would be too large.
std::optional<Matrix> AggregateBySeries(AggregateOp op, const Matrix& input,
                                        const std::vector<std::uint64_t>& keys,
                                        const std::vector<std::string>& grouping, bool without,
                                        Timestamp start, std::int64_t interval, int steps) {
  switch (op) {
    case AggregateOp::kSum: case AggregateOp::kAvg: case AggregateOp::kCount:
    case AggregateOp::kMin: case AggregateOp::kMax: case AggregateOp::kGroup:
    case AggregateOp::kStddev: case AggregateOp::kStdvar:
      break;
    default:
      return std::nullopt;
  }
  absl::flat_hash_map<std::uint64_t, std::uint32_t> group_of;
  std::vector<std::uint32_t> series_group(input.size());
  std::vector<std::uint32_t> first_series;
  for (std::size_t i = 0; i < input.size(); ++i) {
    auto [it, fresh] = group_of.try_emplace(keys[i], static_cast<std::uint32_t>(first_series.size()));
    if (fresh) first_series.push_back(static_cast<std::uint32_t>(i));
    series_group[i] = it->second;
  }
  const std::size_t cells = first_series.size() * static_cast<std::size_t>(steps);
  if (cells > (std::size_t{1} << 21)) return std::nullopt;
  std::vector<double> value(cells, 0);
  std::vector<double> mean(op == AggregateOp::kAvg || op == AggregateOp::kStddev ||
                                   op == AggregateOp::kStdvar
                               ? cells
                               : 0);
  std::vector<std::int64_t> count(cells, 0);
  for (std::size_t i = 0; i < input.size(); ++i) {
    const std::size_t base = series_group[i] * static_cast<std::size_t>(steps);
    for (const Point& p : input[i].points) {
      const std::size_t c = base + static_cast<std::size_t>((p.t - start) / interval);
      const double v = p.v;
      if (count[c] == 0) {
        count[c] = 1;
        value[c] = op == AggregateOp::kGroup ? 1 : (op == AggregateOp::kStddev ||
                                                    op == AggregateOp::kStdvar)
                                                       ? 0
                                                       : v;
        if (!mean.empty()) mean[c] = v;
        continue;
      }
      switch (op) {
        case AggregateOp::kSum:
          value[c] += v;
          break;
        case AggregateOp::kAvg: {
          const double n = static_cast<double>(++count[c]);
          double& m = mean[c];
          if (std::isinf(m)) {
            if (std::isinf(v) && (m > 0) == (v > 0)) break;
            if (!std::isinf(v) && !std::isnan(v)) break;
          }
          m += v / n - m / n;
          break;
        }
        case AggregateOp::kMax:
          if (value[c] < v || std::isnan(value[c])) value[c] = v;
          break;
        case AggregateOp::kMin:
          if (value[c] > v || std::isnan(value[c])) value[c] = v;
          break;
        case AggregateOp::kCount:
          ++count[c];
          break;
        case AggregateOp::kStddev:
        case AggregateOp::kStdvar: {
          const double n = static_cast<double>(++count[c]);
          const double delta = v - mean[c];
          mean[c] += delta / n;
          value[c] += delta * (v - mean[c]);
          break;
        }
        default:
          break;
      }
    }
  }
  Matrix out;
  out.reserve(first_series.size());
  for (std::size_t g = 0; g < first_series.size(); ++g) {
    Series series;
    if (without || !grouping.empty()) {
      series.labels = GroupLabels(input[first_series[g]].labels, grouping, without);
    }
    const std::size_t base = g * static_cast<std::size_t>(steps);
    for (int k = 0; k < steps; ++k) {
      const std::size_t c = base + static_cast<std::size_t>(k);
      if (count[c] == 0) continue;
      const double n = static_cast<double>(count[c]);
      double v = value[c];
      switch (op) {
        case AggregateOp::kAvg: v = mean[c]; break;
        case AggregateOp::kCount: v = n; break;
        case AggregateOp::kStdvar: v = value[c] / n; break;
        case AggregateOp::kStddev: v = std::sqrt(value[c] / n); break;
        default: break;
      }
      series.points.push_back(Point{start + k * interval, v});
    }
    if (!series.points.empty()) out.push_back(std::move(series));
  }
  return out;
}

}  // namespace

Matrix Evaluator::EvalAggregate(const AggregateExpr& agg) {
  const std::int64_t before = state_.current_samples;
  std::vector<std::string> grouping = agg.grouping;
  std::sort(grouping.begin(), grouping.end());
  const AggregateOp op = agg.op;
  const bool without = agg.without;

  std::string value_label;
  Matrix param;
  if (agg.param) {
    if (const auto* s = UnwrapArgument(*agg.param).As<StringLiteral>()) {
      value_label = s->value;
    } else {
      param = Eval(*agg.param);
    }
  }
  Matrix input = Eval(*agg.expr);

  const bool count_values = op == AggregateOp::kCountValues;
  std::vector<std::string> cv_grouping = grouping;
  if (count_values) {
    if (num_steps() > 0 && !ValidLabelName(value_label)) {
      throw QueryError(ErrorType::kExecution,
                       "invalid label name " + storage::GoQuote(value_label));
    }
    if (!without) {
      cv_grouping.push_back(value_label);
      std::sort(cv_grouping.begin(), cv_grouping.end());
    }
  }

  std::vector<std::uint64_t> keys(input.size(), 0);
  if (without || !grouping.empty()) {
    for (std::size_t i = 0; i < input.size(); ++i) {
      keys[i] = HashFor(input[i].labels, grouping, without);
    }
  }
  if (start_ != end_) {
    std::optional<Matrix> by_series =
        AggregateBySeries(op, input, keys, grouping, without, start_, interval_, num_steps());
    if (by_series) {
      state_.current_samples = before;
      state_.AddSamples(TotalPoints(*by_series));
      return std::move(*by_series);
    }
  }

  SeriesCollector collector;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> group_ids;  // key -> output series
  std::vector<std::uint32_t> series_ids(input.size(), ~std::uint32_t{0});  // topk/bottomk
  absl::flat_hash_map<std::uint64_t, std::uint32_t> slot_of;  // key -> group this step
  std::vector<Group> groups;
  std::vector<std::uint64_t> cv_keys;
  std::vector<Labels> cv_labels;

  std::vector<Matrix*> inputs{&input, agg.param && value_label.empty() ? &param : nullptr};
  ForEachStep(inputs, [&](Timestamp ts, std::vector<StepVector>& in) {
    collector.BeginStep(ts);
    const StepVector& vec = in[0];
    const double p = in[1].empty() ? 0.0 : in[1][0].v;
    std::int64_t k = 0;
    if (op == AggregateOp::kTopk || op == AggregateOp::kBottomk) {
      if (!ConvertibleToInt64(p)) {
        throw QueryError(ErrorType::kExecution,
                         "Scalar value " + FormatFloatV(p) + " overflows int64");
      }
      k = static_cast<std::int64_t>(p);
      if (k < 1) return;
    }
    // count_values: the value becomes a label, so keys and labels are per step.
    if (count_values) {
      cv_keys.resize(vec.size());
      cv_labels.resize(vec.size());
      for (std::size_t i = 0; i < vec.size(); ++i) {
        cv_labels[i] = input[vec[i].series].labels;
        SetLabel(cv_labels[i], value_label, FormatFloatF(vec[i].v));
        cv_keys[i] = HashFor(cv_labels[i], cv_grouping, without);
      }
    }
    slot_of.clear();
    std::size_t used = 0;
    for (std::size_t i = 0; i < vec.size(); ++i) {
      const StepSample& s = vec[i];
      const std::uint64_t key = count_values ? cv_keys[i] : keys[s.series];
      auto [slot_it, fresh] = slot_of.try_emplace(key, static_cast<std::uint32_t>(used));
      if (fresh) {
        if (used == groups.size()) groups.emplace_back();
        Group& g = groups[used++];
        g.first_series = s.series;
        g.value = s.v;
        g.mean = s.v;
        g.count = 1;
        if (count_values) {
          g.out_id = collector.Intern(GroupLabels(cv_labels[i], cv_grouping, without));
        } else if (op != AggregateOp::kTopk && op != AggregateOp::kBottomk) {
          auto [id_it, new_group] = group_ids.try_emplace(key, 0);
          if (new_group) {
            id_it->second = collector.Intern(
                without || !grouping.empty() ? GroupLabels(input[s.series].labels, grouping, without)
                                             : Labels{});
          }
          g.out_id = id_it->second;
        }
        switch (op) {
          case AggregateOp::kStdvar:
          case AggregateOp::kStddev:
            g.value = 0;
            break;
          case AggregateOp::kTopk:
          case AggregateOp::kQuantile:
            g.heap = GoHeap(false);
            g.heap.items().push_back(HeapEntry{s.v, s.series});
            break;
          case AggregateOp::kBottomk:
            g.heap = GoHeap(true);
            g.heap.items().push_back(HeapEntry{s.v, s.series});
            break;
          case AggregateOp::kGroup:
            g.value = 1;
            break;
          default:
            break;
        }
        if (op == AggregateOp::kQuantile) {
          g.values.clear();
          g.values.push_back(s.v);
        }
        continue;
      }
      Group& g = groups[slot_it->second];
      switch (op) {
        case AggregateOp::kSum:
          g.value += s.v;
          break;
        case AggregateOp::kAvg:
          ++g.count;
          if (std::isinf(g.mean)) {
            if (std::isinf(s.v) && (g.mean > 0) == (s.v > 0)) break;
            if (!std::isinf(s.v) && !std::isnan(s.v)) break;
          }
          // Each side of the '-' divided by the count to avoid overflow.
          g.mean += s.v / static_cast<double>(g.count) - g.mean / static_cast<double>(g.count);
          break;
        case AggregateOp::kGroup:
          break;
        case AggregateOp::kMax:
          if (g.value < s.v || std::isnan(g.value)) g.value = s.v;
          break;
        case AggregateOp::kMin:
          if (g.value > s.v || std::isnan(g.value)) g.value = s.v;
          break;
        case AggregateOp::kCount:
        case AggregateOp::kCountValues:
          ++g.count;
          break;
        case AggregateOp::kStdvar:
        case AggregateOp::kStddev: {
          ++g.count;
          const double delta = s.v - g.mean;
          g.mean += delta / static_cast<double>(g.count);
          g.value += delta * (s.v - g.mean);
          break;
        }
        case AggregateOp::kTopk:
        case AggregateOp::kBottomk: {
          std::vector<HeapEntry>& items = g.heap.items();
          const double top = items[0].v;
          const bool better = op == AggregateOp::kTopk ? top < s.v : top > s.v;
          if (std::ssize(items) < k || better || std::isnan(top)) {
            if (std::ssize(items) == k) {
              if (k == 1) {
                items[0] = HeapEntry{s.v, s.series};
                break;
              }
              g.heap.Pop();
            }
            g.heap.Push(HeapEntry{s.v, s.series});
          }
          break;
        }
        case AggregateOp::kQuantile:
          g.values.push_back(s.v);
          break;
      }
    }
    for (std::size_t gi = 0; gi < used; ++gi) {
      Group& g = groups[gi];
      double value = g.value;
      switch (op) {
        case AggregateOp::kAvg: value = g.mean; break;
        case AggregateOp::kCount:
        case AggregateOp::kCountValues: value = static_cast<double>(g.count); break;
        case AggregateOp::kStdvar: value = g.value / static_cast<double>(g.count); break;
        case AggregateOp::kStddev: value = std::sqrt(g.value / static_cast<double>(g.count)); break;
        case AggregateOp::kQuantile: value = Quantile(p, g.values); break;
        case AggregateOp::kTopk:
        case AggregateOp::kBottomk: {
          if (g.heap.items().size() > 1) g.heap.SortReversed();
          for (const HeapEntry& e : g.heap.items()) {
            std::uint32_t& id = series_ids[e.series];
            if (id == ~std::uint32_t{0}) id = collector.Intern(input[e.series].labels);
            collector.Add(id, e.v);
          }
          continue;
        }
        default: break;
      }
      collector.Add(g.out_id, value);
    }
  });
  state_.current_samples = before;
  state_.AddSamples(collector.points());
  return collector.Take();
}

}  // namespace metricsd::query::promql
