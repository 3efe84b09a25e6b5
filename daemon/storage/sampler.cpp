#include "daemon/storage/sampler.h"

#include <string>
#include <string_view>

#include "daemon/core/text_writer.h"

namespace metricsd::storage {
namespace {

// Flattens one visit into store appends.
class SamplingVisitor : public FamilyVisitor {
 public:
  SamplingVisitor(Store::Appender& appender, SeriesKeyBuilder& builder)
      : appender_(appender), builder_(builder) {}

  void Family(std::string_view name, std::string_view /*help*/, MetricType /*type*/) override {
    name_.assign(name);
  }

  void Sample(Labels labels, double value) override { Append("", labels, {}, {}, value); }

  void Histogram(Labels labels, std::span<const double> upper_bounds,
                 std::span<const std::uint64_t> cumulative_counts, double sum,
                 std::uint64_t count) override {
    char buf[32];
    for (std::size_t i = 0; i < upper_bounds.size() && i < cumulative_counts.size(); ++i) {
      Append("_bucket", labels, "le", FormatDouble(upper_bounds[i], buf),
             static_cast<double>(cumulative_counts[i]));
    }
    Append("_bucket", labels, "le", "+Inf", static_cast<double>(count));
    Append("_sum", labels, {}, {}, sum);
    Append("_count", labels, {}, {}, static_cast<double>(count));
  }

  void Summary(Labels labels, std::span<const Quantile> quantiles, double sum,
               std::uint64_t count) override {
    char buf[32];
    for (const Quantile& q : quantiles) {
      Append("", labels, "quantile", FormatDouble(q.quantile, buf), q.value);
    }
    Append("_sum", labels, {}, {}, sum);
    Append("_count", labels, {}, {}, static_cast<double>(count));
  }

 private:
  void Append(std::string_view suffix, Labels labels, std::string_view extra_name,
              std::string_view extra_value, double value) {
    if (suffix.empty()) {
      builder_.Reset(name_);
    } else {
      suffixed_.assign(name_).append(suffix);
      builder_.Reset(suffixed_);
    }
    for (const Label& label : labels) builder_.Add(label.name, label.value);
    if (!extra_name.empty()) builder_.Add(extra_name, extra_value);
    std::optional<std::string_view> key = builder_.Finish();
    if (!key) {
      appender_.DropInvalid();
      return;
    }
    appender_.Append(*key, value);
  }

  Store::Appender& appender_;
  SeriesKeyBuilder& builder_;
  std::string name_;
  std::string suffixed_;
};

}  // namespace

void Sampler::SampleOnce(const SourceSet& sources, Timestamp t) {
  Store::Appender appender = store_->StartPass(t);
  SamplingVisitor visitor(appender, builder_);
  sources.Visit(visitor);
  appender.Commit();
}

}  // namespace metricsd::storage
