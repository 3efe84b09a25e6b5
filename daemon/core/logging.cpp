#include "daemon/core/logging.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace metricsd {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kLogfmt};

std::string_view LevelName(LogLevel level) { return kLogLevelNames.Name(level); }

// RFC 3339 UTC with milliseconds, as Prometheus's own logs write it.
std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];  // room for any int the compiler cannot rule out
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis.count()));
  return buf;
}

// A double-quoted string with \", \\, \n, \t and other control characters escaped: valid
// JSON, and what logfmt readers accept.
void AppendQuoted(std::string& out, std::string_view value) {
  out.push_back('"');
  for (char c : value) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out.append(buf);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// logfmt quotes a value with spaces, quotes, '=' or control characters.
void AppendLogfmtValue(std::string& out, std::string_view value) {
  bool quote = value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out.append(value);
    return;
  }
  AppendQuoted(out, value);
}


}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view text) { return kLogLevelNames.Parse(text); }

std::optional<LogFormat> ParseLogFormat(std::string_view text) {
  return kLogFormatNames.Parse(text);
}

void SetLogLevel(LogLevel level) { g_level = level; }
void SetLogFormat(LogFormat format) { g_format = format; }

std::string FormatLogLine(LogFormat format, LogLevel level, std::string_view msg,
                          LogFields fields) {
  std::string line;
  line.reserve(128);
  if (format == LogFormat::kJson) {
    line.append("{\"ts\":");
    AppendQuoted(line, Timestamp());
    line.append(",\"level\":");
    AppendQuoted(line, LevelName(level));
    line.append(",\"msg\":");
    AppendQuoted(line, msg);
    for (const LogField& field : fields) {
      line.push_back(',');
      AppendQuoted(line, field.key);
      line.push_back(':');
      AppendQuoted(line, field.value);
    }
    line.append("}\n");
    return line;
  }
  line.append("ts=").append(Timestamp());
  line.append(" level=").append(LevelName(level));
  line.append(" msg=");
  AppendLogfmtValue(line, msg);
  for (const LogField& field : fields) {
    line.push_back(' ');
    line.append(field.key).push_back('=');
    AppendLogfmtValue(line, field.value);
  }
  line.push_back('\n');
  return line;
}

void Log(LogLevel level, std::string_view msg, LogFields fields) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  std::string line = FormatLogLine(g_format.load(std::memory_order_relaxed), level, msg, fields);
  // One write per line keeps concurrent lines whole (stderr is unbuffered, but fwrite may split).
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n <= 0) return;  // nowhere to report a failing stderr
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace metricsd
