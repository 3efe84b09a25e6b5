#include "daemon/loadgen/command_flags.h"

#include <csignal>
#include <cstdlib>
#include <string>

#include "daemon/core/duration.h"

namespace metricsd::loadgen {
namespace {

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void OnStopSignal(int) { stop_requested.store(true); }

}  // namespace

bool FlagReader::Next() {
  inline_value_.reset();
  if (!error_.empty() || next_ >= args_.size()) return false;
  std::string_view arg = args_[next_++];
  if (!arg.starts_with("-")) {
    error_ = "unexpected argument \"" + std::string(arg) + "\" (see --help)";
    return false;
  }
  name_ = arg;
  if (std::size_t eq = arg.find('='); eq != std::string_view::npos) {
    name_ = arg.substr(0, eq);
    inline_value_ = arg.substr(eq + 1);
  }
  return true;
}

std::optional<std::string_view> FlagReader::Value() {
  if (inline_value_) return inline_value_;
  if (next_ >= args_.size()) {
    error_ = "flag " + std::string(name_) + " needs a value";
    return std::nullopt;
  }
  return args_[next_++];
}

std::optional<double> FlagReader::Number(double min, double max) {
  auto value = Value();
  if (!value) return std::nullopt;
  const std::string text(*value);
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(number >= min && number <= max)) {
    error_ = std::string(name_) + ": expected a number in [" + std::to_string(min) + ", " +
             std::to_string(max) + "], got \"" + text + "\"";
    return std::nullopt;
  }
  return number;
}

std::optional<double> FlagReader::Seconds(double min, double max) {
  auto value = Value();
  if (!value) return std::nullopt;
  double seconds = -1;
  if (auto duration = ParseDuration(*value)) {
    seconds = std::chrono::duration<double>(*duration).count();
  } else {
    const std::string text(*value);
    char* end = nullptr;
    const double number = std::strtod(text.c_str(), &end);
    if (!text.empty() && end == text.c_str() + text.size()) seconds = number;
  }
  if (!(seconds >= min && seconds <= max)) {
    error_ = std::string(name_) + ": expected a duration (\"30s\", \"2m\") between " +
             std::to_string(static_cast<long long>(min)) + "s and " +
             std::to_string(static_cast<long long>(max)) + "s, got \"" + std::string(*value) + "\"";
    return std::nullopt;
  }
  return seconds;
}

bool ReadProfileFlag(FlagReader& reader, GameProfileOptions& profile) {
  const std::string_view name = reader.name();
  if (name == "--players") {
    if (auto v = reader.Number(0, 1e9)) profile.players = *v;
  } else if (name == "--battles-per-second") {
    if (auto v = reader.Number(0, 1e7)) profile.battles_per_second = *v;
  } else if (name == "--servers") {
    if (auto v = reader.Number(0, 100000)) profile.servers = static_cast<int>(*v);
  } else if (name == "--seed") {
    if (auto v = reader.Number(0, 9e15)) profile.seed = static_cast<std::uint64_t>(*v);
  } else if (name == "--profile") {
    auto v = reader.Value();
    if (v && *v != "game") reader.Fail("--profile: the only profile is \"game\", got \"" + std::string(*v) + "\"");
  } else {
    return false;
  }
  return true;
}

void InstallStopHandlers() {
  struct sigaction action{};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

const std::atomic<bool>& StopRequested() { return stop_requested; }

}  // namespace metricsd::loadgen
