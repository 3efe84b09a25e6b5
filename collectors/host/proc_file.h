// Small helpers every host collector uses to read and split procfs/sysfs files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace metricsd::host {

// The whole file; throws CollectError naming the path and errno's reason.
std::string ReadFile(const std::string& path);
// The whole file, or nullopt if it cannot be read (optional inputs such as udev data).
std::optional<std::string> TryReadFile(const std::string& path);

// Fields separated by runs of spaces or tabs.
std::vector<std::string_view> SplitFields(std::string_view line);
// Lines without their '\n'; a final line without '\n' counts, an empty last one does not.
std::vector<std::string_view> SplitLines(std::string_view text);

// Up to the first '\n'.
inline std::string_view FirstLine(std::string_view text) { return text.substr(0, text.find('\n')); }

// Whole-string numeric parses; nullopt on any stray character.
std::optional<std::uint64_t> ParseUint(std::string_view text);
std::optional<double> ParseDouble(std::string_view text);

// ParseUint that throws CollectError("<what>: bad number \"...\"").
std::uint64_t RequireUint(std::string_view text, std::string_view what);

}  // namespace metricsd::host
