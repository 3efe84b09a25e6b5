// Binary operators (2.42's scalarBinop, VectorscalarBinop, VectorBinop, VectorAnd/Or/Unless):
// output label sets are computed once per (left series, right series) pair and reused at every
// step.
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "daemon/query/promql/evaluator.h"

namespace metricsd::query::promql {

namespace {

bool ShouldDropMetricName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kPow:
    case BinaryOp::kMod:
      return true;
    default:
      return false;
  }
}

// 2.42's vectorElemBinop for floats: the value and whether to keep the element (comparisons
// filter; their value is the left side's).
double ElemBinop(BinaryOp op, double lhs, double rhs, bool* keep) {
  *keep = true;
  switch (op) {
    case BinaryOp::kAdd: return lhs + rhs;
    case BinaryOp::kSub: return lhs - rhs;
    case BinaryOp::kMul: return lhs * rhs;
    case BinaryOp::kDiv: return lhs / rhs;
    case BinaryOp::kPow: return std::pow(lhs, rhs);
    case BinaryOp::kMod: return std::fmod(lhs, rhs);  // Go's math.Mod: the sign of lhs
    case BinaryOp::kAtan2: return std::atan2(lhs, rhs);
    case BinaryOp::kEql: *keep = lhs == rhs; return lhs;
    case BinaryOp::kNeq: *keep = lhs != rhs; return lhs;
    case BinaryOp::kGtr: *keep = lhs > rhs; return lhs;
    case BinaryOp::kLss: *keep = lhs < rhs; return lhs;
    case BinaryOp::kGte: *keep = lhs >= rhs; return lhs;
    case BinaryOp::kLte: *keep = lhs <= rhs; return lhs;
    default: break;
  }
  throw QueryError(ErrorType::kInternal,
                   "operator \"" + std::string(BinaryOpName(op)) + "\" not allowed here");
}

double ScalarBinop(BinaryOp op, double lhs, double rhs) {
  bool keep = true;
  const double v = ElemBinop(op, lhs, rhs, &keep);
  return IsComparison(op) ? (keep ? 1.0 : 0.0) : v;
}

// The labels the matching compares (2.42's MatchLabels), for error messages.
Labels MatchedLabels(const Labels& labels, const VectorMatching& matching) {
  Labels out;
  for (const Label& label : labels) {
    const bool listed = std::find(matching.labels.begin(), matching.labels.end(), label.name) !=
                        matching.labels.end();
    if (matching.on ? listed : (!listed && label.name != kMetricName)) out.push_back(label);
  }
  return out;
}

// 2.42's resultMetric.
Labels ResultMetric(const Labels& lhs, const Labels& rhs, const BinaryExpr& binary) {
  const VectorMatching& matching = *binary.matching;
  Labels out;
  out.reserve(lhs.size());
  const bool drop_name = ShouldDropMetricName(binary.op) || binary.return_bool;
  for (const Label& label : lhs) {
    if (drop_name && label.name == kMetricName) continue;
    if (matching.card == VectorMatching::Card::kOneToOne) {
      const bool listed =
          std::find(matching.labels.begin(), matching.labels.end(), label.name) !=
          matching.labels.end();
      if (matching.on != listed) continue;
    }
    out.push_back(label);
  }
  for (const std::string& name : matching.include) {
    const std::string* value = GetLabel(rhs, name);
    SetLabel(out, name, value != nullptr ? std::string_view(*value) : std::string_view());
  }
  if (binary.return_bool) out = DropMetricName(std::move(out));
  return out;
}

std::vector<std::uint64_t> Signatures(const Matrix& matrix, const VectorMatching& matching) {
  std::vector<std::string> names = matching.labels;
  std::sort(names.begin(), names.end());
  std::vector<std::uint64_t> out;
  out.reserve(matrix.size());
  for (const Series& series : matrix) out.push_back(HashFor(series.labels, names, !matching.on));
  return out;
}

// Interns an output series per input series index, lazily.
class PerSeriesIds {
 public:
  explicit PerSeriesIds(std::size_t n) : ids_(n, kNone) {}
  template <typename MakeLabels>
  std::uint32_t Get(std::uint32_t series, SeriesCollector& collector, MakeLabels&& make) {
    std::uint32_t& id = ids_[series];
    if (id == kNone) id = collector.Intern(make());
    return id;
  }

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::vector<std::uint32_t> ids_;
};

}  // namespace

Matrix Evaluator::EvalBinary(const BinaryExpr& binary) {
  const ValueType lt = binary.lhs->Type();
  const ValueType rt = binary.rhs->Type();
  if (lt == ValueType::kScalar && rt == ValueType::kScalar) return EvalScalarScalar(binary);
  if (lt == ValueType::kVector && rt == ValueType::kVector) return EvalVectorVector(binary);
  if (lt == ValueType::kVector && rt == ValueType::kScalar) return EvalVectorScalar(binary, false);
  if (lt == ValueType::kScalar && rt == ValueType::kVector) return EvalVectorScalar(binary, true);
  throw QueryError(ErrorType::kInternal, "binary operator on unexpected operand types");
}

Matrix Evaluator::EvalScalarScalar(const BinaryExpr& binary) {
  Matrix lhs = Eval(*binary.lhs);
  Matrix rhs = Eval(*binary.rhs);
  Series out;
  if (!lhs.empty() && !rhs.empty()) {
    const std::vector<Point>& l = lhs[0].points;
    const std::vector<Point>& r = rhs[0].points;
    const std::size_t n = std::min(l.size(), r.size());
    out.points.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      out.points.push_back(Point{l[i].t, ScalarBinop(binary.op, l[i].v, r[i].v)});
    }
  }
  Matrix result;
  result.push_back(std::move(out));
  return result;
}

Matrix Evaluator::EvalVectorScalar(const BinaryExpr& binary, bool scalar_on_left) {
  const std::int64_t before = state_.current_samples;
  Matrix lhs = Eval(*binary.lhs);
  Matrix rhs = Eval(*binary.rhs);
  Matrix& vector = scalar_on_left ? rhs : lhs;
  Matrix& scalar = scalar_on_left ? lhs : rhs;
  std::vector<Matrix*> inputs{&vector, &scalar};
  SeriesCollector collector;
  PerSeriesIds ids(vector.size());
  const bool drop_name = ShouldDropMetricName(binary.op) || binary.return_bool;
  ForEachStep(inputs, [&](Timestamp ts, std::vector<StepVector>& in) {
    collector.BeginStep(ts);
    if (in[1].empty()) return;
    const double s = in[1][0].v;
    for (const StepSample& sample : in[0]) {
      double lv = sample.v;
      double rv = s;
      if (scalar_on_left) std::swap(lv, rv);
      bool keep = true;
      double value = ElemBinop(binary.op, lv, rv, &keep);
      // A comparison keeps the vector element's value even when the scalar is on the left.
      if (IsComparison(binary.op) && scalar_on_left) value = rv;
      if (binary.return_bool) {
        value = keep ? 1.0 : 0.0;
        keep = true;
      }
      if (!keep) continue;
      const std::uint32_t id = ids.Get(sample.series, collector, [&] {
        const Labels& labels = vector[sample.series].labels;
        return drop_name ? DropMetricName(labels) : labels;
      });
      collector.Add(id, value);
    }
  });
  state_.current_samples = before;
  state_.AddSamples(collector.points());
  Matrix out = collector.Take();
  return out;
}

Matrix Evaluator::EvalVectorVector(const BinaryExpr& binary) {
  if (!binary.matching) {
    throw QueryError(ErrorType::kInternal, "vector operation without vector matching");
  }
  const std::int64_t before = state_.current_samples;
  Matrix lhs = Eval(*binary.lhs);
  Matrix rhs = Eval(*binary.rhs);
  if (IsSetOperator(binary.op)) {
    Matrix out = EvalSetOperator(binary, lhs, rhs);
    state_.current_samples = before;
    state_.AddSamples(TotalPoints(out));
    return out;
  }
  const VectorMatching& matching = *binary.matching;
  if (matching.card == VectorMatching::Card::kManyToMany) {
    throw QueryError(ErrorType::kInternal, "many-to-many only allowed for set operators");
  }
  const bool one_to_many = matching.card == VectorMatching::Card::kOneToMany;
  // The 'many' side is treated as the left one, the 'one' side as the right one.
  Matrix& many = one_to_many ? rhs : lhs;
  Matrix& one = one_to_many ? lhs : rhs;
  const std::vector<std::uint64_t> many_sigs = Signatures(many, matching);
  const std::vector<std::uint64_t> one_sigs = Signatures(one, matching);

  std::vector<Matrix*> inputs{&many, &one};
  SeriesCollector collector;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> result_ids;  // (many, one) pair -> id
  absl::flat_hash_map<std::uint64_t, const StepSample*> one_by_sig;
  absl::flat_hash_map<std::uint64_t, absl::flat_hash_set<std::uint32_t>> matched;
  ForEachStep(inputs, [&](Timestamp ts, std::vector<StepVector>& in) {
    collector.BeginStep(ts);
    if (in[0].empty() || in[1].empty()) return;
    one_by_sig.clear();
    for (const StepSample& rs : in[1]) {
      auto [it, inserted] = one_by_sig.emplace(one_sigs[rs.series], &rs);
      if (!inserted) {
        const Labels& labels = one[rs.series].labels;
        throw QueryError(
            ErrorType::kExecution,
            "found duplicate series for the match group " +
                LabelsToString(MatchedLabels(labels, matching)) + " on the " +
                (one_to_many ? "left" : "right") + " hand-side of the operation: [" +
                LabelsToString(labels) + ", " + LabelsToString(one[it->second->series].labels) +
                "];many-to-many matching not allowed: matching labels must be unique on one "
                "side");
      }
    }
    matched.clear();
    for (const StepSample& ls : in[0]) {
      const std::uint64_t sig = many_sigs[ls.series];
      auto found = one_by_sig.find(sig);
      if (found == one_by_sig.end()) continue;
      const StepSample& rs = *found->second;
      double vl = ls.v;
      double vr = rs.v;
      if (one_to_many) std::swap(vl, vr);
      bool keep = true;
      double value = ElemBinop(binary.op, vl, vr, &keep);
      if (binary.return_bool) {
        value = keep ? 1.0 : 0.0;
      } else if (!keep) {
        continue;
      }
      const std::uint64_t pair = (std::uint64_t{ls.series} << 32) | rs.series;
      auto [id_it, fresh] = result_ids.try_emplace(pair, 0);
      if (fresh) {
        id_it->second =
            collector.Intern(ResultMetric(many[ls.series].labels, one[rs.series].labels, binary));
      }
      const std::uint32_t id = id_it->second;
      auto [sig_it, first] = matched.try_emplace(sig);
      if (matching.card == VectorMatching::Card::kOneToOne) {
        if (!first) {
          throw QueryError(ErrorType::kExecution,
                           "multiple matches for labels: many-to-one matching must be explicit "
                           "(group_left/group_right)");
        }
      } else if (!sig_it->second.insert(id).second) {
        throw QueryError(ErrorType::kExecution,
                         "multiple matches for labels: grouping labels must ensure unique "
                         "matches");
      }
      collector.Add(id, value);
    }
  });
  state_.current_samples = before;
  state_.AddSamples(collector.points());
  Matrix out = collector.Take();
  return out;
}

Matrix Evaluator::EvalSetOperator(const BinaryExpr& binary, Matrix& lhs, Matrix& rhs) {
  const VectorMatching& matching = *binary.matching;
  const std::vector<std::uint64_t> lhs_sigs = Signatures(lhs, matching);
  const std::vector<std::uint64_t> rhs_sigs = Signatures(rhs, matching);
  std::vector<Matrix*> inputs{&lhs, &rhs};
  SeriesCollector collector;
  PerSeriesIds lhs_ids(lhs.size());
  PerSeriesIds rhs_ids(rhs.size());
  absl::flat_hash_set<std::uint64_t> sigs;
  auto add_lhs = [&](const StepSample& s) {
    collector.Add(lhs_ids.Get(s.series, collector, [&] { return lhs[s.series].labels; }), s.v);
  };
  auto add_rhs = [&](const StepSample& s) {
    collector.Add(rhs_ids.Get(s.series, collector, [&] { return rhs[s.series].labels; }), s.v);
  };
  ForEachStep(inputs, [&](Timestamp ts, std::vector<StepVector>& in) {
    collector.BeginStep(ts);
    const StepVector& l = in[0];
    const StepVector& r = in[1];
    switch (binary.op) {
      case BinaryOp::kAnd:
        if (l.empty() || r.empty()) return;
        sigs.clear();
        for (const StepSample& s : r) sigs.insert(rhs_sigs[s.series]);
        for (const StepSample& s : l) {
          if (sigs.contains(lhs_sigs[s.series])) add_lhs(s);
        }
        return;
      case BinaryOp::kOr:
        sigs.clear();
        for (const StepSample& s : l) {
          sigs.insert(lhs_sigs[s.series]);
          add_lhs(s);
        }
        for (const StepSample& s : r) {
          if (!sigs.contains(rhs_sigs[s.series])) add_rhs(s);
        }
        return;
      case BinaryOp::kUnless:
        sigs.clear();
        for (const StepSample& s : r) sigs.insert(rhs_sigs[s.series]);
        for (const StepSample& s : l) {
          if (!sigs.contains(lhs_sigs[s.series])) add_lhs(s);
        }
        return;
      default:
        throw QueryError(ErrorType::kInternal, "not a set operator");
    }
  });
  return collector.Take();
}

}  // namespace metricsd::query::promql
