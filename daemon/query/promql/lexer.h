// PromQL's lexer, token for token Prometheus 2.42's promql/parser/lex.go: the same token kinds,
// the same context rules (inside braces, inside brackets) and the same error texts. Tokens are
// views into the query text: lexing allocates nothing but an error message.
//
// Thread-safety: a Lexer is used by one thread; distinct Lexers are independent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace metricsd::query::promql {

enum class TokenType : std::uint8_t {
  kError, kEof, kComment, kIdentifier, kMetricIdentifier, kLeftParen, kRightParen, kLeftBrace,
  kRightBrace, kLeftBracket, kRightBracket, kComma, kEql, kColon, kSemicolon, kString, kNumber,
  kDuration, kAt,
  // Operators.
  kAdd, kSub, kMul, kMod, kDiv, kEqlc, kNeq, kLte, kLss, kGte, kGtr, kEqlRegex, kNeqRegex, kPow,
  kLand, kLor, kLunless, kAtan2,
  // Aggregators.
  kAvg, kBottomk, kCount, kCountValues, kGroup, kMax, kMin, kQuantile, kStddev, kStdvar, kSum,
  kTopk,
  // Keywords.
  kBool, kBy, kGroupLeft, kGroupRight, kIgnoring, kOffset, kOn, kWithout,
  // @ modifier preprocessors.
  kStart, kEnd,
};

bool IsOperatorToken(TokenType t);
bool IsAggregatorToken(TokenType t);
bool IsKeywordToken(TokenType t);

struct Token {
  TokenType type = TokenType::kEof;
  int pos = 0;            // byte offset of the first byte
  std::string_view text;  // the token's bytes (for kError: empty; see Lexer::error())

  int end() const { return pos + static_cast<int>(text.size()); }
};

// How Prometheus's parser names a token in "unexpected ..." messages (Item.desc()):
// `identifier "foo"`, `number "1"`, `<op:*>`, `<by>`, `<aggr:sum>`, `"("`, `end of input`.
std::string DescribeToken(const Token& token);

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  // The next token (comments included). After kError or kEof, returns kEof.
  Token Next();
  // The message of the last kError token.
  const std::string& error() const { return error_; }
  // Where the last kError token's text started (Prometheus reports the error there).
  int error_pos() const { return error_pos_; }

 private:
  enum class State { kStatements, kInsideBraces, kDuration, kDone };

  Token LexStatements();
  Token LexInsideBraces();
  Token LexDuration();
  Token LexString(char quote);
  Token LexRawString();
  Token LexNumberOrDuration();
  Token LexKeywordOrIdentifier();
  Token LexIdentifier();
  Token LexComment();
  bool LexEscape(char quote);  // false: error set
  bool ScanNumber();
  bool AcceptRemainingDuration();

  Token Emit(TokenType type);
  Token Error(std::string message);

  int Peek() const;  // next byte, or -1 at the end
  int NextRune();    // next code point (U+FFFD for bad UTF-8), or -1 at the end
  void Backup();     // undoes the last NextRune()
  void SkipSpaces();
  bool Accept(std::string_view valid);
  void AcceptRun(std::string_view valid);

  std::string_view input_;
  int pos_ = 0;
  int start_ = 0;
  int width_ = 0;  // of the last NextRune()
  State state_ = State::kStatements;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool got_colon_ = false;
  std::string error_;
  int error_pos_ = 0;
};

// Go's strconv.Quote (fmt's %q for strings): printable UTF-8 kept, everything else escaped
// (\n, \xff for bytes that are not UTF-8, \u2028 for unprintable code points).
std::string GoQuote(std::string_view s);
// Go's strconv.QuoteRune-style quoting of one code point ('x', '\n', '\x00'), as lex.go's %q.
std::string QuoteRune(std::uint32_t rune);
// Decodes one UTF-8 code point at `pos` as Go's utf8.DecodeRuneInString: invalid input gives
// U+FFFD with width 1.
std::uint32_t DecodeRune(std::string_view s, int pos, int* width);
// Appends `rune` to `out` as UTF-8 (string literals' \u and \U escapes).
void AppendUtf8(std::string& out, std::uint32_t rune);

}  // namespace metricsd::query::promql
