#include "daemon/core/yaml_quotes.h"

#include <cctype>

namespace metricsd {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsBreakOrEnd(std::string_view text, std::size_t i) {
  return i >= text.size() || text[i] == '\n' || text[i] == '\r';
}
bool IsBlankOrEnd(std::string_view text, std::size_t i) {
  return IsBreakOrEnd(text, i) || IsBlank(text[i]);
}
bool IsFlowIndicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

// Leading spaces of the line starting at `begin`.
int IndentAt(std::string_view text, std::size_t begin) {
  int indent = 0;
  while (begin + indent < text.size() && text[begin + indent] == ' ') ++indent;
  return indent;
}

// True when the line (from its first non-space) starts a block mapping key (`name:` then a
// blank or the end), a sequence entry (`- ` or a lone `-`) or a document marker: what a
// string swallowing it most likely lost.
bool StartsNewEntry(std::string_view line) {
  if (line.starts_with("---") || line.starts_with("...")) return true;
  if (line.starts_with('-') && (line.size() == 1 || IsBlank(line[1]) || line[1] == '\r')) {
    return true;
  }
  std::size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' ||
                             line[i] == '-' || line[i] == '.')) {
    ++i;
  }
  return i > 0 && i < line.size() && line[i] == ':' &&
         (i + 1 == line.size() || IsBlank(line[i + 1]) || line[i + 1] == '\r');
}

std::string_view LineAt(std::string_view text, std::size_t begin) {
  std::size_t end = text.find('\n', begin);
  return text.substr(begin, end == std::string_view::npos ? end : end - begin);
}

}  // namespace

std::optional<YamlQuoteProblem> FindUnclosedQuote(std::string_view text) {
  std::size_t i = 0;
  int line = 0;
  std::size_t line_begin = 0;
  int line_indent = IndentAt(text, 0);
  // True where a new scalar may begin, so a quote there opens a quoted scalar; a quote
  // anywhere else (`it's`) is an ordinary character of a plain scalar.
  bool token_start = true;
  int flow_depth = 0;
  // Column of the key or sequence dash a block scalar (`|`, `>`) belongs to: its content is
  // every following line indented further (or blank).
  int parent_column = -1;
  int token_column = -1;
  bool after_quoted = false;  // the last token was a quoted scalar (JSON-style `"a":"b"`)

  auto new_line = [&](std::size_t next) {
    ++line;
    line_begin = next;
    line_indent = IndentAt(text, next);
    token_start = true;
    parent_column = -1;
    after_quoted = false;
  };

  while (i < text.size()) {
    char c = text[i];
    int column = static_cast<int>(i - line_begin);
    if (c == '\n') {
      new_line(++i);
      continue;
    }
    if (IsBlank(c) || c == '\r') {
      ++i;
      continue;
    }
    bool preceded_by_blank = i == line_begin || IsBlank(text[i - 1]);
    if (c == '#' && preceded_by_blank) {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (token_start && (c == '"' || c == '\'')) {
      int open_line = line, open_column = column, open_indent = line_indent;
      // A string that starts its line may continue at that same indentation (it is the value
      // of the key above); one after `key:` or `- ` must continue further right.
      int limit = column == line_indent ? open_indent - 1 : open_indent;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char q = text[i];
        if (q == '\n') {
          new_line(++i);
          std::string_view next = LineAt(text, i).substr(static_cast<std::size_t>(line_indent));
          if (line_indent <= limit && StartsNewEntry(next)) {
            return YamlQuoteProblem{
                open_line, open_column,
                // The swallowed line is not echoed: it may hold a secret.
                std::string("quoted string is not closed before line ") +
                    std::to_string(line + 1) +
                    ", which starts a new entry but would be read as part of the string; "
                    "add the closing " + c};
          }
          continue;
        }
        if (c == '"' && q == '\\') {
          i += 2;
          continue;
        }
        if (q == c) {
          if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {  // '' is a quote
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        ++i;
      }
      if (!closed) {
        return YamlQuoteProblem{open_line, open_column,
                                std::string("quoted string is not closed before the end of the "
                                            "file; add the closing ") + c};
      }
      token_column = open_column;
      token_start = false;
      after_quoted = true;
      continue;
    }
    if (token_start && flow_depth == 0 && (c == '|' || c == '>')) {
      // A block scalar header: indicators, then only blanks or a comment.
      std::size_t j = i + 1;
      while (j < text.size() && (text[j] == '+' || text[j] == '-' || std::isdigit(static_cast<unsigned char>(text[j])))) ++j;
      if (IsBlankOrEnd(text, j)) {
        while (i < text.size() && text[i] != '\n') ++i;  // the rest of the header line
        while (i < text.size()) {  // content: blank lines and lines indented past the parent
          std::size_t next = i + 1;
          std::string_view content = LineAt(text, next);
          bool blank = content.find_first_not_of(" \t\r") == std::string_view::npos;
          if (next >= text.size() || (!blank && IndentAt(text, next) <= parent_column)) break;
          ++line;
          line_begin = next;
          i = next + content.size();
        }
        if (i < text.size()) new_line(++i);
        continue;
      }
    }
    if (i == line_begin && text.substr(i, 3) == "---" && IsBlankOrEnd(text, i + 3)) {
      i += 3;  // a document start; a node may follow on the same line
      continue;
    }
    if (c == '-' && token_start && IsBlankOrEnd(text, i + 1)) {  // a sequence entry
      parent_column = column;
      ++i;
      continue;
    }
    if (c == '?' && token_start && IsBlankOrEnd(text, i + 1)) {  // a complex key
      ++i;
      continue;
    }
    if (c == ':' && (IsBlankOrEnd(text, i + 1) ||
                     (flow_depth > 0 && (after_quoted || IsFlowIndicator(text[i + 1]))))) {
      parent_column = token_column;
      token_start = true;
      after_quoted = false;
      ++i;
      continue;
    }
    if ((c == '&' || c == '!') && token_start) {  // an anchor or a tag, then the node
      while (!IsBlankOrEnd(text, i)) ++i;
      continue;
    }
    if (token_start && (c == '[' || c == '{')) {
      ++flow_depth;
      ++i;
      continue;
    }
    if (flow_depth > 0 && (c == ']' || c == '}')) {
      --flow_depth;
      token_start = false;
      after_quoted = false;
      ++i;
      continue;
    }
    if (flow_depth > 0 && c == ',') {
      token_start = true;
      after_quoted = false;
      ++i;
      continue;
    }
    // A plain scalar's character (a key, a value, `*alias`, `---`).
    if (token_start) token_column = column;
    token_start = false;
    after_quoted = false;
    ++i;
  }
  return std::nullopt;
}

}  // namespace metricsd
