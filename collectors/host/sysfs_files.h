// The file and number helpers the node_exporter collectors of /sys and /proc share, written
// after prometheus/procfs's util package (SysReadFile, ReadUintFromFile, ValueParser) and the
// Go standard library calls node_exporter makes (strings.TrimSpace, strconv.ParseUint/ParseInt,
// strings.ToValidUTF8, os.ReadDir, filepath.Glob). Whole-file reads, line splitting and base-10
// parsing are daemon/core/proc_file.h's; this adds what procfs does differently.
//
// The names live in metricsd::host::sysfs so that collectors' own helpers (cpu.cpp has a
// TrimSpace of its own) never meet them in a unity build.
//
// Thread-safety: pure functions over the filesystem, safe from any thread, except
// ReadUnlessAbsent, which uses the caller's CachedFile (not thread-safe; its owner's thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/proc_file.h"

namespace metricsd::host::sysfs {

// --- text and numbers

// Go's strings.TrimSpace for the ASCII white space the kernel writes.
std::string_view TrimSpace(std::string_view text);

// strconv.ParseUint(text, base, bits): base 16 takes bare hex digits, base 10 decimal digits,
// base 0 a 0x/0o/0b prefix or a leading 0 for octal (and underscores between digits, as Go
// allows then). nullopt on any stray character, a sign, or a value over `bits` bits.
std::optional<std::uint64_t> ParseGoUint(std::string_view text, int base, int bits = 64);
// strconv.ParseInt(text, base, bits): ParseGoUint with an optional sign, in the signed range.
std::optional<std::int64_t> ParseGoInt(std::string_view text, int base, int bits = 64);

// Go's strings.ToValidUTF8(text, "\uFFFD"): each run of bytes that are not valid UTF-8
// becomes one U+FFFD, so label values are always valid UTF-8.
std::string ToValidUtf8(std::string_view text);
// Length of the valid UTF-8 sequence at the start of `text` (Go's utf8.DecodeRune rules: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 when it is invalid or empty.
std::size_t Utf8SequenceLength(std::string_view text);

// --- directories

struct DirEntry {
  std::string name;
  // A regular file, as Go's DirEntry.Type().IsRegular(): d_type, or lstat(2) where the
  // filesystem leaves d_type DT_UNKNOWN. A symlink to a file is not regular.
  bool regular = false;
  // A real directory, not a symlink to one (Go's DirEntry.IsDir), by the same d_type or lstat.
  bool directory = false;
};

// A directory's entries sorted by name (os.ReadDir's order, which procfs and node_exporter
// depend on for indexes), without "." and "..", or the errno that stopped the listing.
struct DirListing {
  std::vector<DirEntry> entries;  // empty when error != 0
  int error = 0;
  bool ok() const { return error == 0; }
  // The directory does not exist: the kernel lacks the feature, nothing to report.
  bool absent() const;
};
DirListing ListDir(const std::string& dir);

// The entries, nullopt when the directory is absent; CollectError on any other failure
// (procfs's class readers: no class directory is no data, an unreadable one an error).
std::optional<std::vector<DirEntry>> ListDirUnlessAbsent(const std::string& dir);
// The entries; CollectError on any failure, absence included (a device's own subdirectory).
std::vector<DirEntry> RequireDir(const std::string& dir);

// The names in `dir` that Go's filepath.Glob(dir + "/" + prefix + "[0-9]*") matches (the
// prefix, then a digit, then anything), sorted. Empty when `dir` cannot be listed: Glob
// ignores I/O errors, so a host without the directory has nothing to report.
std::vector<std::string> NumberedEntries(const std::string& dir, std::string_view prefix);

// --- attribute files

// The text of one attribute, or the errno that stopped it (ENOENT, EACCES, ENODATA...).
struct SysText {
  std::string text;
  int error = 0;
  bool ok() const { return error == 0; }
};

// open(2) and a single read(2) of at most `limit` bytes, as procfs's util.SysReadFile and
// hwmon's sysReadFile do: some hwmon drivers answer EAGAIN forever, so there is no retry loop,
// and a sysfs attribute is produced in one read anyway. The text is as read (hwmon trims
// only newlines).
SysText ReadSysText(const std::string& path, std::size_t limit = 128);
// ReadSysText with the text TrimSpace'd, as util.SysReadFile returns it.
SysText ReadSysValue(const std::string& path, std::size_t limit = 128);
// ReadSysValue's text; CollectError naming the path and errno's reason on any failure.
std::string RequireSysValue(const std::string& path);

// The errors procfs skips for attribute files in a statistics directory: absent, or
// write-only (EINVAL, EOPNOTSUPP).
bool SkippableSysError(int error);

// procfs's util.ReadUintFromFile / node_exporter's readUintFromFile: the file's trimmed text as
// a base-10 uint64. nullopt with `error` set to the errno when the file cannot be read; throws
// CollectError naming the path when it holds something else.
std::optional<std::uint64_t> ReadUintFile(const std::string& path, int& error);
// The same for int64 (util.ReadIntFromFile, strconv.ParseInt(text, 10, 64)).
std::optional<std::int64_t> ReadIntFile(const std::string& path, int& error);

// --- procfs files

// The file's text, or null when it does not exist (the kernel lacks the feature or the
// module is not loaded: node_exporter's "no data"). Any other failure throws CollectError.
const std::string* ReadUnlessAbsent(CachedFile& file);

}  // namespace metricsd::host::sysfs
