#include "daemon/export/queue_position.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace metricsd::remote {

namespace fs = std::filesystem;

namespace {

bool SafeFileNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::string FileNameOf(const std::string& name) {
  bool safe = !name.empty() && name.front() != '.' && name.size() <= 200;
  for (char c : name) safe = safe && SafeFileNameChar(c);
  if (safe) return name;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "x-";
  for (unsigned char c : name.substr(0, 100)) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string ErrnoText(const std::string& what, const std::string& path, int error) {
  return what + " " + path + ": " + std::strerror(error);
}

// JSON string escaping for the name (only for humans reading the file; never parsed back).
std::string JsonQuoted(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::string PositionFilePath(const std::string& state_directory, const std::string& remote_name) {
  return (fs::path(state_directory) / "remote_write" / (FileNameOf(remote_name) + ".json")).string();
}

std::optional<storage::Timestamp> LoadPosition(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    if (errno != ENOENT && error != nullptr) *error = ErrnoText("cannot open", path, errno);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string body = text.str();
  static constexpr std::string_view kKey = "\"position_ms\"";
  std::size_t at = body.find(kKey);
  if (at != std::string::npos) {
    at = body.find(':', at + kKey.size());
    if (at != std::string::npos) {
      ++at;
      while (at < body.size() && (body[at] == ' ' || body[at] == '\t' || body[at] == '\n')) ++at;
      storage::Timestamp value = 0;
      auto [end, ec] = std::from_chars(body.data() + at, body.data() + body.size(), value);
      if (ec == std::errc() && end != body.data() + at) return value;
    }
  }
  if (error != nullptr) *error = "no position_ms in " + path;
  return std::nullopt;
}

bool SavePosition(const std::string& path, const std::string& remote_name,
                  storage::Timestamp position, std::string* error) {
  fs::path target(path);
  fs::path directory = target.parent_path();
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) {
    if (error != nullptr) *error = "cannot create " + directory.string() + ": " + ec.message();
    return false;
  }
  std::string body = "{\"remote_name\": " + JsonQuoted(remote_name) +
                     ", \"position_ms\": " + std::to_string(position) + "}\n";
  // A dot file beside the target: rename is atomic within one file system.
  fs::path temporary = directory / ("." + target.filename().string() + ".tmp");
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (error != nullptr) *error = ErrnoText("cannot create", temporary.string(), errno);
    return false;
  }
  std::size_t written = 0;
  while (written < body.size()) {
    ssize_t n = ::write(fd, body.data() + written, body.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      if (error != nullptr) *error = ErrnoText("cannot write", temporary.string(), saved);
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  // Synced before the rename, so a crash leaves the old file or the whole new one.
  bool synced = ::fsync(fd) == 0;
  int sync_error = errno;
  if (::close(fd) != 0 || !synced) {
    ::unlink(temporary.c_str());
    if (error != nullptr) *error = ErrnoText("cannot sync", temporary.string(), synced ? errno : sync_error);
    return false;
  }
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    if (error != nullptr) *error = ErrnoText("cannot rename into", path, saved);
    return false;
  }
  return true;
}

}  // namespace metricsd::remote
