// metricsd's entry point: flags only. Everything else lives in App, which tests link.
#include <malloc.h>
#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/app.h"
#include "daemon/build_info.h"
#include "daemon/core/logging.h"
#include "daemon/config/config_docs.h"
#include "daemon/loadgen/loadgen_command.h"
#include "daemon/print_docs.h"
#include "daemon/report_command.h"

int main(int argc, char** argv) {
  using namespace metricsd;
  FlagsResult parsed = ParseFlags(argc, argv);
  if (!parsed.error.empty()) {
    std::cerr << "metricsd: " << parsed.error << "\n";
    return 2;
  }
  const Flags& flags = parsed.flags;
  if (!flags.command.empty()) {
    // Clients of a running metricsd, not the daemon: their own flags, no config.
    std::vector<std::string_view> args(flags.command_args.begin(), flags.command_args.end());
    return flags.command == "loadgen" ? loadgen::RunLoadgenCommand(args)
                                      : loadgen::RunCapacityCommand(args);
  }
  if (flags.help) {
    std::cout << FlagsUsage();
    return 0;
  }
  if (flags.version) {
    std::cout << "metricsd, version " << kVersion << " (revision: " << kRevision << ")\n"
              << "  compiler: " << kCompiler << "\n";
    return 0;
  }
  if (flags.print_config_schema) {
    std::cout << ConfigJsonSchema().dump(2) << "\n";
    return 0;
  }
  if (flags.print_default_config) {
    std::cout << DefaultConfigYaml();
    return 0;
  }
  if (!flags.print_docs.empty()) {
    std::optional<std::string> doc = GeneratedDoc(flags.print_docs);
    if (!doc) {
      std::cerr << "metricsd: --print-docs: unknown block \"" << flags.print_docs << "\"; one of:";
      for (const std::string& name : GeneratedDocNames()) std::cerr << " " << name;
      std::cerr << "\n";
      return 2;
    }
    std::cout << *doc;
    return 0;
  }
  SetLogLevel(flags.log_level);
  SetLogFormat(flags.log_format);
  // A fixed threshold turns off glibc's adaptive one, which after the first multi-megabyte
  // scrape buffer keeps every later one on the heap, resident after it is freed.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  // Every connection is a file descriptor: use what the unit's LimitNOFILE grants (the soft
  // limit is often 1024 while the hard one is far higher), as Go's runtime does.
  if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    if (limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &limit);
      ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    LogDebug("open file limit", {{"soft", std::to_string(limit.rlim_cur)},
                                 {"hard", std::to_string(limit.rlim_max)}});
  }

  if (flags.report) return RunReportCommand(flags);
  if (flags.check_config) {
    try {
      auto config = LoadConfigForFlags(flags);
      WebSecurityPtr security = LoadWebSecurityForFlags(flags, *config);
      std::cout << "SUCCESS: " << config->file << " is valid metricsd config\n";
      if (!security->file().empty()) {
        std::cout << "SUCCESS: " << security->file() << " is valid web config\n";
      }
      // As promtool check rules does: what each rule file contributed.
      std::map<std::string, std::pair<std::size_t, std::size_t>> per_file;  // groups, rules
      for (const auto& group : config->alerting.groups) {
        ++per_file[group.file].first;
        per_file[group.file].second += group.rules.size();
      }
      for (const auto& [file, counts] : per_file) {
        std::cout << "SUCCESS: " << file << ": " << counts.first << " groups, " << counts.second
                  << " rules\n";
      }
      return 0;
    } catch (const ConfigError& e) {
      std::cout << "FAILED: " << e.what() << "\n";
      return 1;
    }
  }
  App app(flags);
  return app.Run();
}
