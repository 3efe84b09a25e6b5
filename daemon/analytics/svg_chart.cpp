#include "daemon/analytics/svg_chart.h"
#include "daemon/analytics/numbers.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

namespace metricsd::analytics {
namespace {

using query::promql::Point;
using query::promql::Timestamp;

constexpr std::array<std::string_view, 10> kPalette = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                       "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                                       "#9c755f", "#7f7f7f"};
constexpr std::string_view kBandColor = "#4e79a7";
constexpr std::string_view kThresholdColor = "#d62728";
constexpr std::string_view kMarkerColor = "#555555";
constexpr int kCharWidth = 6;  // of the 11px sans-serif labels, roughly
constexpr std::size_t kMaxLegendEntries = 12;
constexpr std::size_t kMaxLabelChars = 40;

// A unit's display: value / factor, then the suffix.
struct Scale {
  double factor = 1;
  std::string suffix;  // with its leading space, or "" / "%"
};

Scale PickScale(std::string_view unit, double magnitude) {
  magnitude = std::fabs(magnitude);
  if (!std::isfinite(magnitude)) magnitude = 0;
  if (unit == "seconds" || unit == "s") {
    if (magnitude == 0) return {1, " s"};
    if (magnitude < 1e-3) return {1e-6, " µs"};
    if (magnitude < 1) return {1e-3, " ms"};
    if (magnitude < 120) return {1, " s"};
    if (magnitude < 7200) return {60, " min"};
    if (magnitude < 172800) return {3600, " h"};
    return {86400, " d"};
  }
  if (unit == "bytes" || unit == "B") {
    static constexpr std::array<std::string_view, 6> kNames = {" B",   " KiB", " MiB",
                                                               " GiB", " TiB", " PiB"};
    double factor = 1;
    std::size_t i = 0;
    while (i + 1 < kNames.size() && magnitude >= factor * 1024) {
      factor *= 1024;
      ++i;
    }
    return {factor, std::string(kNames[i])};
  }
  if (unit == "ratio") return {0.01, "%"};
  if (unit == "percent" || unit == "%") return {1, "%"};
  std::string tail = unit.empty() ? "" : " " + std::string(unit);
  if (magnitude >= 1e12) return {1e12, "T" + tail};
  if (magnitude >= 1e9) return {1e9, "G" + tail};
  if (magnitude >= 1e6) return {1e6, "M" + tail};
  if (magnitude >= 1e4) return {1e3, "k" + tail};
  return {1, tail};
}

std::string Scaled(double value, const Scale& scale) {
  if (!std::isfinite(value)) return FormatReportNumber(value);
  return FormatReportNumber(value / scale.factor) + scale.suffix;
}

// One decimal is below a pixel's tenth: enough for the eye, small for the file.
void AppendCoord(std::string& out, double v) {
  char buffer[32];
  double rounded = std::round(v * 10) / 10;
  if (rounded == 0) rounded = 0;  // no "-0"
  std::snprintf(buffer, sizeof buffer, "%.1f", rounded);
  std::string_view text = buffer;
  if (text.ends_with(".0")) text.remove_suffix(2);
  out += text;
}

std::string Coord(double v) {
  std::string out;
  AppendCoord(out, v);
  return out;
}

std::string Truncated(std::string_view text, std::size_t max_chars) {
  // Counts UTF-8 code points, cutting only between them.
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return std::string(text.substr(0, i)) + "…";
    ++chars;
  }
  return std::string(text);
}

std::size_t CharCount(std::string_view text) {
  std::size_t chars = 0;
  for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return chars;
}

// Breaks a line where samples are missing: a step over 5 times the median step is a gap
// (a series that stopped reporting), drawn as such rather than as a straight interpolation.
std::vector<Point> WithGaps(const std::vector<Point>& points) {
  if (points.size() < 3) return points;
  std::vector<Timestamp> steps;
  steps.reserve(points.size() - 1);
  for (std::size_t i = 1; i < points.size(); ++i) steps.push_back(points[i].t - points[i - 1].t);
  auto middle = steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2);
  std::nth_element(steps.begin(), middle, steps.end());
  Timestamp limit = std::max<Timestamp>(*middle, 1) * 5;
  std::vector<Point> out;
  out.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (i > 0 && points[i].t - points[i - 1].t > limit) out.push_back({points[i - 1].t, kNaN});
    out.push_back(points[i]);
  }
  return out;
}

struct NiceTicks {
  double low = 0, high = 1, step = 1;
};

NiceTicks NiceRange(double low, double high, int target) {
  if (!(high > low)) {
    double pad = low == 0 ? 1 : std::fabs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  double raw = (high - low) / target;
  double power = std::pow(10, std::floor(std::log10(raw)));
  double step = power * 10;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (power * m >= raw) {
      step = power * m;
      break;
    }
  }
  return {std::floor(low / step) * step, std::ceil(high / step) * step, step};
}

struct TimeTicks {
  Timestamp step = 0;
  const char* format = "%H:%M";
};

TimeTicks PickTimeTicks(Timestamp span) {
  constexpr Timestamp kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;
  static constexpr std::array<Timestamp, 17> kSteps = {
      kMinute,  2 * kMinute, 5 * kMinute, 10 * kMinute, 15 * kMinute, 30 * kMinute,
      kHour,    2 * kHour,   3 * kHour,   6 * kHour,    12 * kHour,   kDay,
      2 * kDay, 7 * kDay,    14 * kDay,   30 * kDay,    91 * kDay};
  Timestamp step = kSteps.back();
  for (Timestamp candidate : kSteps) {
    if (span / candidate <= 7) {
      step = candidate;
      break;
    }
  }
  const char* format = step >= kDay ? "%m-%d" : span > kDay ? "%m-%d %H:%M" : "%H:%M";
  return {step, format};
}

std::string FormatTime(Timestamp ms, const char* format) {
  std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, format, &tm);
  return buffer;
}

// Where things go: plot area and the mapping from data to pixels.
struct Frame {
  double left = 0, right = 0, top = 0, bottom = 0;
  Timestamp t0 = 0, t1 = 1;
  double v0 = 0, v1 = 1;
  double X(Timestamp t) const {
    return left + (right - left) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
  }
  double Y(double v) const { return bottom - (bottom - top) * (v - v0) / (v1 - v0); }
};

// "M x y L x y ..." with a new subpath after every gap.
std::string LinePath(const std::vector<Point>& points, const Frame& frame) {
  std::string d;
  d.reserve(points.size() * 12);
  bool pen_down = false;
  for (const Point& p : points) {
    if (!std::isfinite(p.v)) {
      pen_down = false;
      continue;
    }
    d += pen_down ? 'L' : 'M';
    AppendCoord(d, frame.X(p.t));
    d += ' ';
    AppendCoord(d, frame.Y(p.v));
    pen_down = true;
  }
  return d;
}

// The band reduced to one point per bucket: the highest upper and the lowest lower.
void DownsampleBand(std::vector<Point>& lower, std::vector<Point>& upper, Timestamp t0,
                    Timestamp t1, std::size_t buckets) {
  if (lower.size() <= buckets || buckets == 0) return;
  std::vector<Point> low_out, high_out;
  double width = static_cast<double>(t1 - t0 + 1) / static_cast<double>(buckets);
  std::size_t i = 0;
  while (i < lower.size()) {
    auto bucket = static_cast<std::int64_t>(static_cast<double>(lower[i].t - t0) / width);
    Point low{lower[i].t, kNaN}, high{lower[i].t, kNaN};
    bool gap = false;
    for (; i < lower.size() &&
           static_cast<std::int64_t>(static_cast<double>(lower[i].t - t0) / width) == bucket;
         ++i) {
      if (!std::isfinite(lower[i].v) || !std::isfinite(upper[i].v)) {
        gap = true;
        continue;
      }
      if (!std::isfinite(low.v) || lower[i].v < low.v) low.v = lower[i].v;
      if (!std::isfinite(high.v) || upper[i].v > high.v) high.v = upper[i].v;
    }
    low_out.push_back(low);
    high_out.push_back(high);
    if (gap && std::isfinite(low.v)) {
      low_out.push_back({low.t, kNaN});
      high_out.push_back({high.t, kNaN});
    }
  }
  lower = std::move(low_out);
  upper = std::move(high_out);
}

// Closed polygons between upper and lower, one per run of finite points.
std::string BandPath(const std::vector<Point>& lower, const std::vector<Point>& upper,
                     const Frame& frame) {
  std::string d;
  std::size_t n = std::min(lower.size(), upper.size());
  std::size_t i = 0;
  while (i < n) {
    while (i < n && !(std::isfinite(lower[i].v) && std::isfinite(upper[i].v))) ++i;
    std::size_t begin = i;
    while (i < n && std::isfinite(lower[i].v) && std::isfinite(upper[i].v)) ++i;
    if (i - begin < 1) continue;
    for (std::size_t k = begin; k < i; ++k) {
      d += k == begin ? 'M' : 'L';
      AppendCoord(d, frame.X(upper[k].t));
      d += ' ';
      AppendCoord(d, frame.Y(upper[k].v));
    }
    for (std::size_t k = i; k-- > begin;) {
      d += 'L';
      AppendCoord(d, frame.X(lower[k].t));
      d += ' ';
      AppendCoord(d, frame.Y(lower[k].v));
    }
    d += 'Z';
  }
  return d;
}

struct LegendEntry {
  std::string label;
  std::string color;
  enum class Kind { kLine, kBand, kThreshold, kNote } kind = Kind::kLine;
};

// The length of the valid UTF-8 sequence at text[i] (1..4), or 0 when it is not one.
std::size_t Utf8Length(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  std::size_t length = lead < 0x80           ? 1
                       : (lead >> 5) == 0x6  ? 2
                       : (lead >> 4) == 0xE  ? 3
                       : (lead >> 3) == 0x1E ? 4
                                             : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  if (length == 2 && lead < 0xC2) return 0;                          // overlong
  if (length == 3 && lead == 0xE0 && byte(i + 1) < 0xA0) return 0;   // overlong
  if (length == 3 && lead == 0xED && byte(i + 1) >= 0xA0) return 0;  // surrogates
  if (length == 4 && (lead > 0xF4 || (lead == 0xF0 && byte(i + 1) < 0x90) ||
                      (lead == 0xF4 && byte(i + 1) >= 0x90))) {
    return 0;
  }
  return length;
}

}  // namespace

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Invalid UTF-8 (a label value off the wire) would make a standalone SVG unparsable.
      std::size_t length = Utf8Length(text, i);
      if (length == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD
      } else {
        out.append(text.substr(i, length));
        i += length - 1;
      }
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        if (c == '\x7f') break;
        out += c;
    }
  }
  return out;
}

std::string FormatReportNumber(double value) {
  if (std::isnan(value)) return "n/a";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";
  double magnitude = std::fabs(value);
  char buffer[64];
  if (magnitude >= 1e15 || magnitude < 1e-4) {
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
  }
  int decimals = std::max(0, 2 - static_cast<int>(std::floor(std::log10(magnitude))));
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string out = buffer;
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

std::string FormatValue(double value, std::string_view unit) {
  return Scaled(value, PickScale(unit, value));
}

std::string FormatMagnitude(const Finding& finding) {
  if (!std::isfinite(finding.magnitude)) return "n/a";
  if (finding.kind == "exhaustion") return "in " + FormatValue(finding.magnitude, "seconds");
  return (finding.magnitude > 0 ? "+" : "") + FormatReportNumber(finding.magnitude) + "%";
}

std::string FormatUtc(Timestamp ms) {
  return FormatTime(ms, (ms / 1000) % 60 == 0 ? "%Y-%m-%d %H:%M UTC" : "%Y-%m-%d %H:%M:%S UTC");
}

std::vector<Point> DownsampleMinMax(const std::vector<Point>& points, Timestamp start,
                                    Timestamp end, std::size_t buckets) {
  if (buckets == 0 || points.size() <= 2 * buckets) return points;
  if (end <= start) end = start + 1;
  std::vector<Point> out;
  out.reserve(2 * buckets + 16);
  double width = static_cast<double>(end - start + 1) / static_cast<double>(buckets);
  auto bucket_of = [&](Timestamp t) {
    double b = std::floor(static_cast<double>(t - start) / width);
    return static_cast<std::int64_t>(std::clamp(b, 0.0, static_cast<double>(buckets - 1)));
  };
  auto push_gap = [&](Timestamp t) {
    if (!out.empty() && std::isnan(out.back().v)) return;  // one gap is enough
    out.push_back({t, kNaN});
  };
  std::size_t i = 0;
  while (i < points.size()) {
    std::int64_t bucket = bucket_of(points[i].t);
    std::size_t begin = i;
    std::size_t min_at = points.size(), max_at = points.size();
    // A gap before the bucket's first value breaks the line before it; one after a value
    // (at the end or inside: below a pixel, the side hardly matters) breaks it after.
    bool gap_inside = false;
    for (; i < points.size() && bucket_of(points[i].t) == bucket; ++i) {
      double v = points[i].v;
      if (!std::isfinite(v)) {
        gap_inside = gap_inside || min_at != points.size();
        continue;
      }
      if (min_at == points.size() || v < points[min_at].v) min_at = i;
      if (max_at == points.size() || v > points[max_at].v) max_at = i;
    }
    if (!std::isfinite(points[begin].v)) push_gap(points[begin].t);
    if (min_at != points.size()) {
      std::size_t first = std::min(min_at, max_at), second = std::max(min_at, max_at);
      out.push_back(points[first]);
      if (second != first) out.push_back(points[second]);
    }
    if (gap_inside) push_gap(points[i - 1].t);
  }
  return out;
}

std::string RenderSvgChart(const ReportChart& chart, const SvgChartOptions& options) {
  // Data ranges over lines, bands and the threshold.
  Timestamp t0 = std::numeric_limits<Timestamp>::max(), t1 = std::numeric_limits<Timestamp>::min();
  double v0 = std::numeric_limits<double>::infinity(), v1 = -v0;
  auto take = [&](const std::vector<Point>& points) {
    for (const Point& p : points) {
      if (!std::isfinite(p.v)) continue;
      t0 = std::min(t0, p.t);
      t1 = std::max(t1, p.t);
      v0 = std::min(v0, p.v);
      v1 = std::max(v1, p.v);
    }
  };
  std::size_t drawn_lines = std::min(chart.lines.size(), options.max_lines);
  for (std::size_t i = 0; i < drawn_lines; ++i) take(chart.lines[i].points);
  for (const ReportChart::Band& band : chart.bands) {
    take(band.lower);
    take(band.upper);
  }
  bool has_data = t0 <= t1;
  if (!has_data && !chart.markers.empty()) {  // markers alone: an hour either side
    for (const ReportChart::Marker& marker : chart.markers) {
      t0 = std::min(t0, marker.t - 3'600'000);
      t1 = std::max(t1, marker.t + 3'600'000);
    }
  }
  if (t0 > t1) t0 = t1 = 0;
  if (t1 == t0) {
    t0 -= 60'000;
    t1 += 60'000;
  }
  if (std::isfinite(chart.threshold)) {
    v0 = std::min(v0, chart.threshold);
    v1 = std::max(v1, chart.threshold);
  }
  if (!(v0 <= v1)) {
    v0 = 0;
    v1 = 1;
  }
  // Non-negative data reads best from zero unless it sits far from it.
  if (v0 >= 0 && v0 <= v1 * 0.5) v0 = 0;
  // Ticks are round in the unit shown (GiB, ms, %), not in bytes, seconds or ratios.
  Scale scale = PickScale(chart.unit, std::max(std::fabs(v0), std::fabs(v1)));
  NiceTicks ticks = NiceRange(v0 / scale.factor, v1 / scale.factor, 5);
  ticks.low *= scale.factor;
  ticks.high *= scale.factor;
  ticks.step *= scale.factor;

  // Legend entries.
  std::vector<LegendEntry> legend;
  for (std::size_t i = 0; i < drawn_lines && legend.size() < kMaxLegendEntries; ++i) {
    legend.push_back(
        {chart.lines[i].name.empty() ? "series " + std::to_string(i + 1) : chart.lines[i].name,
         std::string(kPalette[i % kPalette.size()]), LegendEntry::Kind::kLine});
  }
  std::size_t unlisted = drawn_lines - std::min(drawn_lines, kMaxLegendEntries);
  for (const ReportChart::Band& band : chart.bands) {
    legend.push_back({band.name.empty() ? "interval" : band.name, std::string(kBandColor),
                      LegendEntry::Kind::kBand});
  }
  if (std::isfinite(chart.threshold)) {
    legend.push_back({"threshold " + Scaled(chart.threshold, scale), std::string(kThresholdColor),
                      LegendEntry::Kind::kThreshold});
  }
  if (unlisted > 0) {
    legend.push_back(
        {"+" + std::to_string(unlisted) + " more series", "", LegendEntry::Kind::kNote});
  }
  if (chart.lines.size() > drawn_lines) {
    legend.push_back({std::to_string(chart.lines.size() - drawn_lines) +
                          " series not drawn (limit " + std::to_string(options.max_lines) + ")",
                      "", LegendEntry::Kind::kNote});
  }

  const double width = options.width;
  Frame frame;
  frame.left = 70;
  frame.right = width - 16;
  frame.t0 = t0;
  frame.t1 = t1;
  frame.v0 = ticks.low;
  frame.v1 = ticks.high;

  // Marker label rows: a label goes on the first row where it does not overlap the previous one.
  struct PlacedMarker {
    double x;
    std::string text;
    int row;
  };
  std::vector<PlacedMarker> markers;
  std::vector<double> row_ends;
  std::vector<ReportChart::Marker> sorted_markers = chart.markers;
  std::sort(sorted_markers.begin(), sorted_markers.end(),
            [](const auto& a, const auto& b) { return a.t < b.t; });
  for (const ReportChart::Marker& marker : sorted_markers) {
    if (marker.t < t0 || marker.t > t1) continue;
    double x = frame.X(marker.t);
    std::string text = Truncated(marker.text, kMaxLabelChars);
    double end = x + 4 + static_cast<double>(CharCount(text) * kCharWidth);
    int row = -1;
    for (std::size_t r = 0; r < row_ends.size(); ++r) {
      if (x > row_ends[r] + 4) {
        row = static_cast<int>(r);
        break;
      }
    }
    if (row < 0 && row_ends.size() < 3) {
      row_ends.push_back(0);
      row = static_cast<int>(row_ends.size()) - 1;
    }
    if (row < 0) row = static_cast<int>(markers.size() % 3);
    row_ends[static_cast<std::size_t>(row)] = end;
    markers.push_back({x, std::move(text), row});
  }
  frame.top = 12 + 13.0 * static_cast<double>(row_ends.size());
  frame.bottom = frame.top + (options.height - 12 - 34);

  // Legend rows, wrapped at the plot's width.
  struct PlacedEntry {
    double x, y;
    const LegendEntry* entry;
    std::string text;
  };
  std::vector<PlacedEntry> placed;
  double lx = frame.left, ly = frame.bottom + 44;
  for (const LegendEntry& entry : legend) {
    std::string text = Truncated(entry.label, kMaxLabelChars);
    double w = 22 + static_cast<double>(CharCount(text) * kCharWidth) + 14;
    if (lx + w > frame.right && lx > frame.left) {
      lx = frame.left;
      ly += 16;
    }
    placed.push_back({lx, ly, &entry, std::move(text)});
    lx += w;
  }
  double height = (placed.empty() ? frame.bottom + 34 : ly + 10);

  std::string svg;
  svg.reserve(4096);
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + Coord(width) + " " +
         Coord(height) + "\" width=\"" + Coord(width) + "\" height=\"" + Coord(height) +
         "\" role=\"img\" aria-label=\"" + EscapeXml(chart.title) +
         "\" font-family=\"sans-serif\" font-size=\"11\">";
  svg += "<title>" + EscapeXml(chart.title) + "</title>";
  svg += "<rect x=\"" + Coord(frame.left) + "\" y=\"" + Coord(frame.top) + "\" width=\"" +
         Coord(frame.right - frame.left) + "\" height=\"" + Coord(frame.bottom - frame.top) +
         "\" fill=\"#fbfbfb\" stroke=\"#cccccc\"/>";

  // Value axis: grid lines and labels.
  svg += "<g stroke=\"#e4e4e4\">";
  std::string labels;
  int steps = static_cast<int>(std::lround((ticks.high - ticks.low) / ticks.step));
  for (int i = 0; i <= steps && i <= 20; ++i) {
    double v = ticks.low + i * ticks.step;
    double y = frame.Y(v);
    svg += "<line x1=\"" + Coord(frame.left) + "\" y1=\"" + Coord(y) + "\" x2=\"" +
           Coord(frame.right) + "\" y2=\"" + Coord(y) + "\"/>";
    labels += "<text x=\"" + Coord(frame.left - 6) + "\" y=\"" + Coord(y + 4) +
              "\" text-anchor=\"end\">" +
              EscapeXml(Scaled(std::fabs(v) < ticks.step * 1e-9 ? 0 : v, scale)) + "</text>";
  }
  svg += "</g><g fill=\"#333333\">" + labels + "</g>";

  // Time axis: ticks at UTC-aligned steps.
  TimeTicks time_ticks = PickTimeTicks(t1 - t0);
  svg += "<g fill=\"#333333\" text-anchor=\"middle\">";
  Timestamp first = (t0 / time_ticks.step + (t0 % time_ticks.step > 0 ? 1 : 0)) * time_ticks.step;
  for (Timestamp t = first; t <= t1; t += time_ticks.step) {
    double x = frame.X(t);
    svg += "<line x1=\"" + Coord(x) + "\" y1=\"" + Coord(frame.bottom) + "\" x2=\"" + Coord(x) +
           "\" y2=\"" + Coord(frame.bottom + 4) + "\" stroke=\"#999999\"/>";
    svg += "<text x=\"" + Coord(x) + "\" y=\"" + Coord(frame.bottom + 16) + "\">" +
           EscapeXml(FormatTime(t, time_ticks.format)) + "</text>";
  }
  svg += "<text x=\"" + Coord(frame.right) + "\" y=\"" + Coord(frame.bottom + 30) +
         "\" text-anchor=\"end\" fill=\"#777777\">UTC</text>";
  svg += "</g>";

  if (!has_data) {
    svg += "<text x=\"" + Coord((frame.left + frame.right) / 2) + "\" y=\"" +
           Coord((frame.top + frame.bottom) / 2) +
           "\" text-anchor=\"middle\" fill=\"#777777\" font-size=\"14\">no data</text>";
  }

  // Bands under the lines.
  std::size_t buckets = std::max<std::size_t>(options.max_points_per_line / 2, 1);
  for (const ReportChart::Band& band : chart.bands) {
    std::vector<Point> lower = band.lower, upper = band.upper;
    std::size_t n = std::min(lower.size(), upper.size());
    lower.resize(n);
    upper.resize(n);
    DownsampleBand(lower, upper, t0, t1, buckets);  // upper and lower: 2 * buckets vertices
    std::string d = BandPath(lower, upper, frame);
    if (d.empty()) continue;
    svg += "<path d=\"" + d + "\" fill=\"" + std::string(kBandColor) +
           "\" fill-opacity=\"0.18\" stroke=\"none\"/>";
  }

  for (std::size_t i = 0; i < drawn_lines; ++i) {
    std::vector<Point> points = DownsampleMinMax(WithGaps(chart.lines[i].points), t0, t1, buckets);
    std::string d = LinePath(points, frame);
    if (d.empty()) continue;
    svg += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" +
           std::string(kPalette[i % kPalette.size()]) +
           "\" stroke-width=\"1.5\" stroke-linejoin=\"round\"/>";
  }

  if (std::isfinite(chart.threshold)) {
    double y = frame.Y(chart.threshold);
    svg += "<line x1=\"" + Coord(frame.left) + "\" y1=\"" + Coord(y) + "\" x2=\"" +
           Coord(frame.right) + "\" y2=\"" + Coord(y) + "\" stroke=\"" +
           std::string(kThresholdColor) + "\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>";
  }

  for (const PlacedMarker& marker : markers) {
    double label_y = 10 + 13.0 * marker.row;
    svg += "<line x1=\"" + Coord(marker.x) + "\" y1=\"" + Coord(label_y + 2) + "\" x2=\"" +
           Coord(marker.x) + "\" y2=\"" + Coord(frame.bottom) + "\" stroke=\"" +
           std::string(kMarkerColor) + "\" stroke-dasharray=\"3 3\"/>";
    svg += "<text x=\"" + Coord(marker.x + 3) + "\" y=\"" + Coord(label_y) + "\" fill=\"" +
           std::string(kMarkerColor) + "\">" + EscapeXml(marker.text) + "</text>";
  }

  for (const PlacedEntry& p : placed) {
    switch (p.entry->kind) {
      case LegendEntry::Kind::kLine:
        svg += "<line x1=\"" + Coord(p.x) + "\" y1=\"" + Coord(p.y - 4) + "\" x2=\"" +
               Coord(p.x + 16) + "\" y2=\"" + Coord(p.y - 4) + "\" stroke=\"" + p.entry->color +
               "\" stroke-width=\"2\"/>";
        break;
      case LegendEntry::Kind::kBand:
        svg += "<rect x=\"" + Coord(p.x) + "\" y=\"" + Coord(p.y - 9) +
               "\" width=\"16\" height=\"10\" fill=\"" + p.entry->color +
               "\" fill-opacity=\"0.18\"/>";
        break;
      case LegendEntry::Kind::kThreshold:
        svg += "<line x1=\"" + Coord(p.x) + "\" y1=\"" + Coord(p.y - 4) + "\" x2=\"" +
               Coord(p.x + 16) + "\" y2=\"" + Coord(p.y - 4) + "\" stroke=\"" + p.entry->color +
               "\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>";
        break;
      case LegendEntry::Kind::kNote:
        break;
    }
    svg += "<text x=\"" + Coord(p.x + 22) + "\" y=\"" + Coord(p.y) + "\" fill=\"#333333\">" +
           EscapeXml(p.text) + "</text>";
  }
  svg += "</svg>";
  return svg;
}

}  // namespace metricsd::analytics
