// The exposition writer: Prometheus text format 0.0.4 straight into a string.
//
// Output is byte for byte what prometheus-cpp's TextSerializer writes for the same families
// (16 significant digits, "Nan", "+Inf"/"-Inf", _count/_sum before buckets), with one
// deliberate difference: HELP text is escaped (\\ and \n) as the format requires, where
// TextSerializer writes it raw and a newline in it would break the exposition.
#pragma once

#include <string>
#include <string_view>

#include "daemon/core/source.h"

namespace metricsd {

// Content-Type of what TextWriter writes.
inline constexpr std::string_view kTextFormatContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// Appends to `out`.
// Thread-safety: not thread-safe; use one writer per scrape.
class TextWriter final : public FamilyVisitor {
 public:
  explicit TextWriter(std::string& out) : out_(out) {}

  // Interface
  void Family(std::string_view name, std::string_view help, MetricType type) override;
  void Sample(Labels labels, double value) override;
  void Histogram(Labels labels, std::span<const double> upper_bounds,
                 std::span<const std::uint64_t> cumulative_counts, double sum,
                 std::uint64_t count) override;
  void Summary(Labels labels, std::span<const Quantile> quantiles, double sum,
               std::uint64_t count) override;

 private:
  // Writes `name<suffix>{labels,extra="..."} ` up to the value.
  void WriteHead(std::string_view suffix, Labels labels, std::string_view extra_name = {},
                 std::string_view extra_value = {});
  void WriteCountAndSum(Labels labels, double sum, std::uint64_t count);

  std::string& out_;
  std::string_view name_;  // current family; valid until the Source's Visit() returns
};

// Formats a sample value as TextSerializer does ("%.16g", "Nan", "+Inf", "-Inf") into `buf`,
// returning the written view. `buf` must hold at least 32 chars.
std::string_view FormatDouble(double value, char* buf);

}  // namespace metricsd
