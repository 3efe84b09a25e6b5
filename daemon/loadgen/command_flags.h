// The flag reading shared by `metricsd loadgen` and `metricsd capacity`: --name=value or
// --name value, numbers, durations ("30s", "1m30s", or plain seconds), and the ctrl-C flag.
//
// Thread-safety: FlagReader is not thread-safe; StopRequested() is (a lock-free atomic that a
// signal handler sets).
#pragma once

#include <atomic>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "daemon/loadgen/game_profile.h"

namespace metricsd::loadgen {

class FlagReader {
 public:
  explicit FlagReader(std::span<const std::string_view> args) : args_(args) {}

  // Advances to the next flag; false at the end. Sets error() for a non-flag argument.
  bool Next();
  std::string_view name() const { return name_; }
  // The flag's value (the "=value" part or the next argument); nullopt and error() set when
  // there is none.
  std::optional<std::string_view> Value();
  std::optional<double> Number(double min, double max);
  std::optional<double> Seconds(double min, double max);
  const std::string& error() const { return error_; }
  void Fail(std::string message) { error_ = std::move(message); }

 private:
  std::span<const std::string_view> args_;
  std::size_t next_ = 0;
  std::string_view name_;
  std::optional<std::string_view> inline_value_;
  std::string error_;
};

// The game profile's flags (--profile, --players, --battles-per-second, --servers, --seed);
// true when `reader`'s flag was one of them (its value read, or its error set).
bool ReadProfileFlag(FlagReader& reader, GameProfileOptions& profile);

// Installs SIGINT and SIGTERM handlers that set the flag StopRequested() returns.
void InstallStopHandlers();
const std::atomic<bool>& StopRequested();

}  // namespace metricsd::loadgen
