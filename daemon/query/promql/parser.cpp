// A hand-written recursive-descent parser with precedence climbing for Prometheus 2.42's
// grammar (promql/parser/generated_parser.y). Where the yacc grammar resolves conflicts by
// precedence, this parser encodes the same outcome directly:
//  - binary operators, loosest first: or; and, unless; comparisons; + -; * / % atan2; ^
//    (all left-associative except ^);
//  - unary + and - bind like *: `-a ^ b` is -(a ^ b), `-a * b` is (-a) * b;
//  - the postfix modifiers [range], [range:step], offset and @ bind to the closest primary.
// Syntax errors name the innermost context that has an `error` rule in the grammar
// ("in aggregation", "in grouping opts", "in label matching", "in offset", "in @",
// "in subquery selector"), as yacc's error recovery does. Parsing stops at the first error,
// which is the one Prometheus reports; type checks (checkAST) run only on a complete parse.
#include "daemon/query/promql/parser.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include <re2/re2.h>

#include "daemon/query/promql/function_table.h"
#include "daemon/query/promql/lexer.h"
#include "daemon/storage/label_matcher.h"

namespace metricsd::query::promql {
namespace {

// Deeper nesting than any real query. Prometheus has no limit (Go's stacks grow); here the
// parser, the checks, the printer, the evaluator and the tree's destructor all recurse over
// the tree, so both the parser's recursion and the tree's depth stay within this bound.
constexpr int kMaxNesting = 1000;

struct ParseFailure {};

bool IsMetricIdentifierKeyword(TokenType t) {
  // generated_parser.y's metric_identifier: keywords that may also name a metric.
  switch (t) {
    case TokenType::kBy: case TokenType::kLand: case TokenType::kLor:
    case TokenType::kLunless: case TokenType::kOffset: case TokenType::kWithout:
    case TokenType::kStart: case TokenType::kEnd:
      return true;
    default:
      return IsAggregatorToken(t);
  }
}

bool IsMaybeLabel(TokenType t) {
  // generated_parser.y's maybe_label: inside grouping options keywords are label names.
  switch (t) {
    case TokenType::kIdentifier: case TokenType::kMetricIdentifier: case TokenType::kBool:
    case TokenType::kBy: case TokenType::kGroupLeft: case TokenType::kGroupRight:
    case TokenType::kIgnoring: case TokenType::kLand: case TokenType::kLor:
    case TokenType::kLunless: case TokenType::kOffset: case TokenType::kOn:
    case TokenType::kWithout: case TokenType::kStart: case TokenType::kEnd:
    case TokenType::kAtan2:
      return true;
    default:
      return IsAggregatorToken(t);
  }
}

bool IsLabelName(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) return false;
  for (char c : s.substr(1)) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Whether `t` can begin an expression. Where the grammar may end an optional part (a group
// modifier's labels, a function's arguments), any other token is an error of that part.
bool StartsExpression(TokenType t) {
  switch (t) {
    case TokenType::kNumber: case TokenType::kString: case TokenType::kLeftParen:
    case TokenType::kLeftBrace: case TokenType::kIdentifier: case TokenType::kMetricIdentifier:
    case TokenType::kAdd: case TokenType::kSub:
      return true;
    default:
      return IsMetricIdentifierKeyword(t);
  }
}

std::optional<BinaryOp> BinaryOpFor(TokenType t) {
  switch (t) {
    case TokenType::kAdd: return BinaryOp::kAdd;
    case TokenType::kSub: return BinaryOp::kSub;
    case TokenType::kMul: return BinaryOp::kMul;
    case TokenType::kDiv: return BinaryOp::kDiv;
    case TokenType::kMod: return BinaryOp::kMod;
    case TokenType::kPow: return BinaryOp::kPow;
    case TokenType::kAtan2: return BinaryOp::kAtan2;
    case TokenType::kEqlc: return BinaryOp::kEql;
    case TokenType::kNeq: return BinaryOp::kNeq;
    case TokenType::kGtr: return BinaryOp::kGtr;
    case TokenType::kLss: return BinaryOp::kLss;
    case TokenType::kGte: return BinaryOp::kGte;
    case TokenType::kLte: return BinaryOp::kLte;
    case TokenType::kLand: return BinaryOp::kAnd;
    case TokenType::kLor: return BinaryOp::kOr;
    case TokenType::kLunless: return BinaryOp::kUnless;
    default: return std::nullopt;
  }
}

constexpr int kPowPrecedence = 6;

int Precedence(BinaryOp op) {
  switch (op) {
    case BinaryOp::kOr: return 1;
    case BinaryOp::kAnd: case BinaryOp::kUnless: return 2;
    case BinaryOp::kEql: case BinaryOp::kNeq: case BinaryOp::kGtr: case BinaryOp::kLss:
    case BinaryOp::kGte: case BinaryOp::kLte: return 3;
    case BinaryOp::kAdd: case BinaryOp::kSub: return 4;
    case BinaryOp::kMul: case BinaryOp::kDiv: case BinaryOp::kMod: case BinaryOp::kAtan2: return 5;
    case BinaryOp::kPow: return kPowPrecedence;
  }
  return 0;
}

AggregateOp AggregateOpFor(TokenType t) {
  switch (t) {
    case TokenType::kAvg: return AggregateOp::kAvg;
    case TokenType::kBottomk: return AggregateOp::kBottomk;
    case TokenType::kCount: return AggregateOp::kCount;
    case TokenType::kCountValues: return AggregateOp::kCountValues;
    case TokenType::kGroup: return AggregateOp::kGroup;
    case TokenType::kMax: return AggregateOp::kMax;
    case TokenType::kMin: return AggregateOp::kMin;
    case TokenType::kQuantile: return AggregateOp::kQuantile;
    case TokenType::kStddev: return AggregateOp::kStddev;
    case TokenType::kStdvar: return AggregateOp::kStdvar;
    case TokenType::kTopk: return AggregateOp::kTopk;
    default: return AggregateOp::kSum;
  }
}

bool AggregatorHasParam(AggregateOp op) {
  return op == AggregateOp::kTopk || op == AggregateOp::kBottomk ||
         op == AggregateOp::kCountValues || op == AggregateOp::kQuantile;
}

// The error Go's regexp package gives for the regex Prometheus compiles for a matcher
// ("^(?:" + value + ")$"): RE2 finds the same offending fragment; the code's text is Go's.
std::string GoRegexpError(const std::string& value, const std::string& fallback) {
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re("^(?:" + value + ")$", options);
  const char* code = nullptr;
  switch (re.error_code()) {
    case RE2::ErrorBadEscape: code = "invalid escape sequence"; break;
    case RE2::ErrorBadCharClass: code = "invalid character class"; break;
    case RE2::ErrorBadCharRange: code = "invalid character class range"; break;
    case RE2::ErrorMissingBracket: code = "missing closing ]"; break;
    case RE2::ErrorMissingParen: code = "missing closing )"; break;
    case RE2::ErrorUnexpectedParen: code = "unexpected )"; break;
    case RE2::ErrorTrailingBackslash: code = "trailing backslash at end of expression"; break;
    case RE2::ErrorRepeatArgument: code = "missing argument to repetition operator"; break;
    case RE2::ErrorRepeatSize: code = "invalid repeat count"; break;
    case RE2::ErrorRepeatOp: code = "invalid nested repetition operator"; break;
    case RE2::ErrorBadPerlOp: code = "invalid or unsupported Perl syntax"; break;
    case RE2::ErrorBadUTF8: code = "invalid UTF-8"; break;
    case RE2::ErrorBadNamedCapture: code = "invalid named capture"; break;
    case RE2::ErrorPatternTooLarge: code = "expression too large"; break;
    default: return fallback;
  }
  return std::string("error parsing regexp: ") + code + ": `" + re.error_arg() + "`";
}

template <typename T>
ExprPtr MakeExpr(T node, PositionRange pos) {
  auto expr = std::make_unique<Expr>();
  expr->node = std::move(node);
  expr->pos = pos;
  return expr;
}

// Go's fmt "%f" (six decimals; +Inf, -Inf, NaN spelled as Go does).
std::string GoFormatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  std::snprintf(buf, sizeof(buf), "%f", v);
  return buf;
}

// strconv.ParseInt(text, 0, 64) then strconv.ParseFloat(text, 64), as parser.number() does.
// Returns the value, or nullopt with `error` set to Go's error text.
std::optional<double> ParseGoNumber(std::string_view text, std::string* error) {
  auto syntax_error = [&](std::string_view reason) {
    *error = "strconv.ParseFloat: parsing " + GoQuote(text) + ": " + std::string(reason);
    return std::nullopt;
  };
  if (text.empty()) return syntax_error("invalid syntax");
  std::string_view body = text;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  auto lower_equals = [](std::string_view s, std::string_view lower) {
    if (s.size() != lower.size()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
      char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
      if (c != lower[i]) return false;
    }
    return true;
  };
  if (lower_equals(body, "inf") || lower_equals(body, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (lower_equals(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  // Base-prefixed integers: 0x hex, a leading 0 octal (ParseInt's base 0).
  auto parse_uint = [](std::string_view digits, unsigned base, double* out) {
    if (digits.empty()) return false;
    unsigned long long v = 0;
    for (char c : digits) {
      unsigned d;
      if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
      else return false;
      if (d >= base) return false;
      if (v > (std::numeric_limits<unsigned long long>::max() - d) / base) return false;
      v = v * base + d;
    }
    // ParseInt's range is int64's.
    if (v > static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max())) return false;
    *out = static_cast<double>(v);
    return true;
  };
  double value = 0;
  if (body.size() >= 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    // ParseFloat accepts hex only with a 'p' exponent, which the lexer never lets through.
    if (parse_uint(body.substr(2), 16, &value)) return negative ? -value : value;
    return syntax_error("invalid syntax");
  }
  if (body.size() >= 2 && body[0] == '0' && parse_uint(body.substr(1), 8, &value)) {
    return negative ? -value : value;
  }
  // Decimal: the grammar strtod accepts is wider than Go's, so check the characters first.
  bool digits = false;
  size_t i = 0;
  while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, digits = true;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, digits = true;
  }
  if (digits && i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    bool exp_digits = false;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, exp_digits = true;
    if (!exp_digits) digits = false;
  }
  if (!digits || i != body.size()) return syntax_error("invalid syntax");
  const std::string copy(text);
  errno = 0;
  char* end = nullptr;
  value = std::strtod(copy.c_str(), &end);
  if (errno == ERANGE && std::isinf(value)) return syntax_error("value out of range");
  return value;
}

// strutil.Unquote for a STRING token the lexer accepted ("..", '..' with Go escapes, `..`).
std::optional<std::string> Unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != s.back()) return std::nullopt;
  const char quote = s.front();
  s = s.substr(1, s.size() - 2);
  if (quote == '`') {
    if (s.find('`') != std::string_view::npos) return std::nullopt;
    return std::string(s);
  }
  if (s.find('\n') != std::string_view::npos) return std::nullopt;
  if (s.find('\\') == std::string_view::npos && s.find(quote) == std::string_view::npos) {
    return std::string(s);
  }
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };

  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == quote) return std::nullopt;
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return std::nullopt;
    const char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a': out += '\a'; continue;
      case 'b': out += '\b'; continue;
      case 'f': out += '\f'; continue;
      case 'n': out += '\n'; continue;
      case 'r': out += '\r'; continue;
      case 't': out += '\t'; continue;
      case 'v': out += '\v'; continue;
      case '\\': out += '\\'; continue;
      case '\'': case '"':
        if (e != quote) return std::nullopt;
        out += e;
        continue;
      default: break;
    }
    if (e >= '0' && e <= '7') {
      if (i + 2 > s.size()) return std::nullopt;
      std::uint32_t v = static_cast<std::uint32_t>(e - '0');
      for (int k = 0; k < 2; ++k) {
        const char d = s[i++];
        if (d < '0' || d > '7') return std::nullopt;
        v = v * 8 + static_cast<std::uint32_t>(d - '0');
      }
      if (v > 255) return std::nullopt;
      out += static_cast<char>(v);
      continue;
    }
    const int n = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
    if (n == 0 || i + static_cast<size_t>(n) > s.size()) return std::nullopt;
    std::uint32_t v = 0;
    for (int k = 0; k < n; ++k) {
      const int d = hex(s[i++]);
      if (d < 0) return std::nullopt;
      v = v * 16 + static_cast<std::uint32_t>(d);
    }
    if (e == 'x') {
      out += static_cast<char>(v);
    } else {
      if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return std::nullopt;
      AppendUtf8(out, v);
    }
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), lexer_(input) {}

  ExprPtr ParseQuery() {
    if (Peek().type == TokenType::kEof) Fail({0, 0}, "no expression found in input");
    ExprPtr expr = ParseExpr(0);
    if (Peek().type != TokenType::kEof) Unexpected("", "");
    return expr;
  }

  VectorSelector ParseSelectorOnly() {
    const Token& t = Peek();
    if (t.type != TokenType::kLeftBrace && t.type != TokenType::kIdentifier &&
        t.type != TokenType::kMetricIdentifier && !IsMetricIdentifierKeyword(t.type)) {
      Unexpected("", "");
    }
    std::optional<Token> name;
    if (t.type != TokenType::kLeftBrace) name = Consume();
    ExprPtr selector = ParseVectorSelector(name);
    if (Peek().type != TokenType::kEof) Unexpected("", "");
    return std::move(*selector->As<VectorSelector>());
  }

  const ParseError& error() const { return error_; }

  [[noreturn]] void Fail(PositionRange pos, std::string message) {
    error_.pos = pos;
    error_.message = std::move(message);
    throw ParseFailure{};
  }

 private:
  // ---- Tokens ----

  const Token& Peek() {
    if (!has_peeked_) {
      do {
        peeked_ = lexer_.Next();
      } while (peeked_.type == TokenType::kComment);
      has_peeked_ = true;
      if (peeked_.type == TokenType::kError) {
        Fail({lexer_.error_pos(), static_cast<int>(input_.size())}, lexer_.error());
      }
    }
    return peeked_;
  }

  Token Consume() {
    Token t = Peek();
    has_peeked_ = false;
    switch (t.type) {
      case TokenType::kRightBrace: case TokenType::kRightParen: case TokenType::kRightBracket:
      case TokenType::kDuration: case TokenType::kNumber:
        last_closing_ = t.end();
        break;
      default: break;
    }
    return t;
  }

  Token Expect(TokenType type, std::string_view context, std::string_view expected) {
    if (Peek().type != type) Unexpected(context, expected);
    return Consume();
  }

  // parser.unexpected(): "unexpected <token>[ in <context>][, expected <expected>]" at the
  // current token.
  [[noreturn]] void Unexpected(std::string_view context, std::string_view expected) {
    const Token t = Peek();
    std::string msg = "unexpected " + DescribeToken(t);
    if (!context.empty()) msg.append(" in ").append(context);
    if (!expected.empty()) msg.append(", expected ").append(expected);
    Fail({t.pos, t.end()}, std::move(msg));
  }

  // An unexpected token where an expression part belongs: yacc recovers in the nearest
  // enclosing aggregation, if any.
  [[noreturn]] void UnexpectedInExpr() {
    Unexpected(aggregation_depth_ > 0 ? "aggregation" : "", "");
  }

  // ---- Expressions ----

  // Records the depth of the tree just built; every parse function leaves it in depth_.
  void SetDepth(int depth) {
    if (depth > kMaxNesting) {
      Fail({0, static_cast<int>(input_.size())}, "expression nested too deeply");
    }
    depth_ = depth;
  }

  struct NestingGuard {
    explicit NestingGuard(Parser* p) : parser(p) {
      if (++parser->nesting_ > kMaxNesting) {
        parser->Fail({0, static_cast<int>(parser->input_.size())},
                     "expression nested too deeply");
      }
    }
    ~NestingGuard() { --parser->nesting_; }
    Parser* parser;
  };

  ExprPtr ParseExpr(int min_precedence) {
    NestingGuard guard(this);
    ExprPtr lhs = ParseUnary();
    int depth = depth_;
    for (;;) {
      const std::optional<BinaryOp> op = BinaryOpFor(Peek().type);
      const int precedence = op ? Precedence(*op) : 0;
      if (!op || precedence < min_precedence) {
        depth_ = depth;
        return lhs;
      }
      Consume();
      BinaryExpr binary;
      binary.op = *op;
      ParseBinaryModifiers(&binary);
      // ^ is right-associative; everything else is left-associative.
      ExprPtr rhs = ParseExpr(*op == BinaryOp::kPow ? precedence : precedence + 1);
      SetDepth(std::max(depth, depth_) + 1);
      depth = depth_;
      const PositionRange pos{lhs->pos.start, rhs->pos.end};
      binary.lhs = std::move(lhs);
      binary.rhs = std::move(rhs);
      lhs = MakeExpr(std::move(binary), pos);
    }
  }

  void ParseBinaryModifiers(BinaryExpr* binary) {
    VectorMatching matching;
    if (Peek().type == TokenType::kBool) {
      Consume();
      binary->return_bool = true;
    }
    const TokenType t = Peek().type;
    if (t == TokenType::kOn || t == TokenType::kIgnoring) {
      Consume();
      matching.on = t == TokenType::kOn;
      matching.labels = ParseGroupingLabels();
      const TokenType g = Peek().type;
      if (g == TokenType::kGroupLeft || g == TokenType::kGroupRight) {
        Consume();
        matching.card = g == TokenType::kGroupLeft ? VectorMatching::Card::kManyToOne
                                                   : VectorMatching::Card::kOneToMany;
        // maybe_grouping_labels: "(" starts the labels; a token that cannot start the
        // right-hand side is an error of the (missing) labels.
        if (!StartsExpression(Peek().type) || Peek().type == TokenType::kLeftParen) {
          matching.include = ParseGroupingLabels();
        }
      }
    }
    binary->matching = std::move(matching);
  }

  // grouping_labels: "(" [label {"," label} [","]] ")".
  std::vector<std::string> ParseGroupingLabels() {
    Expect(TokenType::kLeftParen, "grouping opts", "\"(\"");
    std::vector<std::string> labels;
    if (Peek().type == TokenType::kRightParen) {
      Consume();
      return labels;
    }
    for (;;) {
      if (!IsMaybeLabel(Peek().type)) Unexpected("grouping opts", "label");
      if (!IsLabelName(Peek().text)) Unexpected("grouping opts", "label");
      labels.emplace_back(Consume().text);
      const TokenType t = Peek().type;
      if (t == TokenType::kComma) {
        Consume();
        if (Peek().type == TokenType::kRightParen) {
          Consume();
          return labels;
        }
        continue;
      }
      if (t == TokenType::kRightParen) {
        Consume();
        return labels;
      }
      Unexpected("grouping opts", "\",\" or \")\"");
    }
  }

  ExprPtr ParseUnary() {
    const TokenType t = Peek().type;
    if (t != TokenType::kAdd && t != TokenType::kSub) return ParsePostfix(ParsePrimary());
    const Token op = Consume();
    // unary_expr has the precedence of *: it takes in ^ but nothing looser.
    ExprPtr operand = ParseExpr(kPowPrecedence);
    const bool negate = t == TokenType::kSub;
    if (auto* number = operand->As<NumberLiteral>()) {
      if (negate) number->value = -number->value;
      operand->pos.start = op.pos;
      return operand;
    }
    SetDepth(depth_ + 1);
    const PositionRange pos{op.pos, operand->pos.end};
    return MakeExpr(UnaryExpr{negate, std::move(operand)}, pos);
  }

  ExprPtr ParsePrimary() {
    const Token t = Peek();
    switch (t.type) {
      case TokenType::kNumber: {
        Consume();
        std::string err;
        std::optional<double> v = ParseGoNumber(t.text, &err);
        if (!v) Fail({t.pos, t.end()}, "error parsing number: " + err);
        SetDepth(1);
        return MakeExpr(NumberLiteral{*v}, {t.pos, t.end()});
      }
      case TokenType::kString: {
        Consume();
        SetDepth(1);
        return MakeExpr(StringLiteral{UnquoteToken(t)}, {t.pos, t.end()});
      }
      case TokenType::kLeftParen: {
        Consume();
        ExprPtr inner = ParseExpr(0);
        if (Peek().type != TokenType::kRightParen) UnexpectedInExpr();
        const Token close = Consume();
        SetDepth(depth_ + 1);
        return MakeExpr(ParenExpr{std::move(inner)}, {t.pos, close.end()});
      }
      case TokenType::kLeftBrace:
        return ParseVectorSelector(std::nullopt);
      case TokenType::kIdentifier: {
        Consume();
        if (Peek().type == TokenType::kLeftParen) return ParseCall(t);
        return ParseVectorSelector(t);
      }
      case TokenType::kMetricIdentifier:
        Consume();
        return ParseVectorSelector(t);
      default: break;
    }
    if (IsAggregatorToken(t.type)) {
      Consume();
      const TokenType next = Peek().type;
      if (next == TokenType::kLeftParen || next == TokenType::kBy ||
          next == TokenType::kWithout) {
        return ParseAggregation(t);
      }
      // Not followed by its arguments or a grouping: a metric called "sum".
      return ParseVectorSelector(t);
    }
    if (IsMetricIdentifierKeyword(t.type)) {
      Consume();
      return ParseVectorSelector(t);
    }
    UnexpectedInExpr();
  }

  std::string UnquoteToken(const Token& t) {
    std::optional<std::string> s = Unquote(t.text);
    if (!s) {
      Fail({t.pos, t.end()},
           "error unquoting string " + GoQuote(t.text) + ": invalid syntax");
    }
    return std::move(*s);
  }

  // function_call_body: "(" [expr {"," expr}] ")"; a trailing comma is an error.
  std::vector<ExprPtr> ParseCallBody() {
    if (Peek().type != TokenType::kLeftParen) UnexpectedInExpr();
    Consume();
    std::vector<ExprPtr> args;
    int depth = 0;
    if (Peek().type == TokenType::kRightParen) {
      Consume();
      depth_ = depth;
      return args;
    }
    for (;;) {
      args.push_back(ParseExpr(0));
      depth = std::max(depth, depth_);
      const TokenType t = Peek().type;
      if (t == TokenType::kComma) {
        const Token comma = Consume();
        // yacc reduces `args ","` before any token that cannot start an argument.
        if (!StartsExpression(Peek().type)) {
          Fail({comma.pos, comma.end()}, "trailing commas not allowed in function call args");
        }
        continue;
      }
      if (t == TokenType::kRightParen) {
        Consume();
        depth_ = depth;
        return args;
      }
      UnexpectedInExpr();
    }
  }

  ExprPtr ParseCall(const Token& name) {
    std::vector<ExprPtr> args = ParseCallBody();
    SetDepth(depth_ + 1);
    const FunctionSignature* fn = FindFunction(name.text);
    if (fn == nullptr) {
      Fail({name.pos, name.end()},
           "unknown function with name " + GoQuote(name.text));
    }
    return MakeExpr(Call{fn, std::move(args)}, {name.pos, last_closing_});
  }

  ExprPtr ParseAggregation(const Token& op) {
    ++aggregation_depth_;
    AggregateExpr agg;
    agg.op = AggregateOpFor(op.type);
    auto parse_modifier = [&] {
      const TokenType t = Consume().type;
      agg.without = t == TokenType::kWithout;
      agg.grouping = ParseGroupingLabels();
    };
    std::vector<ExprPtr> args;
    if (Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout) {
      parse_modifier();
      args = ParseCallBody();
    } else {
      args = ParseCallBody();
      if (Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout) parse_modifier();
    }
    --aggregation_depth_;
    SetDepth(depth_ + 1);
    const PositionRange pos{op.pos, last_closing_};
    if (args.empty()) Fail(pos, "no arguments for aggregate expression provided");
    const size_t desired = AggregatorHasParam(agg.op) ? 2 : 1;
    if (args.size() != desired) {
      Fail(pos, "wrong number of arguments for aggregate expression provided, expected " +
                    std::to_string(desired) + ", got " + std::to_string(args.size()));
    }
    if (desired == 2) agg.param = std::move(args[0]);
    agg.expr = std::move(args[desired - 1]);
    return MakeExpr(std::move(agg), pos);
  }

  // vector_selector: [name] ["{" matchers "}"]; `name` was consumed already.
  ExprPtr ParseVectorSelector(const std::optional<Token>& name) {
    VectorSelector vs;
    PositionRange pos{0, 0};
    if (name) {
      vs.name = std::string(name->text);
      pos = {name->pos, name->end()};
    }
    if (Peek().type == TokenType::kLeftBrace) {
      const Token open = Consume();
      if (!name) pos.start = open.pos;
      pos.end = ParseLabelMatchers(&vs.matchers);
    }
    if (name) {
      std::string err;
      std::optional<storage::LabelMatcher> m = storage::LabelMatcher::Make(
          storage::MatchType::kEqual, std::string(kMetricName), vs.name, &err);
      vs.matchers.push_back(std::move(*m));
    }
    SetDepth(1);
    return MakeExpr(std::move(vs), pos);
  }

  // The matchers after "{", through "}"; returns the end of "}".
  int ParseLabelMatchers(storage::Matchers* matchers) {
    if (Peek().type == TokenType::kRightBrace) return Consume().end();
    for (;;) {
      if (Peek().type != TokenType::kIdentifier) {
        Unexpected("label matching", "identifier or \"}\"");
      }
      const Token label = Consume();
      storage::MatchType type;
      switch (Peek().type) {
        case TokenType::kEql: type = storage::MatchType::kEqual; break;
        case TokenType::kNeq: type = storage::MatchType::kNotEqual; break;
        case TokenType::kEqlRegex: type = storage::MatchType::kRegexMatch; break;
        case TokenType::kNeqRegex: type = storage::MatchType::kRegexNoMatch; break;
        default: Unexpected("label matching", "label matching operator");
      }
      Consume();
      if (Peek().type != TokenType::kString) Unexpected("label matching", "string");
      const Token value = Consume();
      std::string err;
      std::optional<storage::LabelMatcher> m = storage::LabelMatcher::Make(
          type, std::string(label.text), UnquoteToken(value), &err);
      if (!m) Fail({label.pos, value.end()}, GoRegexpError(UnquoteToken(value), err));
      matchers->push_back(std::move(*m));
      const TokenType t = Peek().type;
      if (t == TokenType::kComma) {
        Consume();
        if (Peek().type == TokenType::kRightBrace) return Consume().end();
        continue;
      }
      if (t == TokenType::kRightBrace) return Consume().end();
      Unexpected("label matching", "\",\" or \"}\"");
    }
  }

  // ---- Postfix modifiers: [range], [range:step], offset, @ ----

  ExprPtr ParsePostfix(ExprPtr expr) {
    for (;;) {
      switch (Peek().type) {
        case TokenType::kLeftBracket: expr = ParseRangeOrSubquery(std::move(expr)); break;
        case TokenType::kOffset: ParseOffset(expr.get()); break;
        case TokenType::kAt: ParseAt(expr.get()); break;
        default: return expr;
      }
    }
  }

  std::int64_t ParseDurationToken(const Token& t) {
    std::string err;
    std::optional<std::int64_t> ms = ParseDurationWithError(t.text, &err);
    if (!ms) Fail({t.pos, t.end()}, err);
    if (*ms == 0) Fail({t.pos, t.end()}, "duration must be greater than 0");
    return *ms;
  }

  ExprPtr ParseRangeOrSubquery(ExprPtr expr) {
    const Token open = Consume();
    if (Peek().type != TokenType::kDuration) Unexpected("subquery selector", "duration");
    const std::int64_t range = ParseDurationToken(Consume());
    if (Peek().type == TokenType::kRightBracket) {
      const Token close = Consume();
      const char* err = nullptr;
      const auto* vs = expr->As<VectorSelector>();
      if (vs == nullptr) {
        err = "ranges only allowed for vector selectors";
      } else if (vs->offset_ms != 0) {
        err = "no offset modifiers allowed before range";
      } else if (vs->at.kind == AtModifier::Kind::kTimestamp) {
        err = "no @ modifiers allowed before range";
      }
      if (err != nullptr) Fail({open.pos, close.end()}, err);
      const PositionRange pos{expr->pos.start, last_closing_};
      SetDepth(2);
      return MakeExpr(MatrixSelector{std::move(expr), range}, pos);
    }
    if (Peek().type != TokenType::kColon) Unexpected("subquery or range", "\":\" or \"]\"");
    Consume();
    std::int64_t step = 0;
    if (Peek().type == TokenType::kDuration) {
      step = ParseDurationToken(Consume());
      if (Peek().type != TokenType::kRightBracket) Unexpected("subquery selector", "\"]\"");
    } else if (Peek().type != TokenType::kRightBracket) {
      Unexpected("subquery selector", "duration or \"]\"");
    }
    const Token close = Consume();
    const PositionRange pos{expr->pos.start, close.pos + 1};
    SetDepth(depth_ + 1);
    SubqueryExpr sq;
    sq.expr = std::move(expr);
    sq.range_ms = range;
    sq.step_ms = step;
    return MakeExpr(std::move(sq), pos);
  }

  void ParseOffset(Expr* expr) {
    Consume();
    bool negative = false;
    if (Peek().type == TokenType::kSub) {
      Consume();
      negative = true;
    }
    if (Peek().type != TokenType::kDuration) Unexpected("offset", "duration");
    std::int64_t offset = ParseDurationToken(Consume());
    if (negative) offset = -offset;
    std::int64_t* target = nullptr;
    if (auto* vs = expr->As<VectorSelector>()) {
      target = &vs->offset_ms;
    } else if (auto* ms = expr->As<MatrixSelector>()) {
      target = &ms->selector->As<VectorSelector>()->offset_ms;
    } else if (auto* sq = expr->As<SubqueryExpr>()) {
      target = &sq->offset_ms;
    } else {
      Fail(expr->pos,
           "offset modifier must be preceded by an instant vector selector or range vector "
           "selector or a subquery");
    }
    if (*target != 0) Fail(expr->pos, "offset may not be set multiple times");
    *target = offset;
    expr->pos.end = last_closing_;
  }

  void ParseAt(Expr* expr) {
    Consume();
    AtModifier at;
    const Token t = Peek();
    if (t.type == TokenType::kNumber || t.type == TokenType::kAdd ||
        t.type == TokenType::kSub) {
      bool negative = false;
      if (t.type != TokenType::kNumber) {
        Consume();
        negative = t.type == TokenType::kSub;
        if (Peek().type != TokenType::kNumber) Unexpected("@", "timestamp");
      }
      const Token number = Consume();
      std::string err;
      std::optional<double> v = ParseGoNumber(number.text, &err);
      if (!v) Fail({number.pos, number.end()}, "error parsing number: " + err);
      const double ts = negative ? -*v : *v;
      if (std::isinf(ts) || std::isnan(ts) ||
          ts >= static_cast<double>(std::numeric_limits<std::int64_t>::max()) ||
          ts <= static_cast<double>(std::numeric_limits<std::int64_t>::min())) {
        Fail(expr->pos, "timestamp out of bounds for @ modifier: " + GoFormatF(ts));
      }
      at.kind = AtModifier::Kind::kTimestamp;
      // timestamp.FromFloatSeconds: int64(math.Round(ts * 1000)). Past int64's range Go's
      // conversion gives math.MinInt64 (amd64), which Prometheus then prints and uses.
      const double ms = std::round(ts * 1000);
      constexpr double kTwoTo63 = 9223372036854775808.0;
      at.t = ms >= -kTwoTo63 && ms < kTwoTo63 ? static_cast<std::int64_t>(ms)
                                               : std::numeric_limits<std::int64_t>::min();
    } else if (t.type == TokenType::kStart || t.type == TokenType::kEnd) {
      Consume();
      if (Peek().type != TokenType::kLeftParen) Unexpected("@", "timestamp");
      Consume();
      if (Peek().type != TokenType::kRightParen) Unexpected("@", "timestamp");
      Consume();
      at.kind = t.type == TokenType::kStart ? AtModifier::Kind::kStart : AtModifier::Kind::kEnd;
    } else {
      Unexpected("@", "timestamp");
    }
    AtModifier* target = nullptr;
    if (auto* vs = expr->As<VectorSelector>()) {
      target = &vs->at;
    } else if (auto* ms = expr->As<MatrixSelector>()) {
      target = &ms->selector->As<VectorSelector>()->at;
    } else if (auto* sq = expr->As<SubqueryExpr>()) {
      target = &sq->at;
    } else {
      Fail(expr->pos,
           "@ modifier must be preceded by an instant vector selector or range vector selector "
           "or a subquery");
    }
    if (target->kind != AtModifier::Kind::kNone) {
      Fail(expr->pos, "@ <timestamp> may not be set multiple times");
    }
    *target = at;
    expr->pos.end = last_closing_;
  }

  std::string_view input_;
  Lexer lexer_;
  Token peeked_;
  bool has_peeked_ = false;
  int last_closing_ = 0;
  int aggregation_depth_ = 0;
  int nesting_ = 0;
  int depth_ = 0;  // of the expression the last parse function returned
  ParseError error_;

 public:
  static std::optional<std::int64_t> ParseDurationWithError(std::string_view text,
                                                            std::string* error);
};

// model.ParseDuration: ^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$,
// in ms, with its overflow check on nanoseconds.
std::optional<std::int64_t> Parser::ParseDurationWithError(std::string_view text,
                                                           std::string* error) {
  if (text == "0") return 0;
  if (text.empty()) {
    *error = "empty duration string";
    return std::nullopt;
  }
  struct Unit {
    std::string_view suffix;
    std::int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"y", 1000LL * 60 * 60 * 24 * 365},
                                    {"w", 1000LL * 60 * 60 * 24 * 7},
                                    {"d", 1000LL * 60 * 60 * 24},
                                    {"h", 1000LL * 60 * 60},
                                    {"m", 1000LL * 60},
                                    {"s", 1000},
                                    {"ms", 1}};
  auto invalid = [&] {
    *error = "not a valid duration string: " + GoQuote(text);
    return std::nullopt;
  };
  size_t pos = 0;
  size_t next_unit = 0;
  std::int64_t total_ns = 0;
  bool overflow = false;
  constexpr std::int64_t kMaxNs = std::numeric_limits<std::int64_t>::max();
  while (pos < text.size()) {
    size_t digits_end = pos;
    while (digits_end < text.size() && text[digits_end] >= '0' && text[digits_end] <= '9') {
      ++digits_end;
    }
    if (digits_end == pos) return invalid();
    // The unit: the longest of the allowed suffixes that follows ("ms" before "m").
    size_t unit_end = digits_end;
    while (unit_end < text.size() && !(text[unit_end] >= '0' && text[unit_end] <= '9')) {
      ++unit_end;
    }
    const std::string_view unit = text.substr(digits_end, unit_end - digits_end);
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].suffix != unit) ++u;
    if (u == std::size(kUnits)) return invalid();
    next_unit = u + 1;
    // strconv.Atoi saturates on overflow, which the range check below then reports.
    std::int64_t n = 0;
    for (size_t i = pos; i < digits_end; ++i) {
      const int d = text[i] - '0';
      if (n > (kMaxNs - d) / 10) {
        n = kMaxNs;
        break;
      }
      n = n * 10 + d;
    }
    const std::int64_t mult_ns = kUnits[u].ms * 1000000;
    if (n > kMaxNs / mult_ns) {
      overflow = true;
    } else {
      const std::int64_t add = n * mult_ns;
      if (total_ns > kMaxNs - add) {
        overflow = true;
      } else {
        total_ns += add;
      }
    }
    pos = unit_end;
  }
  if (overflow) {
    *error = "duration out of range";
    return std::nullopt;
  }
  return total_ns / 1000000;
}

// Prometheus's checkAST: the type rules, first error wins.
class Checker {
 public:
  explicit Checker(std::string_view input) : input_(input) {}

  ValueType Check(Expr& expr) {
    const ValueType type = expr.Type();
    std::visit([&](auto& node) { CheckNode(expr, node); }, expr.node);
    return type;
  }

  bool failed() const { return failed_; }
  const ParseError& error() const { return error_; }

 private:
  void AddError(PositionRange pos, std::string message) {
    if (failed_) return;
    failed_ = true;
    error_.pos = pos;
    error_.message = std::move(message);
  }

  void ExpectType(Expr& expr, ValueType want, std::string_view context) {
    const ValueType t = Check(expr);
    if (t != want) {
      AddError(expr.pos, "expected type " + std::string(DocumentedTypeName(want)) + " in " +
                             std::string(context) + ", got " +
                             std::string(DocumentedTypeName(t)));
    }
  }

  void CheckNode(Expr&, NumberLiteral&) {}
  void CheckNode(Expr&, StringLiteral&) {}
  void CheckNode(Expr&, StepInvariantExpr& e) { Check(*e.expr); }
  void CheckNode(Expr&, ParenExpr& e) { Check(*e.expr); }
  void CheckNode(Expr&, MatrixSelector& e) { Check(*e.selector); }

  void CheckNode(Expr& self, AggregateExpr& e) {
    ExpectType(*e.expr, ValueType::kVector, "aggregation expression");
    if (e.op == AggregateOp::kTopk || e.op == AggregateOp::kBottomk ||
        e.op == AggregateOp::kQuantile) {
      ExpectType(*e.param, ValueType::kScalar, "aggregation parameter");
    }
    if (e.op == AggregateOp::kCountValues) {
      ExpectType(*e.param, ValueType::kString, "aggregation parameter");
    }
    (void)self;
  }

  void CheckNode(Expr& self, BinaryExpr& e) {
    const ValueType lt = Check(*e.lhs);
    const ValueType rt = Check(*e.rhs);
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    auto op_range = [&] {
      PositionRange r;
      r.start = e.lhs->pos.end;
      while (r.start < static_cast<int>(input_.size()) &&
             is_space(input_[static_cast<size_t>(r.start)])) {
        ++r.start;
      }
      r.end = e.rhs->pos.start - 1;
      while (r.end > 0 && is_space(input_[static_cast<size_t>(r.end)])) --r.end;
      return r;
    };
    if (e.return_bool && !IsComparison(e.op)) {
      AddError(op_range(), "bool modifier can only be used on comparison operators");
    }
    if (IsComparison(e.op) && !e.return_bool && lt == ValueType::kScalar &&
        rt == ValueType::kScalar) {
      AddError(op_range(), "comparisons between scalars must use BOOL modifier");
    }
    if (e.matching) {
      VectorMatching& vm = *e.matching;
      if (IsSetOperator(e.op) && vm.card == VectorMatching::Card::kOneToOne) {
        vm.card = VectorMatching::Card::kManyToMany;
      }
      if (vm.on) {
        for (const std::string& l1 : vm.labels) {
          for (const std::string& l2 : vm.include) {
            if (l1 == l2) {
              AddError(op_range(), "label " + GoQuote(l1) +
                                       " must not occur in ON and GROUP clause at once");
            }
          }
        }
      }
    }
    if (lt != ValueType::kScalar && lt != ValueType::kVector) {
      AddError(e.lhs->pos, "binary expression must contain only scalar and instant vector types");
    }
    if (rt != ValueType::kScalar && rt != ValueType::kVector) {
      AddError(e.rhs->pos, "binary expression must contain only scalar and instant vector types");
    }
    if ((lt != ValueType::kVector || rt != ValueType::kVector) && e.matching) {
      if (!e.matching->labels.empty()) {
        AddError(self.pos, "vector matching only allowed between instant vectors");
      }
      e.matching.reset();
    } else if (e.matching && IsSetOperator(e.op)) {
      const auto card = e.matching->card;
      if (card == VectorMatching::Card::kOneToMany || card == VectorMatching::Card::kManyToOne) {
        AddError(self.pos, "no grouping allowed for \"" + std::string(BinaryOpName(e.op)) +
                               "\" operation");
      }
      if (card != VectorMatching::Card::kManyToMany) {
        AddError(self.pos, "set operations must always be many-to-many");
      }
    }
    if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOperator(e.op)) {
      AddError(self.pos, "set operator \"" + std::string(BinaryOpName(e.op)) +
                             "\" not allowed in binary scalar expression");
    }
  }

  void CheckNode(Expr& self, Call& e) {
    const FunctionSignature& fn = *e.func;
    const int nargs = static_cast<int>(fn.arg_types.size());
    const int got = static_cast<int>(e.args.size());
    const std::string name = GoQuote(fn.name);
    if (fn.variadic == 0) {
      if (nargs != got) {
        AddError(self.pos, "expected " + std::to_string(nargs) + " argument(s) in call to " +
                               name + ", got " + std::to_string(got));
      }
    } else {
      const int na = nargs - 1;
      if (na > got) {
        AddError(self.pos, "expected at least " + std::to_string(na) +
                               " argument(s) in call to " + name + ", got " + std::to_string(got));
      } else if (fn.variadic > 0 && na + fn.variadic < got) {
        AddError(self.pos, "expected at most " + std::to_string(na + fn.variadic) +
                               " argument(s) in call to " + name + ", got " + std::to_string(got));
      }
    }
    const std::string context = "call to function " + name;
    for (int i = 0; i < got; ++i) {
      int t = i;
      if (t >= nargs) {
        if (fn.variadic == 0) break;
        t = nargs - 1;
      }
      ExpectType(*e.args[static_cast<size_t>(i)], fn.arg_types[static_cast<size_t>(t)], context);
    }
  }

  void CheckNode(Expr& self, UnaryExpr& e) {
    const ValueType t = Check(*e.expr);
    if (t != ValueType::kScalar && t != ValueType::kVector) {
      AddError(self.pos, "unary expression only allowed on expressions of type scalar or "
                         "instant vector, got " +
                             GoQuote(DocumentedTypeName(t)));
    }
  }

  void CheckNode(Expr& self, SubqueryExpr& e) {
    const ValueType t = Check(*e.expr);
    if (t != ValueType::kVector) {
      AddError(self.pos, "subquery is only allowed on instant vector, got " +
                             std::string(ValueTypeName(t)) + " instead");
    }
  }

  void CheckNode(Expr& self, VectorSelector& e) {
    if (!e.name.empty()) {
      for (size_t i = 0; i + 1 < e.matchers.size(); ++i) {
        if (e.matchers[i].name() == kMetricName) {
          AddError(self.pos, "metric name must not be set twice: " + GoQuote(e.name) +
                                 " or " + GoQuote(e.matchers[i].value()));
        }
      }
      return;
    }
    for (const storage::LabelMatcher& m : e.matchers) {
      if (!m.MatchesEmpty()) return;
    }
    AddError(self.pos, "vector selector must contain at least one non-empty matcher");
  }

  std::string_view input_;
  bool failed_ = false;
  ParseError error_;
};

}  // namespace

std::string ParseError::ToString(std::string_view query) const {
  std::string position;
  if (pos.start < 0 || static_cast<size_t>(pos.start) > query.size()) {
    position = "invalid position:";
  } else {
    int line = 1;
    int last_line_break = -1;
    for (int i = 0; i < pos.start; ++i) {
      if (query[static_cast<size_t>(i)] == '\n') {
        last_line_break = i;
        ++line;
      }
    }
    position = std::to_string(line) + ":" + std::to_string(pos.start - last_line_break) + ":";
  }
  return position + " parse error: " + message;
}

ExprPtr ParseExpr(std::string_view query, ParseError* error) {
  Parser parser(query);
  ExprPtr expr;
  try {
    expr = parser.ParseQuery();
  } catch (const ParseFailure&) {
    if (error != nullptr) *error = parser.error();
    return nullptr;
  }
  Checker checker(query);
  checker.Check(*expr);
  if (checker.failed()) {
    if (error != nullptr) *error = checker.error();
    return nullptr;
  }
  return expr;
}

std::optional<storage::Matchers> ParseMetricSelector(std::string_view text, ParseError* error) {
  Parser parser(text);
  VectorSelector vs;
  try {
    vs = parser.ParseSelectorOnly();
  } catch (const ParseFailure&) {
    if (error != nullptr) *error = parser.error();
    return std::nullopt;
  }
  for (const storage::LabelMatcher& m : vs.matchers) {
    if (!m.MatchesEmpty()) return std::move(vs.matchers);
  }
  // Prometheus's API rejects such a match[] with this text (web/api/v1/api.go).
  if (error != nullptr) {
    error->pos = {0, static_cast<int>(text.size())};
    error->message = "match[] must contain at least one non-empty matcher";
  }
  return std::nullopt;
}

std::optional<std::int64_t> ParseDuration(std::string_view text) {
  std::string err;
  return Parser::ParseDurationWithError(text, &err);
}

std::string FormatDuration(std::int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  auto unit = [&](const char* name, std::int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    const std::int64_t v = ms / mult;
    if (v > 0) {
      out += std::to_string(v);
      out += name;
      ms -= v * mult;
    }
  };
  // Years and weeks only when exact, as model.Duration prints (90d rather than 12w6d).
  unit("y", 1000LL * 60 * 60 * 24 * 365, true);
  unit("w", 1000LL * 60 * 60 * 24 * 7, true);
  unit("d", 1000LL * 60 * 60 * 24, false);
  unit("h", 1000LL * 60 * 60, false);
  unit("m", 1000LL * 60, false);
  unit("s", 1000, false);
  unit("ms", 1, false);
  return out;
}

}  // namespace metricsd::query::promql
