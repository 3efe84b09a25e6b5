// Feeds arbitrary bytes to every host collector as the content of each /proc and /sys file it
// reads: a malformed file must end in a CollectError (collector success 0) or in samples,
// never a crash, a hang or another exception.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "collectors/host/collectors.h"

namespace {

namespace fs = std::filesystem;

const char* const kFiles[] = {"stat",         "meminfo",      "loadavg",       "diskstats",
                              "net/dev",      "net/netstat",  "net/snmp",      "net/snmp6",
                              "net/sockstat", "net/sockstat6", "pressure/cpu", "pressure/io",
                              "pressure/memory", "vmstat",    "sys/fs/file-nr", "1/mountinfo",
                              "100/stat",     "100/status",   "100/io",        "100/cmdline"};

const fs::path& Root() {
  static const fs::path root = [] {
    fs::path dir = fs::temp_directory_path() / ("metricsd-proc-fuzz-" + std::to_string(getpid()));
    for (const char* sub : {"proc/net", "proc/pressure", "proc/sys/fs", "proc/1", "proc/100/fd", "sys", "root"}) {
      fs::create_directories(dir / sub);
    }
    return dir;
  }();
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace metricsd;
  std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* file : kFiles) std::ofstream(Root() / "proc" / file, std::ios::binary) << text;

  host::HostConfig config = host::ParseHostConfig(
      ParseYaml("processes: [{name: any, cmdline: '.'}]\nfilesystem: {statfs_timeout: 100ms}\n",
                "fuzz.yaml"));
  config.paths = {(Root() / "proc").string(), (Root() / "sys").string(), (Root() / "root").string()};
  for (auto& collector : host::MakeEnabledCollectors(config)) {
    FamilySet out;
    try {
      collector->Collect(out);
    } catch (const CollectError&) {
    }
  }
  return 0;
}
