// Prometheus 2.42's promql/parser/printer.go (String()) and prettier.go (Pretty()).
#include "daemon/query/promql/printer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "daemon/query/promql/function_table.h"
#include "daemon/query/promql/lexer.h"
#include "daemon/query/promql/parser.h"
#include "daemon/storage/label_matcher.h"

namespace metricsd::query::promql {
namespace {

constexpr size_t kDefaultLineWidth = 100;

// Go's fmt.Sprint(float64) (NumberLiteral.String()): the shortest digits that round-trip, in
// %e form when the decimal exponent is < -4 or >= 6 (strconv's 'g' with precision -1), and
// "+Inf", "-Inf", "NaN".
std::string FormatGoFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  // Shortest round-trip digits in scientific form: [-]d[.ddd]e[+-]xx.
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  (void)ec;
  std::string_view sci(buf, static_cast<size_t>(end - buf));
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  const int exp = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const int nd = static_cast<int>(digits.size());
  if (exp < -4 || exp >= 6) {
    out += digits[0];
    if (nd > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    const int abs_exp = exp < 0 ? -exp : exp;
    if (abs_exp < 10) out += '0';
    out += std::to_string(abs_exp);
    return out;
  }
  const int dp = exp + 1;  // digits before the decimal point
  if (dp <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-dp), '0');
    out += digits;
  } else if (dp >= nd) {
    out += digits;
    out.append(static_cast<size_t>(dp - nd), '0');
  } else {
    out.append(digits, 0, static_cast<size_t>(dp));
    out += '.';
    out.append(digits, static_cast<size_t>(dp), std::string::npos);
  }
  return out;
}

std::string OffsetSuffix(std::int64_t offset_ms) {
  if (offset_ms > 0) return " offset " + FormatDuration(offset_ms);
  if (offset_ms < 0) return " offset -" + FormatDuration(-offset_ms);
  return "";
}

std::string AtSuffix(const AtModifier& at) {
  switch (at.kind) {
    case AtModifier::Kind::kTimestamp: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), " @ %.3f", static_cast<double>(at.t) / 1000.0);
      return buf;
    }
    case AtModifier::Kind::kStart: return " @ start()";
    case AtModifier::Kind::kEnd: return " @ end()";
    case AtModifier::Kind::kNone: break;
  }
  return "";
}

std::string JoinLabels(const std::vector<std::string>& labels) {
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i];
  }
  return out;
}

// labels.Matcher.String(): name, operator, value as %q.
std::string MatcherString(const storage::LabelMatcher& m) {
  static constexpr std::string_view kOps[] = {"=", "!=", "=~", "!~"};
  std::string out = m.name();
  out += kOps[static_cast<int>(m.type())];
  out += GoQuote(m.value());
  return out;
}

// The selector without its offset and @ (MatrixSelector prints those after the range).
std::string SelectorBody(const VectorSelector& vs) {
  std::vector<std::string> parts;
  for (const storage::LabelMatcher& m : vs.matchers) {
    if (m.name() == kMetricName && m.type() == storage::MatchType::kEqual &&
        m.value() == vs.name) {
      continue;
    }
    parts.push_back(MatcherString(m));
  }
  if (parts.empty()) return vs.name;
  std::sort(parts.begin(), parts.end());
  std::string out = vs.name + "{";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ',';
    out += parts[i];
  }
  out += '}';
  return out;
}

std::string AggregateOpString(const AggregateExpr& e) {
  std::string out(AggregateOpName(e.op));
  if (e.without) {
    out += " without (" + JoinLabels(e.grouping) + ") ";
  } else if (!e.grouping.empty()) {
    out += " by (" + JoinLabels(e.grouping) + ") ";
  }
  return out;
}

std::string MatchingString(const BinaryExpr& e) {
  if (!e.matching) return "";
  const VectorMatching& vm = *e.matching;
  if (vm.labels.empty() && !vm.on) return "";
  std::string out = vm.on ? " on (" : " ignoring (";
  out += JoinLabels(vm.labels) + ")";
  if (vm.card == VectorMatching::Card::kManyToOne || vm.card == VectorMatching::Card::kOneToMany) {
    out += vm.card == VectorMatching::Card::kManyToOne ? " group_left (" : " group_right (";
    out += JoinLabels(vm.include) + ")";
  }
  return out;
}

std::string SubqueryTimeSuffix(const SubqueryExpr& e) {
  std::string out = "[" + FormatDuration(e.range_ms) + ":";
  if (e.step_ms != 0) out += FormatDuration(e.step_ms);
  out += "]";
  out += AtSuffix(e.at);
  out += OffsetSuffix(e.offset_ms);
  return out;
}

struct StringPrinter {
  std::string operator()(const NumberLiteral& e) const { return FormatGoFloat(e.value); }
  std::string operator()(const StringLiteral& e) const { return GoQuote(e.value); }
  std::string operator()(const VectorSelector& e) const {
    return SelectorBody(e) + AtSuffix(e.at) + OffsetSuffix(e.offset_ms);
  }
  std::string operator()(const MatrixSelector& e) const {
    const auto& vs = *e.selector->As<VectorSelector>();
    return SelectorBody(vs) + "[" + FormatDuration(e.range_ms) + "]" + AtSuffix(vs.at) +
           OffsetSuffix(vs.offset_ms);
  }
  std::string operator()(const SubqueryExpr& e) const {
    return ExprToString(*e.expr) + SubqueryTimeSuffix(e);
  }
  std::string operator()(const ParenExpr& e) const { return "(" + ExprToString(*e.expr) + ")"; }
  std::string operator()(const UnaryExpr& e) const {
    return (e.negate ? "-" : "+") + ExprToString(*e.expr);
  }
  std::string operator()(const BinaryExpr& e) const {
    std::string out = ExprToString(*e.lhs);
    out += ' ';
    out += BinaryOpName(e.op);
    if (e.return_bool) out += " bool";
    out += MatchingString(e);
    out += ' ';
    out += ExprToString(*e.rhs);
    return out;
  }
  std::string operator()(const Call& e) const {
    std::string out(e.func->name);
    out += '(';
    for (size_t i = 0; i < e.args.size(); ++i) {
      if (i > 0) out += ", ";
      out += ExprToString(*e.args[i]);
    }
    out += ')';
    return out;
  }
  std::string operator()(const AggregateExpr& e) const {
    std::string out = AggregateOpString(e) + "(";
    if (e.param) out += ExprToString(*e.param) + ", ";
    out += ExprToString(*e.expr) + ")";
    return out;
  }
  std::string operator()(const StepInvariantExpr& e) const { return ExprToString(*e.expr); }
};

std::string Indent(int level) { return std::string(static_cast<size_t>(level) * 2, ' '); }

std::string Pretty(const Expr& expr, int level, size_t width);

struct PrettyPrinter {
  const Expr& self;
  int level;
  size_t width;

  // prettier.go's needsSplit: the one-line form is longer than 100 bytes.
  bool NeedsSplit(std::string* one_line) const {
    *one_line = ExprToString(self);
    return one_line->size() > width;
  }
  std::string Leaf() const { return Indent(level) + ExprToString(self); }

  std::string operator()(const NumberLiteral&) const { return Leaf(); }
  std::string operator()(const StringLiteral&) const { return Leaf(); }
  std::string operator()(const VectorSelector&) const { return Leaf(); }
  std::string operator()(const MatrixSelector&) const { return Leaf(); }
  std::string operator()(const StepInvariantExpr& e) const { return Pretty(*e.expr, level, width); }
  std::string operator()(const SubqueryExpr& e) const {
    std::string line;
    // As prettier.go: an unsplit subquery is not indented.
    if (!NeedsSplit(&line)) return line;
    return Pretty(*e.expr, level, width) + SubqueryTimeSuffix(e);
  }
  std::string operator()(const ParenExpr& e) const {
    std::string line;
    if (!NeedsSplit(&line)) return Indent(level) + line;
    return Indent(level) + "(\n" + Pretty(*e.expr, level + 1, width) + "\n" + Indent(level) + ")";
  }
  std::string operator()(const UnaryExpr& e) const {
    std::string child = Pretty(*e.expr, level, width);
    const size_t first = child.find_first_not_of(" \t\n\r");
    const size_t last = child.find_last_not_of(" \t\n\r");
    child = first == std::string::npos ? "" : child.substr(first, last - first + 1);
    return Indent(level) + (e.negate ? "-" : "+") + child;
  }
  std::string operator()(const BinaryExpr& e) const {
    std::string line;
    if (!NeedsSplit(&line)) return Indent(level) + line;
    std::string out = Pretty(*e.lhs, level + 1, width) + "\n" + Indent(level);
    out += BinaryOpName(e.op);
    if (e.return_bool) out += " bool";
    out += MatchingString(e);
    out += "\n" + Pretty(*e.rhs, level + 1, width);
    return out;
  }
  std::string operator()(const Call& e) const {
    std::string line;
    if (!NeedsSplit(&line)) return Indent(level) + line;
    std::string out = Indent(level) + std::string(e.func->name) + "(\n";
    for (size_t i = 0; i < e.args.size(); ++i) {
      if (i > 0) out += ",\n";
      out += Pretty(*e.args[i], level + 1, width);
    }
    out += "\n" + Indent(level) + ")";
    return out;
  }
  std::string operator()(const AggregateExpr& e) const {
    std::string line;
    if (!NeedsSplit(&line)) return Indent(level) + line;
    std::string out = Indent(level) + AggregateOpString(e) + "(\n";
    if (e.param) out += Pretty(*e.param, level + 1, width) + ",\n";
    out += Pretty(*e.expr, level + 1, width) + "\n" + Indent(level) + ")";
    return out;
  }
};

std::string Pretty(const Expr& expr, int level, size_t width) {
  return std::visit(PrettyPrinter{expr, level, width}, expr.node);
}

}  // namespace

std::string ExprToString(const Expr& expr) { return std::visit(StringPrinter{}, expr.node); }

std::string PrettyExpr(const Expr& expr) { return Pretty(expr, 0, kDefaultLineWidth); }

std::string PrettyExpr(const Expr& expr, size_t max_line_width) {
  return Pretty(expr, 0, max_line_width);
}

}  // namespace metricsd::query::promql
