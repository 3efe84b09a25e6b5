#include "daemon/core/database_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace metricsd {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

std::string MakeDirectories(const std::string& directory) {
  struct stat st {};
  if (::stat(directory.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode) ? "" : "exists and is not a directory";
  }
  for (std::size_t end = directory.find('/', 1);; end = directory.find('/', end + 1)) {
    const std::string prefix = directory.substr(0, end);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), 0750) != 0 && errno != EEXIST) {
      return std::string("cannot create directory: ") + std::strerror(errno);
    }
    if (end == std::string::npos) break;
  }
  if (::stat(directory.c_str(), &st) != 0) {
    return std::string("cannot create directory: ") + std::strerror(errno);
  }
  return S_ISDIR(st.st_mode) ? "" : "exists and is not a directory";
}

std::string MoveDatabaseAside(const std::string& path, std::string* moved_to) {
  const std::string base = path + ".corrupt-" + std::to_string(std::time(nullptr));
  std::string target = base;
  for (int n = 2; n < 1000 && (Exists(target) || Exists(target + "-wal")); ++n) {
    target = base + "." + std::to_string(n);
  }
  if (Exists(target)) return "cannot move it aside: " + target + " exists";
  for (const char* suffix : {"-wal", "-shm", ""}) {
    if (::rename((path + suffix).c_str(), (target + suffix).c_str()) != 0 && errno != ENOENT) {
      return "cannot move " + path + suffix + " aside to " + target + suffix + ": " +
             std::strerror(errno);
    }
  }
  // Make the renames durable before a fresh file takes the name.
  const std::string directory = path.substr(0, path.find_last_of('/') + 1);
  if (int fd = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  *moved_to = target;
  return {};
}

}  // namespace metricsd
