// Command-line flags in node_exporter's style (--config.file=PATH or --config.file PATH).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/listen_address.h"
#include "daemon/core/logging.h"

namespace metricsd {

struct Flags {
  std::string config_file;          // --config.file; empty means the default path
  std::optional<ListenAddress> listen_address;  // --web.listen-address overrides web.listen_address
  bool check_config = false;        // --check-config
  // --web.enable-lifecycle: POST /-/reload works (403 otherwise, as Prometheus). Off by
  // default so that no web page can reload the daemon cross-origin; SIGHUP always works.
  bool enable_lifecycle = false;
  // --path.procfs, --path.sysfs, --path.rootfs, --path.udev.data override
  // host.procfs/sysfs/rootfs/udev_data.
  std::optional<std::string> procfs, sysfs, rootfs, udev_data;
  // --statsd.listen-udp/-tcp/-unixgram (statsd_exporter's flags): replace the config's
  // listeners of that kind; an empty value removes them.
  std::optional<std::string> statsd_udp, statsd_tcp, statsd_unixgram;
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kLogfmt;
  bool version = false;
  bool help = false;
  // --print-config-schema, --print-default-config: print and exit (for editors and packagers).
  bool print_config_schema = false;
  bool print_default_config = false;
  // --print-docs=NAME: print one generated README block (developers; see
  // tests/support/generated_docs.py) and exit.
  std::string print_docs;
  // --web.config.file: an exporter-toolkit web-config file (TLS, basic auth, headers); when
  // given (even empty, meaning none) it overrides web.config_file.
  std::optional<std::string> web_config_file;
  // --storage.path (Prometheus's flag): the history store's directory; overrides history.path.
  // Neither given: data/ in the working directory.
  std::optional<std::string> storage_path;
  // `metricsd report --name NAME [--format md|json|html]`: make one report of
  // analytics.reports now (over the store of a stopped daemon, or analytics.source), print it
  // to standard output and exit.
  bool report = false;
  std::string report_name;
  std::string report_format = "md";
  // `metricsd loadgen ...` and `metricsd capacity ...`: the command ("loadgen" or "capacity";
  // empty for the daemon) and the arguments after it, which it parses itself
  // (daemon/loadgen/loadgen_command.h).
  std::string command;
  std::vector<std::string> command_args;
};

struct FlagsResult {
  Flags flags;
  std::string error;  // non-empty when the command line is wrong
};

FlagsResult ParseFlags(int argc, const char* const* argv);

// The --help text.
std::string_view FlagsUsage();

}  // namespace metricsd
