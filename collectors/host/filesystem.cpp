// node_exporter's filesystem collector: statvfs(2) over the mounts in /proc/1/mounts (or
// /proc/mounts where PID 1 is hidden, e.g. hidepid), with its default mount-point and
// fs-type exclusions; mount points lose the --path.rootfs prefix, as node_exporter 1.5 does.
//
// statvfs on a dead NFS server can block forever. Calls that may hang (anything not backed
// by a block device or memory) run on a worker thread and the poller waits at most
// filesystem.statfs_timeout: a mount that misses it reports
// node_filesystem_device_error 1 and is skipped (still reported as an error) until the stuck
// call returns, as node_exporter does with its stuckMounts.
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "collectors/host/collectors.h"
#include "daemon/core/proc_file.h"
#include "daemon/core/logging.h"
#include "daemon/core/mutex.h"

namespace metricsd::host {
namespace {

struct Mount {
  std::string device, mount_point, fs_type;
  bool read_only = false;
};

// /proc/mounts escapes space, tab, newline and backslash as \040, \011, \012, \134;
// node_exporter 1.5 turns back only the first two (the others stay as written).
std::string Unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view rest = text.substr(i);
    if (rest.starts_with("\\040")) {
      out.push_back(' ');
      i += 3;
    } else if (rest.starts_with("\\011")) {
      out.push_back('\t');
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// node_exporter's rootfsStripPrefix: with --path.rootfs=/host, "/host/media" is "/media" and
// "/host" itself is "/"; mount points outside the prefix stay as they are.
std::string StripRootfs(std::string mount_point, const std::string& rootfs) {
  if (rootfs == "/") return mount_point;
  if (mount_point.starts_with(rootfs)) mount_point.erase(0, rootfs.size());
  return mount_point.empty() ? "/" : mount_point;
}

// /dev/sda1 /boot ext4 rw,relatime 0 0
// ^device   ^mount ^type ^options: the superblock's, so "ro" also covers an ext4 that
//                                   errors=remount-ro turned read-only behind the mount's back
// Throws CollectError on a line with fewer than four fields, as node_exporter does.
std::vector<Mount> ParseMounts(const std::string& text, const std::string& path,
                               const std::string& rootfs) {
  std::vector<Mount> mounts;
  std::vector<std::string_view> fields;
  std::string_view line;
  for (LineReader lines(text); lines.Next(line);) {
    SplitFields(line, fields);
    if (fields.size() < 4) {
      throw CollectError(path + ": malformed mount point information: \"" + std::string(line) +
                         "\"");
    }
    Mount mount;
    mount.device = std::string(fields[0]);
    mount.mount_point = StripRootfs(Unescape(fields[1]), rootfs);
    mount.fs_type = std::string(fields[2]);
    std::string_view options = fields[3];
    while (!options.empty()) {
      std::string_view option = options.substr(0, options.find(','));
      if (option == "ro") mount.read_only = true;
      options.remove_prefix(std::min(options.size(), option.size() + 1));
    }
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

// Mount points whose statvfs has not returned yet. Shared with abandoned workers, which may
// outlive the collector.
struct StuckMounts {
  Mutex mutex;
  std::set<std::string> paths ABSL_GUARDED_BY(mutex);
};

// Runs a poll's statvfs calls on a worker thread, so the poller can stop waiting. The whole
// batch is handed over at once (two context switches per poll, not per mount); the poller
// waits at most `timeout` for each next result. A call that misses its deadline leaves the
// worker stuck in the kernel: that worker is abandoned (it unmarks the mount and exits when
// the call returns, if ever), the rest of the batch reports errors, and a fresh worker serves
// the next poll.
class StatfsWorker {
 public:
  struct Call {
    std::string mount_point, path;
    int error = -1;  // -1 until done; then 0 or an errno value
    struct statvfs result {};
  };

  StatfsWorker(std::shared_ptr<StuckMounts> stuck, StatfsFunction statfs)
      : stuck_(std::move(stuck)), statfs_(std::move(statfs)) {}
  StatfsWorker(const StatfsWorker&) = delete;
  StatfsWorker& operator=(const StatfsWorker&) = delete;

  ~StatfsWorker() {
    if (!channel_) return;
    {
      std::lock_guard lock(channel_->mutex);
      channel_->stop = true;
    }
    channel_->cv.notify_all();
    thread_.join();
  }

  // Fills each call's error and result; a call not done in time gets ETIMEDOUT and its mount
  // is marked stuck.
  void StatAll(std::vector<Call>& calls, Duration timeout) {
    if (calls.empty()) return;
    if (!channel_) Spawn();
    std::unique_lock lock(channel_->mutex);
    channel_->calls = std::move(calls);
    channel_->done = 0;
    channel_->has_batch = true;
    channel_->cv.notify_all();
    std::size_t seen = 0;
    bool stuck = false;
    while (seen < channel_->calls.size()) {
      if (!channel_->cv.wait_for(lock, timeout, [&] { return channel_->done > seen; })) {
        stuck = true;
        break;
      }
      seen = channel_->done;
    }
    calls = channel_->calls;  // copy: an abandoned worker still owns its batch
    if (!stuck) {
      channel_->has_batch = false;
      return;
    }
    // calls[seen] is the one that hung; those after it never ran.
    for (std::size_t i = seen; i < calls.size(); ++i) calls[i].error = ETIMEDOUT;
    {
      MutexLock stuck_lock(stuck_->mutex);
      stuck_->paths.insert(calls[seen].mount_point);
    }
    channel_->abandoned = true;
    lock.unlock();
    thread_.detach();
    channel_.reset();
  }

 private:
  // A plain std::mutex, not an annotated Mutex: the poller and the worker wait on the condition
  // variable through a std::unique_lock they unlock and relock mid-scope, which the
  // thread-safety analysis cannot follow.
  struct Channel {
    std::mutex mutex;
    std::condition_variable cv;
    bool has_batch = false, stop = false, abandoned = false;
    std::vector<Call> calls;
    std::size_t done = 0;
  };

  void Spawn() {
    channel_ = std::make_shared<Channel>();
    thread_ = std::thread([channel = channel_, stuck = stuck_, statfs = statfs_] {
      std::unique_lock lock(channel->mutex);
      while (true) {
        channel->cv.wait(lock, [&] { return channel->has_batch || channel->stop; });
        if (channel->stop) return;
        for (std::size_t i = 0; i < channel->calls.size() && !channel->abandoned; ++i) {
          std::string path = channel->calls[i].path;
          lock.unlock();
          struct statvfs result {};
          int error = statfs(path.c_str(), &result);
          lock.lock();
          channel->calls[i].result = result;
          channel->calls[i].error = error;
          channel->done = i + 1;
          channel->cv.notify_all();
          if (channel->abandoned) {
            MutexLock stuck_lock(stuck->mutex);
            stuck->paths.erase(channel->calls[i].mount_point);
            return;
          }
        }
        channel->has_batch = false;
      }
    });
  }

  std::shared_ptr<StuckMounts> stuck_;
  StatfsFunction statfs_;
  std::shared_ptr<Channel> channel_;
  std::thread thread_;
};

class FilesystemCollector final : public HostCollector {
 public:
  FilesystemCollector(const HostConfig& config, StatfsFunction statfs)
      : paths_(config.paths),
        init_mounts_(config.paths.Proc("1/mounts")),
        mounts_(config.paths.Proc("mounts")),
        mount_points_exclude_(config.filesystem_mount_points_exclude),
        fs_types_exclude_(config.filesystem_fs_types_exclude),
        timeout_(config.filesystem_statfs_timeout),
        stuck_(std::make_shared<StuckMounts>()),
        statfs_(statfs),
        worker_(stuck_, std::move(statfs)) {}

  std::string_view Name() const override { return "filesystem"; }

  void Collect(FamilySet& out) override {
    // Falls back only when PID 1's file is absent (hidepid), as node_exporter does; one that
    // exists but cannot be read is an error naming it, and so is a procfs without either.
    CachedFile* file = &init_mounts_;
    const std::string* text = init_mounts_.TryRead();
    if (text == nullptr && access(init_mounts_.path().c_str(), F_OK) != 0) {
      file = &mounts_;
      text = mounts_.TryRead();
    }
    if (text == nullptr) text = &file->Read();  // throws CollectError with the reason

    struct Stat {
      Mount mount;
      bool error = false;
      struct statvfs st {};
    };
    std::vector<Stat> stats;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (Mount& mount : ParseMounts(*text, file->path(), paths_.rootfs)) {
      if (mount_points_exclude_.Matches(mount.mount_point)) continue;
      if (fs_types_exclude_.Matches(mount.fs_type)) continue;
      // Over-mounts can repeat a label set; Prometheus rejects duplicate series.
      if (!seen.emplace(mount.device, mount.fs_type, mount.mount_point).second) continue;
      stats.push_back(Stat{std::move(mount)});
    }
    StatMounts(stats);

    auto sample = [&out](const Mount& m, double value) {
      out.Sample({{"device", m.device}, {"fstype", m.fs_type}, {"mountpoint", m.mount_point}},
                 value);
    };
    out.Family("node_filesystem_device_error",
               "Whether an error occurred while getting statistics for the given device.",
               MetricType::kGauge);
    for (const Stat& s : stats) sample(s.mount, s.error ? 1 : 0);
    out.Family("node_filesystem_readonly", "Filesystem read-only status.", MetricType::kGauge);
    // As node_exporter, a mount whose statfs failed has device_error 1 and no other series.
    for (const Stat& s : stats) {
      if (!s.error) sample(s.mount, s.mount.read_only ? 1 : 0);
    }

    struct Field {
      std::string_view name, help;
      double (*value)(const struct statvfs&);
    };
    static constexpr Field kFields[] = {
        {"node_filesystem_size_bytes", "Filesystem size in bytes.",
         [](const struct statvfs& s) { return static_cast<double>(s.f_blocks) * static_cast<double>(s.f_bsize); }},
        {"node_filesystem_free_bytes", "Filesystem free space in bytes.",
         [](const struct statvfs& s) { return static_cast<double>(s.f_bfree) * static_cast<double>(s.f_bsize); }},
        {"node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.",
         [](const struct statvfs& s) { return static_cast<double>(s.f_bavail) * static_cast<double>(s.f_bsize); }},
        {"node_filesystem_files", "Filesystem total file nodes.",
         [](const struct statvfs& s) { return static_cast<double>(s.f_files); }},
        {"node_filesystem_files_free", "Filesystem total free file nodes.",
         [](const struct statvfs& s) { return static_cast<double>(s.f_ffree); }},
    };
    for (const Field& field : kFields) {
      out.Family(field.name, field.help, MetricType::kGauge);
      for (const Stat& s : stats) {
        if (!s.error) sample(s.mount, field.value(s.st));
      }
    }
  }

 private:
  // Block-device and memory filesystems compute statfs from in-memory counters and never wait
  // on a server; everything else (NFS, CIFS, FUSE, 9p, ceph, overlay over any of them...) may
  // hang and goes through the deadline worker.
  static bool MayHang(const Mount& mount) {
    bool block_device = mount.device.rfind("/dev/", 0) == 0 && mount.fs_type.rfind("fuse", 0) != 0;
    bool memory = mount.fs_type == "tmpfs" || mount.fs_type == "ramfs";
    return !block_device && !memory;
  }

  // statvfs(rootfs + mount_point) for each, with a deadline where it may hang; sets error on failures, timeouts
  // and mounts whose earlier call is still stuck.
  template <typename Stats>
  void StatMounts(Stats& stats) {
    std::vector<StatfsWorker::Call> calls;
    std::vector<std::size_t> index;  // calls[i] belongs to stats[index[i]]
    {
      MutexLock lock(stuck_->mutex);
      for (std::size_t i = 0; i < stats.size(); ++i) {
        const std::string& mount_point = stats[i].mount.mount_point;
        if (stuck_->paths.count(mount_point) > 0) {
          stats[i].error = true;
          continue;
        }
        std::string path = paths_.rootfs == "/" ? mount_point : paths_.rootfs + mount_point;
        if (!MayHang(stats[i].mount)) {
          // Answered from in-memory counters: no handoff to the worker, whose two thread
          // wake-ups cost more than the call itself.
          stats[i].error = statfs_(path.c_str(), &stats[i].st) != 0;
          continue;
        }
        calls.push_back({mount_point, std::move(path)});
        index.push_back(i);
      }
    }
    worker_.StatAll(calls, timeout_);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      auto& stat = stats[index[i]];
      stat.error = calls[i].error != 0;
      stat.st = calls[i].result;
      if (calls[i].error == ETIMEDOUT) {
        LogWarn("statfs timed out; marking the mount stuck",
                {{"mountpoint", calls[i].mount_point}, {"timeout", FormatDuration(timeout_)}});
      } else if (calls[i].error != 0) {
        LogDebug("statfs failed",
                 {{"mountpoint", calls[i].mount_point}, {"err", std::strerror(calls[i].error)}});
      }
    }
  }

  HostPaths paths_;
  CachedFile init_mounts_, mounts_;  // PID 1's view first, as node_exporter
  MatchCache mount_points_exclude_;
  MatchCache fs_types_exclude_;
  Duration timeout_;
  std::shared_ptr<StuckMounts> stuck_;
  StatfsFunction statfs_;  // inline calls, for filesystems that cannot hang
  StatfsWorker worker_;
};

}  // namespace

std::unique_ptr<HostCollector> MakeFilesystemCollector(const HostConfig& config,
                                                       StatfsFunction statfs) {
  if (!statfs) {
    statfs = [](const char* path, struct statvfs* out) {
      return ::statvfs(path, out) == 0 ? 0 : errno;
    };
  }
  return std::make_unique<FilesystemCollector>(config, std::move(statfs));
}

}  // namespace metricsd::host
