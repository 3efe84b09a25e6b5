// histogram_quantile over classic buckets (quantile.go's bucketQuantile): samples are grouped by
// their labels without `le`; each group with a +Inf bucket yields the φ-quantile by linear
// interpolation inside the bucket the rank falls in.
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "daemon/query/promql/functions_internal.h"

namespace metricsd::query::promql::functions_internal {

namespace {

constexpr std::string_view kBucketLabel = "le";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

bool EqualIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

// Go's strconv.ParseFloat(text, 64) for the spellings an `le` value takes: decimal, hex with a
// 'p' exponent, inf/infinity with a sign, nan without. nullopt where Go returns an error
// (including a value too large for a double; underflow to zero is no error in Go).
std::optional<double> GoParseFloat(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string_view body = text;
  bool negative = false;
  const bool has_sign = body[0] == '+' || body[0] == '-';
  if (has_sign) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualIgnoreCase(body, "inf") || EqualIgnoreCase(body, "infinity")) {
    return negative ? -kInf : kInf;
  }
  if (!has_sign && EqualIgnoreCase(body, "nan")) return kNaN;

  std::string digits;
  std::chars_format format = std::chars_format::general;
  if (body.size() >= 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    // Hex: underscores may separate digits; a 'p' exponent is required.
    format = std::chars_format::hex;
    body.remove_prefix(2);
    bool saw_p = false;
    char previous = 'x';
    for (const char c : body) {
      const bool hex_digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                             (c >= 'A' && c <= 'F');
      if (c == '_') {
        if (!(previous == 'x' || std::isxdigit(static_cast<unsigned char>(previous)))) {
          return std::nullopt;
        }
      } else if (c == 'p' || c == 'P') {
        if (previous == '_') return std::nullopt;
        saw_p = true;
        digits += c;
      } else if (hex_digit || c == '.' || c == '+' || c == '-') {
        if (previous == '_' && !hex_digit) return std::nullopt;
        digits += c;
      } else {
        return std::nullopt;
      }
      previous = c;
    }
    if (!saw_p || previous == '_') return std::nullopt;
  } else {
    for (const char c : body) {
      if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' ||
            c == '-')) {
        return std::nullopt;
      }
    }
    digits = std::string(body);
  }
  if (digits.empty() || digits[0] == '+' || digits[0] == '-') return std::nullopt;

  double value = 0;
  const char* begin = digits.data();
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value, format);
  if (ptr != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Overflow is Go's range error; underflow is a zero (or subnormal) without error.
    std::string c_text = format == std::chars_format::hex ? "0x" + digits : digits;
    value = std::strtod(c_text.c_str(), nullptr);
    if (std::isinf(value)) return std::nullopt;
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

struct Bucket {
  double upper_bound = 0;
  double count = 0;
};

// Go's sort.Search: the smallest index in [0, n) for which `pred` holds (n if none), by the same
// bisection, so a predicate made non-monotonic by NaN counts lands where Go's does.
template <typename Pred>
std::size_t GoSearch(std::size_t n, Pred pred) {
  std::size_t i = 0;
  std::size_t j = n;
  while (i < j) {
    const std::size_t h = (i + j) >> 1;
    if (!pred(h)) {
      i = h + 1;
    } else {
      j = h;
    }
  }
  return i;
}

// Sorted by upper bound with Go's sort.Sort and quantile.go's Less (upperBound <): a NaN bound
// compares equal to every bound, so only Go's own steps leave it where Prometheus does.
void SortByUpperBound(std::vector<Bucket>& buckets) {
  class ByUpperBound : public GoSortable {
   public:
    explicit ByUpperBound(std::vector<Bucket>& buckets) : buckets_(buckets) {}
    bool Less(std::int64_t i, std::int64_t j) const override {
      return buckets_[static_cast<std::size_t>(i)].upper_bound <
             buckets_[static_cast<std::size_t>(j)].upper_bound;
    }
    void Swap(std::int64_t i, std::int64_t j) override {
      std::swap(buckets_[static_cast<std::size_t>(i)], buckets_[static_cast<std::size_t>(j)]);
    }

   private:
    std::vector<Bucket>& buckets_;
  };
  ByUpperBound sortable(buckets);
  GoSort(sortable, std::ssize(buckets));
}

// Buckets with the same upper bound (le="0.2" and le="2e-1") are one bucket.
void CoalesceBuckets(std::vector<Bucket>& buckets) {
  Bucket last = buckets[0];
  std::size_t i = 0;
  for (std::size_t k = 1; k < buckets.size(); ++k) {
    if (buckets[k].upper_bound == last.upper_bound) {
      last.count += buckets[k].count;
    } else {
      buckets[i] = last;
      last = buckets[k];
      ++i;
    }
  }
  buckets[i] = last;
  buckets.resize(i + 1);
}

// Counts that fall (a race between scrape and recording rule) are raised to the highest count
// below them.
void EnsureMonotonic(std::vector<Bucket>& buckets) {
  double max = buckets[0].count;
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    if (buckets[i].count > max) {
      max = buckets[i].count;
    } else if (buckets[i].count < max) {
      buckets[i].count = max;
    }
  }
}

double BucketQuantile(double q, std::vector<Bucket>& buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  SortByUpperBound(buckets);
  if (!(std::isinf(buckets.back().upper_bound) && buckets.back().upper_bound > 0)) return kNaN;

  CoalesceBuckets(buckets);
  EnsureMonotonic(buckets);

  if (buckets.size() < 2) return kNaN;
  const double observations = buckets.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  const std::size_t b =
      GoSearch(buckets.size() - 1, [&](std::size_t i) { return buckets[i].count >= rank; });

  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double bucket_start = 0;
  const double bucket_end = buckets[b].upper_bound;
  double count = buckets[b].count;
  if (b > 0) {
    bucket_start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucket_start + (bucket_end - bucket_start) * (rank / count);
}

// The group key: every label but `le`, the metric name included (two histograms that differ only
// in name are two groups, whose results then collide without names: the evaluator's error).
std::string GroupKey(const Labels& labels) {
  std::string key;
  for (const Label& label : labels) {
    if (label.name == kBucketLabel) continue;
    key += label.name;
    key += '\xff';
    key += label.value;
    key += '\xff';
  }
  return key;
}

struct Group {
  Labels labels;  // without __name__ and le
  std::vector<Bucket> buckets;
};

Vector HistogramQuantile(const InstantCall& call) {
  const double q = std::get<double>(call.args[0]);
  const Vector& in = *std::get<const Vector*>(call.args[1]);

  std::vector<Group> groups;
  std::unordered_map<std::string, std::size_t> index;
  for (const Sample& sample : in) {
    const std::string* le = GetLabel(sample.labels, kBucketLabel);
    // Without an le label, or an le that is no number, the sample is skipped.
    const std::optional<double> upper_bound =
        GoParseFloat(le != nullptr ? std::string_view(*le) : std::string_view());
    if (!upper_bound) continue;
    auto [it, inserted] = index.try_emplace(GroupKey(sample.labels), groups.size());
    if (inserted) {
      Labels labels = DropMetricName(sample.labels);
      SetLabel(labels, kBucketLabel, "");
      groups.push_back(Group{std::move(labels), {}});
    }
    groups[it->second].buckets.push_back(Bucket{*upper_bound, sample.v});
  }

  Vector out;
  out.reserve(groups.size());
  for (Group& group : groups) {
    const double value = BucketQuantile(q, group.buckets);
    out.push_back(Sample{std::move(group.labels), call.t, value});
  }
  return out;
}

constexpr NamedFunctionImpl kHistogramRows[] = {
    {"histogram_quantile", {.instant = HistogramQuantile}},
};

}  // namespace

std::span<const NamedFunctionImpl> HistogramFunctionImpls() { return kHistogramRows; }

}  // namespace metricsd::query::promql::functions_internal
