// node_exporter's selinux collector: node_selinux_enabled, and when enabled the configured and
// current enforcement modes, as opencontainers/go-selinux v1.10.2 (node_exporter 1.5's) finds
// them. go-selinux reads the host's own selinuxfs, /proc/self and /etc/selinux/config, not
// --path.procfs/--path.rootfs, so this collector does too. Whether SELinux is enabled is
// decided once per process, as go-selinux caches it.
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include <cctype>
#include <cerrno>
#include <cstdint>

#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

constexpr unsigned long kSelinuxMagic = 0xf97cff8c;

bool IsSelinuxfsMount(const std::string& path) {
  struct statfs info {};
  int rc;
  do {
    rc = statfs(path.c_str(), &info);
  } while (rc != 0 && (errno == EAGAIN || errno == EINTR));
  if (rc != 0) return false;
  if (static_cast<std::uint32_t>(info.f_type) != static_cast<std::uint32_t>(kSelinuxMagic)) {
    return false;
  }
  return (info.f_flags & ST_RDONLY) == 0;
}

// findSELinuxfs: /sys/fs/selinux, else a selinuxfs mount of /proc/self/mountinfo.
std::string FindSelinuxfs() {
  if (IsSelinuxfsMount("/sys/fs/selinux")) return "/sys/fs/selinux";
  std::optional<std::string> filesystems = TryReadFile("/proc/filesystems");
  if (!filesystems || filesystems->find("\tselinuxfs\n") == std::string::npos) return {};
  std::optional<std::string> mountinfo = TryReadFile("/proc/self/mountinfo");
  if (!mountinfo) return {};
  LineReader lines(*mountinfo);
  std::string_view line;
  while (lines.Next(line)) {
    if (line.find(" - selinuxfs ") == std::string_view::npos) continue;
    std::vector<std::string_view> fields = SplitFields(line);
    if (fields.size() < 5) continue;
    std::string mount(fields[4]);
    if (IsSelinuxfsMount(mount)) return mount;
  }
  return {};
}

// The value of `key` in /etc/selinux/config (go-selinux's readConfig), "" when absent.
std::string ReadSelinuxConfig(std::string_view key) {
  std::optional<std::string> text = TryReadFile("/etc/selinux/config");
  if (!text) return {};
  LineReader lines(*text);
  std::string_view line;
  while (lines.Next(line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) {
      line.remove_prefix(1);
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == ';' || line.front() == '#') continue;
    std::size_t equals = line.find('=');
    if (equals == std::string_view::npos || line.substr(0, equals) != key) continue;
    std::string_view value = line.substr(equals + 1);
    while (!value.empty() && value.front() == '"') value.remove_prefix(1);
    while (!value.empty() && value.back() == '"') value.remove_suffix(1);
    return std::string(value);
  }
  return {};
}

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class SelinuxCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "selinux"; }

  void Collect(FamilySet& out) override {
    if (!enabled_) {
      mount_ = FindSelinuxfs();
      bool enabled = false;
      if (!mount_.empty()) {
        std::optional<std::string> label = TryReadFile("/proc/thread-self/attr/current");
        std::string con = label.value_or("");
        if (!con.empty() && con.back() == '\0') con.pop_back();
        enabled = con != "kernel";
      }
      enabled_ = enabled;
    }
    out.Family("node_selinux_enabled", "SELinux is enabled, 1 is true, 0 is false",
               MetricType::kGauge);
    out.Sample({}, *enabled_ ? 1 : 0);
    if (!*enabled_) return;
    std::string mode = ReadSelinuxConfig("SELINUX");
    double config_mode = mode == "enforcing" ? 1 : mode == "permissive" ? 0 : -1;
    out.Family("node_selinux_config_mode", "Configured SELinux enforcement mode",
               MetricType::kGauge);
    out.Sample({}, config_mode);
    // strconv.Atoi of the whole file: the kernel writes the digit without a newline.
    std::optional<std::string> enforce = TryReadFile(mount_ + "/enforce");
    std::optional<std::uint64_t> current = enforce ? ParseUint(*enforce) : std::nullopt;
    out.Family("node_selinux_current_mode", "Current SELinux enforcement mode",
               MetricType::kGauge);
    out.Sample({}, current ? static_cast<double>(*current) : -1.0);
  }

 private:
  std::optional<bool> enabled_;  // decided on the first poll
  std::string mount_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeSelinuxCollector(const HostConfig& /*config*/) {
  return std::make_unique<SelinuxCollector>();
}

}  // namespace metricsd::host
