// Sysfs reading as node_exporter 1.5's hardware collectors (cpufreq, dmi, edac, hwmon, rapl,
// thermal_zone) and prometheus/procfs v0.8.0 do it, shared by those collectors: one bounded
// read per attribute, Go's TrimSpace and ToValidUTF8, and directory globs like "cpu[0-9]*".
//
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace metricsd::host::hardware {

// The text of one attribute, or the errno that stopped it (ENOENT, EACCES, ENODATA...).
struct SysText {
  std::string text;
  int error = 0;
  bool ok() const { return error == 0; }
};

// open(2) and a single read(2) of at most `limit` bytes, as procfs's util.SysReadFile and
// hwmon's sysReadFile do: some hwmon drivers answer EAGAIN forever, so there is no retry loop,
// and a sysfs attribute is produced in one read anyway.
SysText ReadSysText(const std::string& path, std::size_t limit = 128);

// Go's strings.TrimSpace on sysfs text (ASCII white space at both ends).
std::string_view TrimSpace(std::string_view text);

// Go's strings.ToValidUTF8(text, "\uFFFD"): each run of bytes that are not valid UTF-8
// becomes one U+FFFD, so label values are always valid UTF-8.
std::string ToValidUtf8(std::string_view text);

// Length of the valid UTF-8 sequence at the start of `text` (Go's utf8.DecodeRune rules: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 when it is invalid or empty.
std::size_t Utf8SequenceLength(std::string_view text);

// procfs's util.ReadUintFromFile / node_exporter's readUintFromFile: the file's trimmed text as
// a base-10 uint64. nullopt with `error` set to the errno when the file cannot be read; throws
// CollectError naming the path when it holds something else.
std::optional<std::uint64_t> ReadUintFile(const std::string& path, int& error);
// The same for int64 (util.ReadIntFromFile, strconv.ParseInt).
std::optional<std::int64_t> ReadIntFile(const std::string& path, int& error);
// Whole-string base-10 int64 (Go's strconv.ParseInt(text, 10, 64)).
std::optional<std::int64_t> ParseInt(std::string_view text);

// The names in `dir` that Go's filepath.Glob(dir + "/" + prefix + "[0-9]*") matches (the prefix,
// then a digit, then anything), sorted. Empty when `dir` cannot be listed: node_exporter's
// Glob ignores I/O errors, so a host without the directory has nothing to report.
std::vector<std::string> NumberedEntries(const std::string& dir, std::string_view prefix);

// The entry names of `dir` (without "." and ".."), sorted as os.ReadDir returns them; nullopt
// with `error` set when it cannot be opened.
std::optional<std::vector<std::string>> ListDir(const std::string& dir, int& error);

}  // namespace metricsd::host::hardware
