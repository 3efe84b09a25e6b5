#include "daemon/storage/series_selector.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <utility>

#include "daemon/core/metric_names.h"

namespace metricsd::storage {

namespace {

// A hand-written lexer and parser for the one production /api/v1/series takes, following
// Prometheus's promql/parser (lex.go, generated_parser.y) in what it accepts, in its messages
// and in where it says they are:
//
//   foo{a="b", c=~"d.*",}
//   ^  ^ ^ ^         ^   the tokens: identifier, '{', identifier, op, string, ',', '}'
//
// A position is a byte offset; the message gives "line:column" (column 1-based) like ParseErr.
enum class TokenKind { kEnd, kIdentifier, kMetricIdentifier, kString, kNumber, kLeftBrace, kRightBrace, kComma, kOperator, kOther };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::size_t pos = 0;
  std::string_view text;  // as written (strings with their quotes)
};

struct SyntaxError {
  std::size_t pos;
  std::string message;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlphaNumeric(char c) { return IsAlpha(c) || IsDigit(c); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
  }
}

// Go's %q of one character (the lexer's "unexpected character: '}'"): the character itself
// when printable ASCII or UTF-8, escaped otherwise.
std::string QuoteChar(std::string_view text, std::size_t pos) {
  auto c = static_cast<unsigned char>(text[pos]);
  std::string out = "'";
  if (c == '\'') {
    out += "\\'";
  } else if (c == '\\') {
    out += "\\\\";
  } else if (c >= 0x20 && c < 0x7f) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x80) {
    std::string quoted = GoQuote(text.substr(pos, 1));
    out += quoted.substr(1, quoted.size() - 2);
  } else {
    std::size_t length = 1;
    while (length < 4 && pos + length < text.size() &&
           (static_cast<unsigned char>(text[pos + length]) & 0xc0) == 0x80) {
      ++length;
    }
    out += text.substr(pos, length);
  }
  out += "'";
  return out;
}

// Go's %#U of one character: U+0071 'q' (the lexer's "unknown escape sequence").
std::string GoCharU(std::string_view text, std::size_t pos) {
  auto c = static_cast<unsigned char>(text[pos]);
  char code[8];
  std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
  if (c >= 0x20 && c < 0x7f) return std::string(code) + " '" + static_cast<char>(c) + "'";
  return code;
}

// What a token is called in "unexpected ..." (Prometheus's Item.desc()).
std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd: return "end of input";
    case TokenKind::kIdentifier:
    case TokenKind::kMetricIdentifier: return "identifier " + GoQuote(token.text);
    case TokenKind::kString: return "string " + GoQuote(token.text);
    case TokenKind::kNumber: return "number " + GoQuote(token.text);
    default: return GoQuote(token.text);
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next token outside braces.
  std::optional<Token> NextOutside(std::optional<SyntaxError>& error) {
    SkipSpace();
    Token token{TokenKind::kEnd, pos_, {}};
    if (pos_ >= text_.size()) return token;
    char c = text_[pos_];
    std::size_t start = pos_;
    if (IsAlpha(c) || c == ':') {
      while (pos_ < text_.size() && (IsAlphaNumeric(text_[pos_]) || text_[pos_] == ':')) ++pos_;
      token.text = text_.substr(start, pos_ - start);
      token.kind = token.text.find(':') == std::string_view::npos ? TokenKind::kIdentifier : TokenKind::kMetricIdentifier;
      return token;
    }
    if (IsDigit(c) || c == '.') {
      while (pos_ < text_.size() && (IsAlphaNumeric(text_[pos_]) || text_[pos_] == '.')) ++pos_;
      token.kind = TokenKind::kNumber;
      token.text = text_.substr(start, pos_ - start);
      return token;
    }
    if (c == '"' || c == '\'' || c == '`') return LexString(error);
    if (c == '{') return Single(TokenKind::kLeftBrace);
    if (c == ',') return Single(TokenKind::kComma);
    if (std::string_view("()[]+-*/%^=!<>@").find(c) != std::string_view::npos) return Single(TokenKind::kOther);
    error = SyntaxError{pos_, "unexpected character: " + QuoteChar(text_, pos_)};
    return std::nullopt;
  }

  // The next token inside braces (lexInsideBraces).
  std::optional<Token> NextInside(std::optional<SyntaxError>& error) {
    SkipSpace();
    if (pos_ >= text_.size()) {
      error = SyntaxError{pos_, "unexpected end of input inside braces"};
      return std::nullopt;
    }
    char c = text_[pos_];
    std::size_t start = pos_;
    if (IsAlpha(c)) {
      while (pos_ < text_.size() && IsAlphaNumeric(text_[pos_])) ++pos_;
      return Token{TokenKind::kIdentifier, start, text_.substr(start, pos_ - start)};
    }
    if (c == '"' || c == '\'' || c == '`') return LexString(error);
    if (c == ',') return Single(TokenKind::kComma);
    if (c == '}') return Single(TokenKind::kRightBrace);
    if (c == '=') {
      std::size_t length = pos_ + 1 < text_.size() && text_[pos_ + 1] == '~' ? 2 : 1;
      pos_ += length;
      return Token{TokenKind::kOperator, start, text_.substr(start, length)};
    }
    if (c == '!') {
      if (pos_ + 1 < text_.size() && (text_[pos_ + 1] == '=' || text_[pos_ + 1] == '~')) {
        pos_ += 2;
        return Token{TokenKind::kOperator, start, text_.substr(start, 2)};
      }
      error = SyntaxError{pos_, pos_ + 1 < text_.size()
                                    ? "unexpected character after '!' inside braces: " + QuoteChar(text_, pos_ + 1)
                                    : std::string("unexpected end of input inside braces")};
      return std::nullopt;
    }
    if (c == '{') {
      error = SyntaxError{pos_, "unexpected left brace '{'"};
      return std::nullopt;
    }
    error = SyntaxError{pos_, "unexpected character inside braces: " + QuoteChar(text_, pos_)};
    return std::nullopt;
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  Token Single(TokenKind kind) {
    Token token{kind, pos_, text_.substr(pos_, 1)};
    ++pos_;
    return token;
  }

  // A quoted string as written; its escapes are checked here, as lex.go's lexEscape does, and
  // resolved by Unquote. Errors point at the opening quote.
  std::optional<Token> LexString(std::optional<SyntaxError>& error) {
    std::size_t start = pos_;
    char quote = text_[pos_++];
    while (true) {
      if (pos_ >= text_.size() || (quote != '`' && text_[pos_] == '\n')) {
        error = SyntaxError{start, quote == '`' ? "unterminated raw string" : "unterminated quoted string"};
        return std::nullopt;
      }
      char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        break;
      }
      if (c == '\\' && quote != '`') {
        if (!CheckEscape(quote, start, error)) return std::nullopt;
        continue;
      }
      ++pos_;
    }
    Token token{TokenKind::kString, start, text_.substr(start, pos_ - start)};
    if (!metricsd::IsValidUtf8(token.text)) {
      error = SyntaxError{start, "invalid UTF-8 rune"};
      return std::nullopt;
    }
    return token;
  }

  bool CheckEscape(char quote, std::size_t start, std::optional<SyntaxError>& error) {
    ++pos_;  // the backslash
    if (pos_ >= text_.size()) {
      error = SyntaxError{start, "escape sequence not terminated"};
      return false;
    }
    char c = text_[pos_];
    int digits = 0, base = 16;
    std::uint32_t max = 0;
    switch (c) {
      case 'a': case 'b': case 'f': case 'n': case 'r': case 't': case 'v': case '\\':
        ++pos_;
        return true;
      case 'x': digits = 2; max = 0xff; ++pos_; break;
      case 'u': digits = 4; max = 0x10ffff; ++pos_; break;
      case 'U': digits = 8; max = 0x10ffff; ++pos_; break;
      default:
        if (c == quote) {
          ++pos_;
          return true;
        }
        if (c >= '0' && c <= '7') {
          digits = 3;
          base = 8;
          max = 0xff;
          break;
        }
        error = SyntaxError{start, "unknown escape sequence " + GoCharU(text_, pos_)};
        return false;
    }
    std::uint32_t value = 0;
    for (int i = 0; i < digits; ++i) {
      int digit = pos_ < text_.size() ? HexValue(text_[pos_]) : -1;
      if (digit < 0 || digit >= base) {
        error = SyntaxError{start, pos_ < text_.size() ? "illegal character " + QuoteChar(text_, pos_) + " in escape sequence"
                                                       : std::string("escape sequence not terminated")};
        return false;
      }
      value = value * static_cast<std::uint32_t>(base) + static_cast<std::uint32_t>(digit);
      ++pos_;
    }
    if (value > max || (value >= 0xd800 && value < 0xe000 && c != 'x' && base != 8)) {
      error = SyntaxError{start, "escape sequence is an invalid Unicode code point"};
      return false;
    }
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// The value of a string token the lexer accepted (its escapes are known to be well-formed).
std::string Unquote(std::string_view token) {
  char quote = token.front();
  std::string_view body = token.substr(1, token.size() - 2);
  if (quote == '`') return std::string(body);
  std::string out;
  out.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    char e = body[++i];
    switch (e) {
      case 'a': out.push_back('\a'); continue;
      case 'b': out.push_back('\b'); continue;
      case 'f': out.push_back('\f'); continue;
      case 'n': out.push_back('\n'); continue;
      case 'r': out.push_back('\r'); continue;
      case 't': out.push_back('\t'); continue;
      case 'v': out.push_back('\v'); continue;
      default: break;
    }
    int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : (e >= '0' && e <= '7') ? 3 : 0;
    if (digits == 0) {  // \\ or the quote
      out.push_back(e);
      continue;
    }
    int base = (e >= '0' && e <= '7') ? 8 : 16;
    std::size_t from = base == 8 ? i : i + 1;
    std::uint32_t value = 0;
    for (int k = 0; k < digits; ++k) {
      value = value * static_cast<std::uint32_t>(base) + static_cast<std::uint32_t>(HexValue(body[from + static_cast<std::size_t>(k)]));
    }
    i = from + static_cast<std::size_t>(digits) - 1;
    // \x and octal escapes are bytes; \u and \U are code points, written as UTF-8.
    if (e == 'u' || e == 'U') {
      AppendUtf8(out, value);
    } else {
      out.push_back(static_cast<char>(value));
    }
  }
  return out;
}

std::optional<MatchType> MatchTypeOf(std::string_view op) {
  if (op == "=") return MatchType::kEqual;
  if (op == "!=") return MatchType::kNotEqual;
  if (op == "=~") return MatchType::kRegexMatch;
  if (op == "!~") return MatchType::kRegexNoMatch;
  return std::nullopt;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// Words PromQL's lexer never reads as a metric name: numbers (Inf, NaN) and the keywords its
// grammar does not accept as metric_identifier.
std::optional<std::string> NotAMetricName(std::string_view word) {
  for (std::string_view number : {"inf", "nan"}) {
    if (EqualsIgnoringCase(word, number)) return "unexpected number " + GoQuote(word);
  }
  for (std::string_view keyword : {"bool", "on", "ignoring", "group_left", "group_right", "atan2"}) {
    if (EqualsIgnoringCase(word, keyword)) return "unexpected <" + std::string(keyword) + ">";
  }
  return std::nullopt;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), lexer_(text) {}

  SelectorParseResult Parse() {
    SelectorParseResult result;
    std::optional<SyntaxError> error = ParseSelector(result.matchers);
    if (error) {
      result.matchers.clear();
      result.error = Format(*error);
    }
    return result;
  }

 private:
  std::optional<SyntaxError> ParseSelector(Matchers& matchers) {
    std::optional<SyntaxError> error;
    std::optional<Token> token = lexer_.NextOutside(error);
    if (!token) return error;
    std::size_t start = token->pos;
    std::string_view name;
    if (token->kind == TokenKind::kIdentifier || token->kind == TokenKind::kMetricIdentifier) {
      if (auto message = NotAMetricName(token->text)) return SyntaxError{token->pos, *message};
      name = token->text;
      std::string ignored;
      matchers.push_back(*LabelMatcher::Make(MatchType::kEqual, "__name__", std::string(name), &ignored));
      token = lexer_.NextOutside(error);
      if (!token) return error;
    } else if (token->kind != TokenKind::kLeftBrace) {
      return SyntaxError{token->pos, "unexpected " + Describe(*token)};
    }
    if (token->kind == TokenKind::kLeftBrace) {
      if (auto braces_error = ParseBraces(matchers)) return braces_error;
      token = lexer_.NextOutside(error);
      if (!token) return error;
    }
    if (token->kind != TokenKind::kEnd) return SyntaxError{token->pos, "unexpected " + Describe(*token)};

    if (!name.empty()) {
      for (std::size_t i = 1; i < matchers.size(); ++i) {
        if (matchers[i].name() == "__name__") {
          return SyntaxError{start, "metric name must not be set twice: " + GoQuote(name) + " or " + GoQuote(matchers[i].value())};
        }
      }
      return std::nullopt;
    }
    for (const LabelMatcher& matcher : matchers) {
      if (!matcher.MatchesEmpty()) return std::nullopt;
    }
    return SyntaxError{start, "vector selector must contain at least one non-empty matcher"};
  }

  // After '{': matchers up to '}', a trailing comma allowed.
  std::optional<SyntaxError> ParseBraces(Matchers& matchers) {
    std::optional<SyntaxError> error;
    std::optional<Token> token = lexer_.NextInside(error);
    if (!token) return error;
    if (token->kind == TokenKind::kRightBrace) return std::nullopt;
    while (true) {
      if (token->kind != TokenKind::kIdentifier) {
        return SyntaxError{token->pos, "unexpected " + Describe(*token) + " in label matching, expected identifier or \"}\""};
      }
      Token label = *token;
      token = lexer_.NextInside(error);
      if (!token) return error;
      std::optional<MatchType> type = token->kind == TokenKind::kOperator ? MatchTypeOf(token->text) : std::nullopt;
      if (!type) {
        return SyntaxError{token->pos, "unexpected " + Describe(*token) + " in label matching, expected label matching operator"};
      }
      token = lexer_.NextInside(error);
      if (!token) return error;
      if (token->kind != TokenKind::kString) {
        return SyntaxError{token->pos, "unexpected " + Describe(*token) + " in label matching, expected string"};
      }
      std::string regex_error;
      std::optional<LabelMatcher> matcher =
          LabelMatcher::Make(*type, std::string(label.text), Unquote(token->text), &regex_error);
      if (!matcher) return SyntaxError{label.pos, regex_error};
      matchers.push_back(std::move(*matcher));

      token = lexer_.NextInside(error);
      if (!token) return error;
      if (token->kind == TokenKind::kRightBrace) return std::nullopt;
      if (token->kind != TokenKind::kComma) {
        return SyntaxError{token->pos, "unexpected " + Describe(*token) + " in label matching, expected \",\" or \"}\""};
      }
      token = lexer_.NextInside(error);
      if (!token) return error;
      if (token->kind == TokenKind::kRightBrace) return std::nullopt;  // trailing comma
    }
  }

  // "line:column: parse error: message", as Prometheus's ParseErr prints itself.
  std::string Format(const SyntaxError& error) const {
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < error.pos && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    return std::to_string(line) + ":" + std::to_string(error.pos - line_start + 1) + ": parse error: " + error.message;
  }

  std::string_view text_;
  Lexer lexer_;
};

}  // namespace

SelectorParseResult ParseSeriesSelector(std::string_view text) { return Parser(text).Parse(); }

}  // namespace metricsd::storage
