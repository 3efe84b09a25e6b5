// Feeds arbitrary bytes to every host collector as the content of one /proc, /sys, udev or
// textfile file it reads: a malformed file must end in a CollectError (collector success 0) or
// in samples, never a crash, a hang or another exception.
//
// The tree is a copy of node_exporter 1.5's fixtures (tests/fixtures/node_exporter) plus the
// files of metricsd's own host fixtures, so every file a collector reads is one of the files
// fuzzed: a collector that reads a new file gets it fuzzed once its fixture has it. The first
// two bytes of the input pick the file, the rest is its content; the file is restored after.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "collectors/host/collectors.h"

namespace {

namespace fs = std::filesystem;

const fs::path& Root() {
  static const fs::path root = [] {
    fs::path dir = fs::temp_directory_path() / ("metricsd-proc-fuzz-" + std::to_string(getpid()));
    fs::remove_all(dir);
    const fs::path source = fs::path(METRICSD_SOURCE_DIR) / "tests" / "fixtures";
    fs::copy(source / "node_exporter", dir, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    // metricsd's own fixtures add what node_exporter's lack (process groups, mountinfo, PSI).
    fs::copy(source / "host" / "proc", dir / "proc",
             fs::copy_options::recursive | fs::copy_options::copy_symlinks |
                 fs::copy_options::skip_existing);
    for (const char* sub : {"proc/100/fd"}) fs::create_directories(dir / sub);
    for (const char* file : {"proc/100/stat", "proc/100/status", "proc/100/io", "proc/100/cmdline"}) {
      std::ofstream(dir / file) << "";
    }
    // libFuzzer ends a timed run with exit(), which runs this: each run's copy (~5 MB) goes.
    struct RemoveAtExit {
      fs::path dir;
      ~RemoveAtExit() {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
      }
    };
    static const RemoveAtExit remove_at_exit{dir};
    return dir;
  }();
  return root;
}

// Every regular file of the tree (not through symlinks, so each is listed once).
const std::vector<fs::path>& Files() {
  static const std::vector<fs::path> files = [] {
    std::vector<fs::path> out;
    for (const auto& entry : fs::recursive_directory_iterator(Root())) {
      if (entry.is_regular_file() && !entry.is_symlink()) out.push_back(entry.path());
    }
    return out;
  }();
  return files;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace metricsd;
  if (size < 2 || Files().empty()) return 0;
  const fs::path& file = Files()[(data[0] | (data[1] << 8)) % Files().size()];
  std::string original = ReadAll(file);
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      << std::string(reinterpret_cast<const char*>(data) + 2, size - 2);

  static const host::HostConfig config = [] {
    const std::string root = Root().string();
    host::HostConfig c = host::ParseHostConfig(ParseYaml(
        "processes: [{name: any, cmdline: '.'}]\n"
        "filesystem: {statfs_timeout: 100ms}\n"
        "textfile: {directory: " + root + "/textfile/two_metric_files}\n"
        "cpu: {info: true, flags_include: '.', bugs_include: '.'}\n"
        "stat: {softirq: true}\n"
        "bcache: {priority_stats: true}\n",
        "fuzz.yaml"));
    c.paths = {root + "/proc", root + "/sys", root, root + "/udev/data"};
    return c;
  }();
  for (auto& collector : host::MakeEnabledCollectors(config)) {
    FamilySet out;
    try {
      collector->Collect(out);
    } catch (const CollectError&) {
    }
  }
  std::ofstream(file, std::ios::binary | std::ios::trunc) << original;
  return 0;
}
