#include "daemon/flags.h"

#include <vector>

namespace metricsd {

std::string_view FlagsUsage() {
  return R"(usage: metricsd [<flags>]
       metricsd report --name=NAME [--format=md|json|html] [<flags>]
       metricsd loadgen --target=URL [<loadgen flags>]
       metricsd capacity --target=URL [<capacity flags>]

A metrics collection agent: host stats, AO probes and StatsD, served to Prometheus.

Flags:
  -h, --help                  Show this help and exit.
      --version               Show version information and exit.
      --config.file=PATH      metricsd configuration file. Default:
                              /etc/metricsd/metricsd.yaml, or the embedded default
                              config when that file does not exist.
      --web.listen-address=HOST:PORT
                              Address to serve /metrics on; overrides
                              web.listen_address in the config file.
      --web.config.file=PATH  exporter-toolkit web-config file (TLS, mTLS, basic
                              auth, headers); overrides web.config_file.
      --web.enable-lifecycle  Enable POST /-/reload (otherwise it answers 403).
                              SIGHUP reloads either way.
      --path.procfs=PATH      procfs mountpoint; overrides host.procfs.
      --path.sysfs=PATH       sysfs mountpoint; overrides host.sysfs.
      --path.rootfs=PATH      rootfs mountpoint; overrides host.rootfs.
      --path.udev.data=PATH   udev data path; overrides host.udev_data.
      --statsd.listen-udp=HOST:PORT, --statsd.listen-tcp=HOST:PORT,
      --statsd.listen-unixgram=PATH
                              Replace statsd.listeners of that kind (as
                              statsd_exporter's flags do); an empty value removes them.
      --storage.path=PATH     History store directory; overrides history.path.
                              Default: data/ in the working directory.
      --print-config-schema   Print the JSON Schema of the config file and exit.
      --print-default-config  Print the default config, each key with its doc, and
                              exit.
      --check-config          Load and validate the config and every file it
                              references, print the result, exit 0 (valid) or 1.
      --log.level=LEVEL       Only log messages at or above this level:
                              debug, info, warn, error. Default: info.
      --log.format=FORMAT     Log line format: logfmt or json. Default: logfmt.

Commands:
  report --name=NAME [--format=FORMAT]
                              Make report NAME of analytics.reports now, print it
                              (md, json or html; default md) and exit. Reads the
                              store under --storage.path (the daemon must be
                              stopped: the store admits one process) or
                              analytics.source when set.
  loadgen --target=URL [--rate=N] [--duration=D] [--ramp=D] [--metrics-url=URL]
                              Send the game's StatsD traffic (udp://, tcp:// or
                              http://HOST:PORT) at a paced rate and report the rate
                              achieved and, from the target's own counters, the loss.
                              See metricsd loadgen --help.
  capacity --target=URL [--statsd=URL] [--cpu-budget=CORES] [--output-dir=DIR]
                              Ramp load on a running metricsd until it loses lines or
                              exceeds its CPU budget; write a capacity report (JSON and
                              Markdown). See metricsd capacity --help.
)";
}

FlagsResult ParseFlags(int argc, const char* const* argv) {
  FlagsResult result;
  Flags& flags = result.flags;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (!args.empty() && (args.front() == "loadgen" || args.front() == "capacity")) {
    flags.command = std::string(args.front());
    for (std::size_t i = 1; i < args.size(); ++i) flags.command_args.emplace_back(args[i]);
    return result;
  }
  if (!args.empty() && args.front() == "report") {
    flags.report = true;
    args.erase(args.begin());
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") { flags.help = true; continue; }
    if (arg == "--version") { flags.version = true; continue; }
    if (arg == "--check-config") { flags.check_config = true; continue; }
    if (arg == "--web.enable-lifecycle") { flags.enable_lifecycle = true; continue; }
    if (arg == "--print-config-schema") { flags.print_config_schema = true; continue; }
    if (arg == "--print-default-config") { flags.print_default_config = true; continue; }

    std::string_view name = arg, value;
    bool has_value = false;
    if (std::size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    bool known = name == "--config.file" || name == "--web.listen-address" ||
                 name == "--web.config.file" ||
                 name == "--log.level" || name == "--log.format" || name == "--path.procfs" ||
                 name == "--path.sysfs" || name == "--path.rootfs" || name == "--path.udev.data" ||
                 name == "--statsd.listen-udp" || name == "--statsd.listen-tcp" ||
                 name == "--statsd.listen-unixgram" || name == "--print-docs" ||
                 name == "--storage.path" ||
                 (flags.report && (name == "--name" || name == "--format"));
    if (!known) {
      result.error = "unknown flag " + std::string(arg) + " (see --help)";
      return result;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        result.error = "flag " + std::string(name) + " needs a value";
        return result;
      }
      value = args[++i];
    }
    if (name.substr(0, 7) == "--path.") {
      if (value.empty()) { result.error = std::string(name) + " must not be empty"; return result; }
      std::optional<std::string>& target = name == "--path.procfs" ? flags.procfs
                                           : name == "--path.sysfs" ? flags.sysfs
                                           : name == "--path.rootfs" ? flags.rootfs
                                                                     : flags.udev_data;
      target = std::string(value);
    } else if (name.substr(0, 16) == "--statsd.listen-") {
      if (name != "--statsd.listen-unixgram" && !value.empty() && !ParseListenAddress(value)) {
        result.error = std::string(name) + ": invalid address \"" + std::string(value) +
                       "\" (expected HOST:PORT)";
        return result;
      }
      std::optional<std::string>& target = name == "--statsd.listen-udp" ? flags.statsd_udp
                                           : name == "--statsd.listen-tcp" ? flags.statsd_tcp
                                                                           : flags.statsd_unixgram;
      target = std::string(value);
    } else if (name == "--config.file") {
      if (value.empty()) { result.error = "--config.file must not be empty"; return result; }
      flags.config_file = std::string(value);
    } else if (name == "--storage.path") {
      if (value.empty()) { result.error = "--storage.path must not be empty"; return result; }
      flags.storage_path = std::string(value);
    } else if (name == "--name") {
      flags.report_name = std::string(value);
    } else if (name == "--format") {
      if (value != "md" && value != "json" && value != "html") {
        result.error = "--format must be md, json or html, got \"" + std::string(value) + "\"";
        return result;
      }
      flags.report_format = std::string(value);
    } else if (name == "--print-docs") {
      flags.print_docs = std::string(value);
    } else if (name == "--web.config.file") {
      flags.web_config_file = std::string(value);
    } else if (name == "--web.listen-address") {
      flags.listen_address = ParseListenAddress(value);
      if (!flags.listen_address) {
        result.error = "--web.listen-address: invalid address \"" + std::string(value) +
                       "\" (expected HOST:PORT)";
        return result;
      }
    } else if (name == "--log.level") {
      auto level = ParseLogLevel(value);
      if (!level) {
        result.error = "--log.level must be debug, info, warn or error, got \"" +
                       std::string(value) + "\"";
        return result;
      }
      flags.log_level = *level;
    } else {
      auto format = ParseLogFormat(value);
      if (!format) {
        result.error = "--log.format must be logfmt or json, got \"" + std::string(value) + "\"";
        return result;
      }
      flags.log_format = *format;
    }
  }
  if (flags.report && flags.report_name.empty()) result.error = "report: --name is required";
  return result;
}

}  // namespace metricsd
