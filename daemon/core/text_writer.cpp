#include "daemon/core/text_writer.h"

#include <charconv>
#include <cmath>

#include "daemon/core/metric_names.h"

namespace metricsd {
namespace {

void AppendUint(std::string& out, std::uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

void AppendDouble(std::string& out, double value) {
  char buf[32];
  out.append(FormatDouble(value, buf));
}

}  // namespace

std::string_view FormatDouble(double value, char* buf) {
  if (std::isnan(value)) return "Nan";
  if (std::isinf(value)) return value < 0 ? "-Inf" : "+Inf";
  // Integers below 1e15 print exactly under %.16g, and most counters are integers: the integer
  // conversion is several times faster than the general one. -0 keeps its sign, as printf does.
  if (value > -1e15 && value < 1e15 && value == std::trunc(value) && !std::signbit(value)) {
    auto [end, ec] = std::to_chars(buf, buf + 32, static_cast<std::int64_t>(value));
    return {buf, static_cast<std::size_t>(end - buf)};
  }
  // to_chars with a precision is specified to produce what printf("%.16g") does, which is
  // what TextSerializer's ostream (precision max_digits10 - 1) writes.
  auto [end, ec] = std::to_chars(buf, buf + 32, value, std::chars_format::general, 16);
  return {buf, static_cast<std::size_t>(end - buf)};
}

void TextWriter::Family(std::string_view name, std::string_view help, MetricType type) {
  name_ = name;
  if (!help.empty()) {
    out_.append("# HELP ").append(name).push_back(' ');
    AppendEscapedHelp(out_, help);
    out_.push_back('\n');
  }
  out_.append("# TYPE ").append(name).push_back(' ');
  out_.append(MetricTypeName(type)).push_back('\n');
}

void TextWriter::Sample(Labels labels, double value) {
  WriteHead({}, labels);
  AppendDouble(out_, value);
  out_.push_back('\n');
}

void TextWriter::Histogram(Labels labels, std::span<const double> upper_bounds,
                           std::span<const std::uint64_t> cumulative_counts, double sum,
                           std::uint64_t count) {
  WriteCountAndSum(labels, sum, count);
  char buf[32];
  for (std::size_t i = 0; i < upper_bounds.size() && i < cumulative_counts.size(); ++i) {
    WriteHead("_bucket", labels, "le", FormatDouble(upper_bounds[i], buf));
    AppendUint(out_, cumulative_counts[i]);
    out_.push_back('\n');
  }
  WriteHead("_bucket", labels, "le", "+Inf");
  AppendUint(out_, count);
  out_.push_back('\n');
}

void TextWriter::Summary(Labels labels, std::span<const Quantile> quantiles, double sum,
                         std::uint64_t count) {
  WriteCountAndSum(labels, sum, count);
  char buf[32];
  for (const Quantile& q : quantiles) {
    WriteHead({}, labels, "quantile", FormatDouble(q.quantile, buf));
    AppendDouble(out_, q.value);
    out_.push_back('\n');
  }
}

// Histograms and summaries both open with _count then _sum, as TextSerializer orders them.
void TextWriter::WriteCountAndSum(Labels labels, double sum, std::uint64_t count) {
  WriteHead("_count", labels);
  AppendUint(out_, count);
  out_.push_back('\n');
  WriteHead("_sum", labels);
  AppendDouble(out_, sum);
  out_.push_back('\n');
}

void TextWriter::WriteHead(std::string_view suffix, Labels labels, std::string_view extra_name,
                           std::string_view extra_value) {
  out_.append(name_).append(suffix);
  if (!labels.empty() || !extra_name.empty()) {
    char separator = '{';
    for (const Label& label : labels) {
      out_.push_back(separator);
      out_.append(label.name).append("=\"");
      AppendEscapedLabelValue(out_, label.value);
      out_.push_back('"');
      separator = ',';
    }
    if (!extra_name.empty()) {
      out_.push_back(separator);
      out_.append(extra_name).append("=\"").append(extra_value).push_back('"');
    }
    out_.push_back('}');
  }
  out_.push_back(' ');
}

}  // namespace metricsd
