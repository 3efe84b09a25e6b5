// Structured logging to stderr: one logfmt (or JSON) line per event, with ts, level, msg and
// fields, written with a single write(2) so lines from several threads never interleave.
// journald keeps stderr when run under systemd.
//
// Thread-safety: thread-safe; configure once at start-up with SetLogLevel/SetLogFormat (also
// safe later).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/enum_table.h"

namespace metricsd {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kLogfmt, kJson };
// --log.level and --log.format spellings (also the `level=` a log line carries).
inline constexpr EnumTable<LogLevel, 4> kLogLevelNames{{{
    {LogLevel::kDebug, "debug"},
    {LogLevel::kInfo, "info"},
    {LogLevel::kWarn, "warn"},
    {LogLevel::kError, "error"},
}}};
inline constexpr EnumTable<LogFormat, 2> kLogFormatNames{{{
    {LogFormat::kLogfmt, "logfmt"},
    {LogFormat::kJson, "json"},
}}};

std::optional<LogLevel> ParseLogLevel(std::string_view text);
std::optional<LogFormat> ParseLogFormat(std::string_view text);

void SetLogLevel(LogLevel level);
void SetLogFormat(LogFormat format);

struct LogField {
  std::string_view key;
  std::string value;
};
using LogFields = std::initializer_list<LogField>;

// Formats one line (without writing it); exposed for tests.
std::string FormatLogLine(LogFormat format, LogLevel level, std::string_view msg,
                          LogFields fields);

void Log(LogLevel level, std::string_view msg, LogFields fields = {});
inline void LogDebug(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kDebug, msg, fields); }
inline void LogInfo(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kInfo, msg, fields); }
inline void LogWarn(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kWarn, msg, fields); }
inline void LogError(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kError, msg, fields); }

}  // namespace metricsd
