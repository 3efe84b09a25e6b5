// Sysfs reading shared by the hardware collectors (see hardware_sysfs.h).
#include "collectors/host/hardware_sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "daemon/core/proc_file.h"

namespace metricsd::host::hardware {

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

std::string_view TrimSpace(std::string_view text) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
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

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t value = 0;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);  // ParseInt accepts a sign
  if (text.empty() || text.front() == '+') return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> ReadUintFile(const std::string& path, int& error) {
  SysText file = ReadSysText(path, 4096);
  error = file.error;
  if (!file.ok()) return std::nullopt;
  std::string_view text = TrimSpace(file.text);
  std::optional<std::uint64_t> value = ParseUint(text);
  if (!value) throw CollectError(path + ": bad number \"" + std::string(text) + "\"");
  return value;
}

std::optional<std::int64_t> ReadIntFile(const std::string& path, int& error) {
  SysText file = ReadSysText(path, 4096);
  error = file.error;
  if (!file.ok()) return std::nullopt;
  std::string_view text = TrimSpace(file.text);
  std::optional<std::int64_t> value = ParseInt(text);
  if (!value) throw CollectError(path + ": bad number \"" + std::string(text) + "\"");
  return value;
}

std::optional<std::vector<std::string>> ListDir(const std::string& dir, int& error) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    error = errno;
    return std::nullopt;
  }
  error = 0;
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> NumberedEntries(const std::string& dir, std::string_view prefix) {
  int error = 0;
  std::optional<std::vector<std::string>> names = ListDir(dir, error);
  if (!names) return {};
  std::vector<std::string> out;
  for (std::string& name : *names) {
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        name[prefix.size()] >= '0' && name[prefix.size()] <= '9') {
      out.push_back(std::move(name));
    }
  }
  return out;
}

}  // namespace metricsd::host::hardware
