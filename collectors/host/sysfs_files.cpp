// The shared sysfs/procfs helpers of sysfs_files.h.
#include "collectors/host/sysfs_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace metricsd::host::sysfs {
namespace {

// A digit's value in any base up to 36; 99 for anything else, which no base accepts.
int GoDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Go's underscoreOK: with base 0, '_' may only sit between digits or after the base prefix.
bool GoUnderscoresOk(std::string_view text) {
  char saw = '^';  // '^' start, '0' digit or prefix, '_' underscore, '!' other
  std::size_t i = 0;
  bool hex = false;
  if (text.size() >= 2 && text[0] == '0') {
    char p = static_cast<char>(text[1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      hex = p == 'x';
      i = 2;
      saw = '0';
    }
  }
  for (; i < text.size(); ++i) {
    char c = text[i];
    if ((c >= '0' && c <= '9') || (hex && GoDigitValue(c) < 16)) {
      saw = '0';
    } else if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
    } else {
      if (saw == '_') return false;
      saw = '!';
    }
  }
  return saw != '_';
}

}  // namespace

std::string_view TrimSpace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  std::size_t start = text.find_first_not_of(kSpace);
  if (start == std::string_view::npos) return {};
  return text.substr(start, text.find_last_not_of(kSpace) - start + 1);
}

std::optional<std::uint64_t> ParseGoUint(std::string_view text, int base, int bits) {
  if (text.empty()) return std::nullopt;
  bool underscores = false;
  if (base == 0) {
    if (!GoUnderscoresOk(text)) return std::nullopt;
    base = 10;
    if (text[0] == '0') {
      char p = text.size() >= 2 ? static_cast<char>(text[1] | 0x20) : '\0';
      if (text.size() >= 3 && p == 'x') {
        base = 16;
        text.remove_prefix(2);
      } else if (text.size() >= 3 && p == 'o') {
        base = 8;
        text.remove_prefix(2);
      } else if (text.size() >= 3 && p == 'b') {
        base = 2;
        text.remove_prefix(2);
      } else {
        base = 8;
        text.remove_prefix(1);
      }
    }
    underscores = true;
  }
  std::uint64_t max = bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c == '_' && underscores) continue;
    int digit = GoDigitValue(c);
    if (digit >= base) return std::nullopt;
    auto b = static_cast<std::uint64_t>(base);
    if (value > (max - static_cast<std::uint64_t>(digit)) / b) return std::nullopt;
    value = value * b + static_cast<std::uint64_t>(digit);
  }
  return value;
}

std::optional<std::int64_t> ParseGoInt(std::string_view text, int base, int bits) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::optional<std::uint64_t> magnitude = ParseGoUint(text, base);
  if (!magnitude) return std::nullopt;
  // 2^(bits-1): the largest negative magnitude, one past the largest positive value.
  const std::uint64_t limit = std::uint64_t{1} << (std::clamp(bits, 1, 64) - 1);
  if (negative) {
    if (*magnitude > limit) return std::nullopt;
    if (*magnitude == limit) return bits >= 64 ? INT64_MIN : -static_cast<std::int64_t>(limit);
    return -static_cast<std::int64_t>(*magnitude);
  }
  if (*magnitude >= limit) return std::nullopt;
  return static_cast<std::int64_t>(*magnitude);
}

std::size_t Utf8SequenceLength(std::string_view text) {
  if (text.empty()) return 0;
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_invalid_run = false;
  while (!text.empty()) {
    std::size_t length = Utf8SequenceLength(text);
    if (length == 0) {
      if (!in_invalid_run) out += "\xEF\xBF\xBD";  // U+FFFD
      in_invalid_run = true;
      text.remove_prefix(1);
      continue;
    }
    in_invalid_run = false;
    out.append(text.substr(0, length));
    text.remove_prefix(length);
  }
  return out;
}

bool DirListing::absent() const { return error == ENOENT || error == ENOTDIR; }

DirListing ListDir(const std::string& dir) {
  DirListing listing;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    listing.error = errno;
    return listing;
  }
  while (dirent* entry = ::readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool regular = entry->d_type == DT_REG;
    bool directory = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      // Some filesystems do not fill d_type; Go's ReadDir then lstats the entry.
      struct stat info {};
      bool known = ::lstat((dir + "/" + entry->d_name).c_str(), &info) == 0;
      regular = known && S_ISREG(info.st_mode);
      directory = known && S_ISDIR(info.st_mode);
    }
    listing.entries.push_back({std::string(name), regular, directory});
  }
  ::closedir(handle);
  std::sort(listing.entries.begin(), listing.entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return listing;
}

std::optional<std::vector<DirEntry>> ListDirUnlessAbsent(const std::string& dir) {
  DirListing listing = ListDir(dir);
  if (listing.absent()) return std::nullopt;
  if (!listing.ok()) throw CollectError(dir + ": " + std::strerror(listing.error));
  return std::move(listing.entries);
}

std::vector<DirEntry> RequireDir(const std::string& dir) {
  DirListing listing = ListDir(dir);
  if (!listing.ok()) throw CollectError(dir + ": " + std::strerror(listing.error));
  return std::move(listing.entries);
}

std::vector<std::string> NumberedEntries(const std::string& dir, std::string_view prefix) {
  std::vector<std::string> out;
  for (DirEntry& entry : ListDir(dir).entries) {
    const std::string& name = entry.name;
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        name[prefix.size()] >= '0' && name[prefix.size()] <= '9') {
      out.push_back(std::move(entry.name));
    }
  }
  return out;
}

SysText ReadSysText(const std::string& path, std::size_t limit) {
  SysText out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out.error = errno;
    return out;
  }
  out.text.resize(limit);
  ssize_t n;
  do {
    n = ::read(fd, out.text.data(), limit);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    out.error = errno;
    out.text.clear();
  } else {
    out.text.resize(static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

SysText ReadSysValue(const std::string& path, std::size_t limit) {
  SysText value = ReadSysText(path, limit);
  std::string_view trimmed = TrimSpace(value.text);
  if (trimmed.size() != value.text.size()) value.text = std::string(trimmed);
  return value;
}

std::string RequireSysValue(const std::string& path) {
  SysText value = ReadSysValue(path);
  if (!value.ok()) throw CollectError(path + ": " + std::strerror(value.error));
  return std::move(value.text);
}

bool SkippableSysError(int error) {
  return error == ENOENT || error == EINVAL || error == EOPNOTSUPP;
}

std::optional<std::uint64_t> ReadUintFile(const std::string& path, int& error) {
  SysText file = ReadSysValue(path, 4096);
  error = file.error;
  if (!file.ok()) return std::nullopt;
  std::optional<std::uint64_t> value = ParseUint(file.text);
  if (!value) throw CollectError(path + ": bad number \"" + file.text + "\"");
  return value;
}

std::optional<std::int64_t> ReadIntFile(const std::string& path, int& error) {
  SysText file = ReadSysValue(path, 4096);
  error = file.error;
  if (!file.ok()) return std::nullopt;
  std::optional<std::int64_t> value = ParseGoInt(file.text, 10);
  if (!value) throw CollectError(path + ": bad number \"" + file.text + "\"");
  return value;
}

const std::string* ReadUnlessAbsent(CachedFile& file) {
  try {
    return &file.Read();
  } catch (const CollectError&) {
    // Only a failed read pays for this second look; errno is gone by the time we catch.
    if (::access(file.path().c_str(), F_OK) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
      return nullptr;
    }
    throw;
  }
}

}  // namespace metricsd::host::sysfs
