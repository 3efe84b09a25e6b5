// node_exporter's os collector: node_os_info and node_os_version from <rootfs>/etc/os-release,
// or <rootfs>/usr/lib/os-release when the first does not exist (os_release.go). The file is
// parsed again only when its path or mtime changes, as node_exporter caches it.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

// KEY=value lines as hashicorp/go-envparse reads them: blank lines and # comments skipped, an
// optional "export ", values bare (to an unquoted " #"), in double quotes (backslash escapes) or
// in single quotes (literal). Throws CollectError on a line it cannot read.
std::map<std::string, std::string, std::less<>> ParseEnvFile(const std::string& path,
                                                             std::string_view text) {
  std::map<std::string, std::string, std::less<>> env;
  LineReader lines(text);
  std::string_view line;
  int number = 0;
  auto fail = [&](std::string_view why) {
    throw CollectError(path + ":" + std::to_string(number) + ": " + std::string(why));
  };
  while (lines.Next(line)) {
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ")) line.remove_prefix(7);
    std::size_t equals = line.find('=');
    if (equals == std::string_view::npos || equals == 0) fail("expected KEY=value");
    std::string_view key = line.substr(0, equals);
    for (char c : key) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '_';
      if (!ok) fail("invalid key");
    }
    std::string_view raw = line.substr(equals + 1);
    std::string value;
    if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
      char quote = raw.front();
      std::size_t i = 1;
      bool closed = false;
      for (; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && i + 1 < raw.size()) {
          char next = raw[++i];
          value.push_back(next == 'n' ? '\n' : next);
          continue;
        }
        value.push_back(c);
      }
      if (!closed) fail("unterminated quote");
      std::string_view after = raw.substr(i + 1);
      while (!after.empty() && (after.front() == ' ' || after.front() == '\t')) {
        after.remove_prefix(1);
      }
      if (!after.empty() && after.front() != '#') fail("text after the closing quote");
    } else {
      std::size_t comment = raw.find(" #");
      value = std::string(raw.substr(0, comment));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    }
    env[std::string(key)] = std::move(value);
  }
  return env;
}

// versionRegex `^[0-9]+\.?[0-9]*` of VERSION_ID as a number; 0 when it does not match.
double MajorMinor(std::string_view version_id) {
  std::size_t end = 0;
  while (end < version_id.size() && version_id[end] >= '0' && version_id[end] <= '9') ++end;
  if (end == 0) return 0;
  if (end < version_id.size() && version_id[end] == '.') {
    ++end;
    while (end < version_id.size() && version_id[end] >= '0' && version_id[end] <= '9') ++end;
  }
  std::string_view prefix = version_id.substr(0, end);
  if (prefix.back() == '.') prefix.remove_suffix(1);  // Go's ParseFloat accepts "20.", ours not
  return ParseDouble(prefix).value_or(0);
}

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class OsCollector final : public HostCollector {
 public:
  explicit OsCollector(const HostConfig& config) {
    // node_exporter concatenates: *rootfsPath + "/etc/os-release".
    for (std::string_view file : {"/etc/os-release", "/usr/lib/os-release"}) {
      files_.push_back(config.paths.rootfs + std::string(file));
    }
  }

  std::string_view Name() const override { return "os"; }

  void Collect(FamilySet& out) override {
    struct stat info {};
    const std::string* found = nullptr;
    for (const std::string& file : files_) {
      if (stat(file.c_str(), &info) == 0) {
        found = &file;
        break;
      }
      if (errno != ENOENT && errno != ENOTDIR) {
        throw CollectError(file + ": " + std::strerror(errno));
      }
    }
    if (found == nullptr) return;  // "no os-release file found"
    if (*found != cached_path_ || info.st_mtim.tv_sec != cached_mtime_.tv_sec ||
        info.st_mtim.tv_nsec != cached_mtime_.tv_nsec) {
      Load(*found);
      cached_path_ = *found;
      cached_mtime_ = info.st_mtim;
    }
    out.Family("node_os_info",
               "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, "
               "image_version, name, pretty_name, variant, variant_id, version, "
               "version_codename, version_id.",
               MetricType::kGauge);
    out.Sample(info_labels_, 1);
    if (version_ > 0) {
      out.Family("node_os_version", "Metric containing the major.minor part of the OS version.",
                 MetricType::kGauge);
      out.Sample(version_labels_, version_);
    }
  }

 private:
  void Load(const std::string& path) {
    std::optional<std::string> text = TryReadFile(path);
    if (!text) throw CollectError(path + ": cannot read");
    auto env = ParseEnvFile(path, *text);
    auto get = [&](std::string_view key) {
      auto it = env.find(key);
      return it == env.end() ? std::string() : it->second;
    };
    info_labels_ = {{"build_id", get("BUILD_ID")},
                    {"id", get("ID")},
                    {"id_like", get("ID_LIKE")},
                    {"image_id", get("IMAGE_ID")},
                    {"image_version", get("IMAGE_VERSION")},
                    {"name", get("NAME")},
                    {"pretty_name", get("PRETTY_NAME")},
                    {"variant", get("VARIANT")},
                    {"variant_id", get("VARIANT_ID")},
                    {"version", get("VERSION")},
                    {"version_codename", get("VERSION_CODENAME")},
                    {"version_id", get("VERSION_ID")}};
    version_labels_ = {{"id", get("ID")}, {"id_like", get("ID_LIKE")}, {"name", get("NAME")}};
    version_ = MajorMinor(get("VERSION_ID"));
  }

  std::vector<std::string> files_;
  std::string cached_path_;
  timespec cached_mtime_{};
  std::vector<std::pair<std::string, std::string>> info_labels_, version_labels_;
  double version_ = 0;
};

}  // namespace

std::unique_ptr<HostCollector> MakeOsCollector(const HostConfig& config) {
  return std::make_unique<OsCollector>(config);
}

}  // namespace metricsd::host
