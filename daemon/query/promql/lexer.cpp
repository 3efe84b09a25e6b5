#include "daemon/query/promql/lexer.h"

#include <array>
#include <cstdio>

#include "daemon/storage/label_matcher.h"

namespace metricsd::query::promql {
namespace {

constexpr int kEofRune = -1;
constexpr std::uint32_t kRuneError = 0xFFFD;

bool IsSpace(int r) { return r == ' ' || r == '\t' || r == '\n' || r == '\r'; }
bool IsDigit(int r) { return r >= '0' && r <= '9'; }
bool IsAlpha(int r) { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'); }
bool IsAlphaNumeric(int r) { return IsAlpha(r) || IsDigit(r); }

char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsLower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (ToLower(word[i]) != lower[i]) return false;
  }
  return true;
}

struct Keyword {
  std::string_view word;
  TokenType type;
};
// lex.go's `key` map, plus inf and nan which lex as numbers.
constexpr std::array<Keyword, 28> kKeywords = {{
    {"and", TokenType::kLand},        {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},  {"atan2", TokenType::kAtan2},
    {"sum", TokenType::kSum},         {"avg", TokenType::kAvg},
    {"count", TokenType::kCount},     {"min", TokenType::kMin},
    {"max", TokenType::kMax},         {"group", TokenType::kGroup},
    {"stddev", TokenType::kStddev},   {"stdvar", TokenType::kStdvar},
    {"topk", TokenType::kTopk},       {"bottomk", TokenType::kBottomk},
    {"count_values", TokenType::kCountValues},
    {"quantile", TokenType::kQuantile},
    {"offset", TokenType::kOffset},   {"by", TokenType::kBy},
    {"without", TokenType::kWithout}, {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"bool", TokenType::kBool},       {"start", TokenType::kStart},
    {"end", TokenType::kEnd},         {"inf", TokenType::kNumber},
    {"nan", TokenType::kNumber},
}};

// Go's unicode.IsPrint for the code points that occur in practice: controls, format
// characters (Cf), separators other than ' ' (Z*), surrogates, private use and noncharacters
// are not printable. (Unassigned code points, which Go also escapes, are treated as printable.)
bool IsPrintRune(std::uint32_t r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r < 0x7F) return true;
  if (r <= 0xA0 || r == 0xAD) return false;
  if ((r >= 0x600 && r <= 0x605) || r == 0x61C || r == 0x6DD || r == 0x70F) return false;
  if (r == 0x1680 || r == 0x180E) return false;
  if (r >= 0x2000 && r <= 0x200F) return false;
  if (r >= 0x2028 && r <= 0x202F) return false;
  if (r >= 0x205F && r <= 0x206F) return false;
  if (r == 0x3000 || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB)) return false;
  if (r >= 0xD800 && r <= 0xF8FF) return false;  // surrogates, private use
  if ((r & 0xFFFE) == 0xFFFE || (r >= 0xFDD0 && r <= 0xFDEF)) return false;
  if (r == 0x110BD || (r >= 0x1D173 && r <= 0x1D17A)) return false;
  if (r >= 0xE0000) return false;  // tags, variation selectors supplement, private use
  return r <= 0x10FFFF;
}

}  // namespace

void AppendUtf8(std::string& out, std::uint32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

namespace {

std::string HexRune(const char* format, std::uint32_t r) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), format, r);
  return buf;
}

// Go's %#U: "U+0063 'c'", or "U+0007" when not printable.
std::string UnicodeFormat(int rune) {
  std::uint32_t r = rune < 0 ? kRuneError : static_cast<std::uint32_t>(rune);
  std::string out = HexRune("U+%04X", r);
  if (IsPrintRune(r)) {
    out += " '";
    AppendUtf8(out, r);
    out += '\'';
  }
  return out;
}

// Go's fmt "%.10q": the first 10 runes of `s`, quoted.
std::string QuoteTruncated(std::string_view s, int runes) {
  size_t i = 0;
  for (int n = 0; n < runes && i < s.size(); ++n) {
    int width = 1;
    DecodeRune(s, static_cast<int>(i), &width);
    i += static_cast<size_t>(width);
  }
  return GoQuote(s.substr(0, i));
}

}  // namespace

// AT is one of lex.go's operators (between operatorsStart and operatorsEnd).
bool IsOperatorToken(TokenType t) {
  return t == TokenType::kAt || (t >= TokenType::kAdd && t <= TokenType::kAtan2);
}
bool IsAggregatorToken(TokenType t) { return t >= TokenType::kAvg && t <= TokenType::kTopk; }
bool IsKeywordToken(TokenType t) { return t >= TokenType::kBool && t <= TokenType::kWithout; }

std::uint32_t DecodeRune(std::string_view s, int pos, int* width) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  const size_t n = s.size() - static_cast<size_t>(pos);
  *width = 1;
  if (n == 0) return kRuneError;
  unsigned char c0 = p[0];
  if (c0 < 0x80) return c0;
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    if (!cont(1)) return kRuneError;
    *width = 2;
    return ((c0 & 0x1Fu) << 6) | (p[1] & 0x3Fu);
  }
  if (c0 >= 0xE0 && c0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return kRuneError;
    if (c0 == 0xE0 && p[1] < 0xA0) return kRuneError;   // overlong
    if (c0 == 0xED && p[1] >= 0xA0) return kRuneError;  // surrogate
    *width = 3;
    return ((c0 & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
  }
  if (c0 >= 0xF0 && c0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return kRuneError;
    if (c0 == 0xF0 && p[1] < 0x90) return kRuneError;
    if (c0 == 0xF4 && p[1] >= 0x90) return kRuneError;
    *width = 4;
    return ((c0 & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) |
           (p[3] & 0x3Fu);
  }
  return kRuneError;
}

std::string QuoteRune(std::uint32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  std::string out = "'";
  switch (r) {
    case '\a': out += "\\a"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\v': out += "\\v"; break;
    case '\\': out += "\\\\"; break;
    case '\'': out += "\\'"; break;
    default:
      if (IsPrintRune(r)) {
        AppendUtf8(out, r);
      } else if (r < 0x80 || r == 0x7F) {
        out += HexRune("\\x%02x", r);
      } else if (r < 0x10000) {
        out += HexRune("\\u%04x", r);
      } else {
        out += HexRune("\\U%08x", r);
      }
  }
  out += '\'';
  return out;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  int i = 0;
  const int n = static_cast<int>(s.size());
  while (i < n) {
    int width = 1;
    const std::uint32_t r = DecodeRune(s, i, &width);
    if (r == kRuneError && width == 1) {
      out += HexRune("\\x%02x", static_cast<unsigned char>(s[static_cast<size_t>(i)]));
      ++i;
      continue;
    }
    i += width;
    switch (r) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (IsPrintRune(r)) {
      AppendUtf8(out, r);
    } else if (r < 0x20 || r == 0x7F) {
      out += HexRune("\\x%02x", r);
    } else if (r < 0x10000) {
      out += HexRune("\\u%04x", r);
    } else {
      out += HexRune("\\U%08x", r);
    }
  }
  out += '"';
  return out;
}

std::string DescribeToken(const Token& token) {
  const TokenType t = token.type;
  if (t == TokenType::kEof) return "end of input";
  std::string value(token.text);
  if (IsKeywordToken(t)) return "<" + value + ">";
  if (IsOperatorToken(t)) {
    std::string op = "<op:" + value + ">";
    // AT has no entry in lex.go's ItemTypeStr: Item.desc() prefixes the type's number.
    if (t == TokenType::kAt) return "\"<Item 57385>\" " + op;
    return op;
  }
  if (IsAggregatorToken(t)) return "<aggr:" + value + ">";
  auto quoted = [&] {
    return value.size() > 10 ? QuoteTruncated(value, 10) + "..." : GoQuote(value);
  };
  switch (t) {
    case TokenType::kIdentifier: return "identifier " + GoQuote(value);
    case TokenType::kMetricIdentifier: return "metric identifier " + GoQuote(value);
    case TokenType::kString: return "string " + quoted();
    case TokenType::kNumber: return "number " + quoted();
    case TokenType::kDuration: return "duration " + quoted();
    case TokenType::kComment: return "comment " + quoted();
    case TokenType::kError: return "error " + quoted();
    default: return quoted();
  }
}

int Lexer::Peek() const {
  if (static_cast<size_t>(pos_) >= input_.size()) return kEofRune;
  return static_cast<unsigned char>(input_[static_cast<size_t>(pos_)]);
}

int Lexer::NextRune() {
  if (static_cast<size_t>(pos_) >= input_.size()) {
    width_ = 0;
    return kEofRune;
  }
  int w = 1;
  std::uint32_t r = DecodeRune(input_, pos_, &w);
  width_ = w;
  pos_ += w;
  return static_cast<int>(r);
}

void Lexer::Backup() { pos_ -= width_; }

bool Lexer::Accept(std::string_view valid) {
  int r = NextRune();
  if (r >= 0 && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) {
    return true;
  }
  Backup();
  return false;
}

void Lexer::AcceptRun(std::string_view valid) {
  while (Accept(valid)) {
  }
}

Token Lexer::Emit(TokenType type) {
  Token token{type, start_, input_.substr(static_cast<size_t>(start_),
                                          static_cast<size_t>(pos_ - start_))};
  start_ = pos_;
  return token;
}

Token Lexer::Error(std::string message) {
  error_ = std::move(message);
  error_pos_ = start_;
  state_ = State::kDone;
  return Token{TokenType::kError, start_, {}};
}

Token Lexer::Next() {
  switch (state_) {
    case State::kDone: return Token{TokenType::kEof, pos_, {}};
    case State::kDuration: return LexDuration();
    case State::kInsideBraces: return LexInsideBraces();
    case State::kStatements: break;
  }
  return LexStatements();
}

void Lexer::SkipSpaces() {
  while (IsSpace(Peek())) ++pos_;
  start_ = pos_;
}

Token Lexer::LexStatements() {
  for (;;) {
    if (brace_open_) return LexInsideBraces();
    if (Peek() == '#') return LexComment();
    const int r = NextRune();
    switch (r) {
      case kEofRune:
        if (paren_depth_ != 0) return Error("unclosed left parenthesis");
        if (bracket_open_) return Error("unclosed left bracket");
        state_ = State::kDone;
        return Emit(TokenType::kEof);
      case ',': return Emit(TokenType::kComma);
      case ' ': case '\t': case '\n': case '\r':
        SkipSpaces();
        continue;
      case '*': return Emit(TokenType::kMul);
      case '/': return Emit(TokenType::kDiv);
      case '%': return Emit(TokenType::kMod);
      case '+': return Emit(TokenType::kAdd);
      case '-': return Emit(TokenType::kSub);
      case '^': return Emit(TokenType::kPow);
      case '=': {
        const int t = Peek();
        if (t == '=') {
          ++pos_;
          return Emit(TokenType::kEqlc);
        }
        if (t == '~') return Error("unexpected character after '=': '~'");
        return Emit(TokenType::kEql);
      }
      case '!': {
        const int t = NextRune();
        if (t == '=') return Emit(TokenType::kNeq);
        return Error("unexpected character after '!': " + QuoteRune(static_cast<std::uint32_t>(t)));
      }
      case '<':
        if (Peek() == '=') {
          ++pos_;
          return Emit(TokenType::kLte);
        }
        return Emit(TokenType::kLss);
      case '>':
        if (Peek() == '=') {
          ++pos_;
          return Emit(TokenType::kGte);
        }
        return Emit(TokenType::kGtr);
      case '"': case '\'': return LexString(static_cast<char>(r));
      case '`': return LexRawString();
      case '(':
        ++paren_depth_;
        return Emit(TokenType::kLeftParen);
      case ')': {
        Token token = Emit(TokenType::kRightParen);
        if (--paren_depth_ < 0) return Error("unexpected right parenthesis ')'");
        return token;
      }
      case '{':
        brace_open_ = true;
        state_ = State::kInsideBraces;
        return Emit(TokenType::kLeftBrace);
      case '[': {
        if (bracket_open_) return Error("unexpected left bracket '['");
        got_colon_ = false;
        Token token = Emit(TokenType::kLeftBracket);
        SkipSpaces();
        bracket_open_ = true;
        state_ = State::kDuration;
        return token;
      }
      case ']':
        if (!bracket_open_) return Error("unexpected right bracket ']'");
        bracket_open_ = false;
        return Emit(TokenType::kRightBracket);
      case '@': return Emit(TokenType::kAt);
      default: break;
    }
    if (IsDigit(r) || (r == '.' && IsDigit(Peek()))) {
      Backup();
      return LexNumberOrDuration();
    }
    if (IsAlpha(r) || r == ':') {
      if (!bracket_open_) {
        Backup();
        return LexKeywordOrIdentifier();
      }
      // lex.go: inside brackets any letter or ':' is the subquery's colon.
      if (got_colon_) return Error("unexpected colon " + QuoteRune(static_cast<std::uint32_t>(r)));
      got_colon_ = true;
      return Emit(TokenType::kColon);
    }
    return Error("unexpected character: " + QuoteRune(static_cast<std::uint32_t>(r)));
  }
}

Token Lexer::LexInsideBraces() {
  for (;;) {
    if (Peek() == '#') return LexComment();
    const int r = NextRune();
    switch (r) {
      case kEofRune: return Error("unexpected end of input inside braces");
      case ' ': case '\t': case '\n': case '\r':
        SkipSpaces();
        continue;
      case ',': return Emit(TokenType::kComma);
      case '"': case '\'': return LexString(static_cast<char>(r));
      case '`': return LexRawString();
      case '=':
        if (Peek() == '~') {
          ++pos_;
          return Emit(TokenType::kEqlRegex);
        }
        return Emit(TokenType::kEql);
      case '!': {
        const int nr = NextRune();
        if (nr == '~') return Emit(TokenType::kNeqRegex);
        if (nr == '=') return Emit(TokenType::kNeq);
        return Error("unexpected character after '!' inside braces: " +
                     QuoteRune(static_cast<std::uint32_t>(nr)));
      }
      case '{': return Error("unexpected left brace '{'");
      case '}':
        brace_open_ = false;
        state_ = State::kStatements;
        return Emit(TokenType::kRightBrace);
      default: break;
    }
    if (IsAlpha(r)) {
      Backup();
      return LexIdentifier();
    }
    return Error("unexpected character inside braces: " + QuoteRune(static_cast<std::uint32_t>(r)));
  }
}

Token Lexer::LexComment() {
  ++pos_;  // '#'
  while (static_cast<size_t>(pos_) < input_.size() && input_[static_cast<size_t>(pos_)] != '\n' &&
         input_[static_cast<size_t>(pos_)] != '\r') {
    ++pos_;
  }
  return Emit(TokenType::kComment);
}

Token Lexer::LexDuration() {
  state_ = State::kStatements;
  if (ScanNumber()) return Error("missing unit character in duration");
  if (!AcceptRemainingDuration()) {
    return Error("bad duration syntax: " + GoQuote(input_.substr(
        static_cast<size_t>(start_), static_cast<size_t>(pos_ - start_))));
  }
  Backup();
  return Emit(TokenType::kDuration);
}

Token Lexer::LexNumberOrDuration() {
  if (ScanNumber()) return Emit(TokenType::kNumber);
  if (AcceptRemainingDuration()) {
    Backup();
    return Emit(TokenType::kDuration);
  }
  return Error("bad number or duration syntax: " + GoQuote(input_.substr(
      static_cast<size_t>(start_), static_cast<size_t>(pos_ - start_))));
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");  // "ms"
  while (Accept("0123456789")) {
    AcceptRun("0123456789");
    if (!Accept("smhdw")) return false;
    Accept("s");
  }
  return !IsAlphaNumeric(NextRune());
}

bool Lexer::ScanNumber() {
  std::string_view digits = "0123456789";
  if (Accept("0") && Accept("xX")) digits = "0123456789abcdefABCDEF";
  AcceptRun(digits);
  if (Accept(".")) AcceptRun(digits);
  if (Accept("eE")) {
    Accept("+-");
    AcceptRun("0123456789");
  }
  return !IsAlphaNumeric(Peek());
}

Token Lexer::LexIdentifier() {
  while (IsAlphaNumeric(Peek())) ++pos_;
  return Emit(TokenType::kIdentifier);
}

Token Lexer::LexKeywordOrIdentifier() {
  bool has_colon = false;
  for (int r = Peek(); IsAlphaNumeric(r) || r == ':'; r = Peek()) {
    has_colon = has_colon || r == ':';
    ++pos_;
  }
  const std::string_view word =
      input_.substr(static_cast<size_t>(start_), static_cast<size_t>(pos_ - start_));
  if (!has_colon && word.size() <= 12) {
    for (const Keyword& kw : kKeywords) {
      if (EqualsLower(word, kw.word)) return Emit(kw.type);
    }
  }
  return Emit(has_colon ? TokenType::kMetricIdentifier : TokenType::kIdentifier);
}

Token Lexer::LexString(char quote) {
  for (;;) {
    const int r = NextRune();
    if (r == '\\') {
      if (!LexEscape(quote)) return Token{TokenType::kError, start_, {}};
      continue;
    }
    if (r == static_cast<int>(kRuneError)) return Error("invalid UTF-8 rune");
    if (r == kEofRune || r == '\n') return Error("unterminated quoted string");
    if (r == quote) break;
  }
  return Emit(TokenType::kString);
}

Token Lexer::LexRawString() {
  for (;;) {
    const int r = NextRune();
    if (r == static_cast<int>(kRuneError)) return Error("invalid UTF-8 rune");
    if (r == kEofRune) return Error("unterminated raw string");
    if (r == '`') break;
  }
  return Emit(TokenType::kString);
}

namespace {
std::uint32_t DigitVal(int ch) {
  if (ch >= '0' && ch <= '9') return static_cast<std::uint32_t>(ch - '0');
  if (ch >= 'a' && ch <= 'f') return static_cast<std::uint32_t>(ch - 'a' + 10);
  if (ch >= 'A' && ch <= 'F') return static_cast<std::uint32_t>(ch - 'A' + 10);
  return 16;
}
}  // namespace

bool Lexer::LexEscape(char quote) {
  int ch = NextRune();
  int n = 0;
  std::uint32_t base = 0;
  std::uint32_t max = 0;
  switch (ch) {
    case 'a': case 'b': case 'f': case 'n': case 'r': case 't': case 'v': case '\\':
      return true;
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
      n = 3, base = 8, max = 255;
      break;
    case 'x':
      ch = NextRune();
      n = 2, base = 16, max = 255;
      break;
    case 'u':
      ch = NextRune();
      n = 4, base = 16, max = 0x10FFFF;
      break;
    case 'U':
      ch = NextRune();
      n = 8, base = 16, max = 0x10FFFF;
      break;
    case kEofRune:
      Error("escape sequence not terminated");
      return false;
    default:
      if (ch == quote) return true;
      Error("unknown escape sequence " + UnicodeFormat(ch));
      return false;
  }
  std::uint32_t x = 0;
  while (n > 0) {
    const std::uint32_t d = DigitVal(ch);
    if (d >= base) {
      if (ch == kEofRune) {
        Error("escape sequence not terminated");
      } else {
        Error("illegal character " + UnicodeFormat(ch) + " in escape sequence");
      }
      return false;
    }
    x = x * base + d;
    if (--n > 0) ch = NextRune();
  }
  if (x > max || (x >= 0xD800 && x < 0xE000)) {
    Error("escape sequence is an invalid Unicode code point");
    return false;
  }
  return true;
}

}  // namespace metricsd::query::promql
