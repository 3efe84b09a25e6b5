// `metricsd loadgen` and `metricsd capacity`: the command lines of the load generator and the
// capacity finder (loadgen.h, capacity.h). Each parses its own flags (the arguments after the
// command name), runs in the foreground, prints its report and returns the exit code.
#pragma once

#include <span>
#include <string_view>

namespace metricsd::loadgen {

// The exit code of a command stopped by SIGINT/SIGTERM (128 + SIGINT, as a shell reports it).
inline constexpr int kExitInterrupted = 130;

// Exit codes: 0 done, 1 nothing could be sent or measured, 2 a bad command line, 130
// interrupted by SIGINT/SIGTERM (after printing the partial report).
int RunLoadgenCommand(std::span<const std::string_view> args);
int RunCapacityCommand(std::span<const std::string_view> args);

std::string_view LoadgenUsage();
std::string_view CapacityUsage();

}  // namespace metricsd::loadgen
