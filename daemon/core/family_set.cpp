#include "daemon/core/family_set.h"

#include <algorithm>
#include <stdexcept>

namespace metricsd {

std::string_view FamilySet::Intern(std::string_view text) {
  if (text.empty()) return {};
  if (chunks_.empty() || chunk_size_ - chunk_used_ < text.size()) {
    // Chunks grow geometrically from 1 KiB: a collector with three samples should not pay for
    // a large block, one with hundreds should not pay for many. Not zeroed: every byte handed
    // out is written first.
    chunk_size_ = std::max(std::min<std::size_t>(chunk_size_ * 2, 64 * 1024), std::size_t{1024});
    chunk_size_ = std::max(chunk_size_, text.size());
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(chunk_size_));
    chunk_used_ = 0;
  }
  char* start = chunks_.back().get() + chunk_used_;
  std::copy(text.begin(), text.end(), start);
  chunk_used_ += text.size();
  return {start, text.size()};
}

void FamilySet::Family(std::string_view name, std::string_view help, MetricType type) {
  families_.push_back({Intern(name), Intern(help), type, samples_.size(), samples_.size()});
}

template <typename Pairs>
void FamilySet::AddSample(const Pairs& labels, double value) {
  if (families_.empty()) throw std::logic_error("FamilySet: sample before any family");
  std::size_t first = labels_.size();
  for (const auto& [name, label_value] : labels) {
    labels_.push_back({Intern(name), Intern(label_value)});
  }
  samples_.push_back({first, labels_.size(), value});
  families_.back().end_sample = samples_.size();
}

void FamilySet::Sample(std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
                       double value) {
  AddSample(labels, value);
}

void FamilySet::Sample(const std::vector<std::pair<std::string, std::string>>& labels,
                       double value) {
  AddSample(labels, value);
}

void FamilySet::Visit(FamilyVisitor& visitor) const {
  for (const FamilyEntry& family : families_) {
    visitor.Family(family.name, family.help, family.type);
    for (std::size_t i = family.first_sample; i < family.end_sample; ++i) {
      const SampleEntry& sample = samples_[i];
      visitor.Sample(Labels(labels_.data() + sample.first_label,
                            sample.end_label - sample.first_label),
                     sample.value);
    }
  }
}

}  // namespace metricsd
