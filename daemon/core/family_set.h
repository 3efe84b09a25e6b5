// An owned, immutable-once-built set of families and samples: what a collector produces on
// each poll, published as a snapshot and streamed to visitors without allocating.
//
// Build it on the collecting thread (Family, then Sample...), then share it as
// shared_ptr<const FamilySet>; Visit() is then safe from any number of threads.
#pragma once

#include <memory>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/source.h"

namespace metricsd {

class FamilySet {
 public:
  FamilySet() = default;
  FamilySet(const FamilySet&) = delete;  // samples point into strings_
  FamilySet& operator=(const FamilySet&) = delete;
  FamilySet(FamilySet&&) = default;
  FamilySet& operator=(FamilySet&&) = default;

  // Starts a family; the following Sample() calls belong to it.
  void Family(std::string_view name, std::string_view help, MetricType type);
  // A counter, gauge or untyped sample of the current family; labels are copied.
  void Sample(std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              double value);
  void Sample(const std::vector<std::pair<std::string, std::string>>& labels, double value);

  bool empty() const { return families_.empty(); }
  std::size_t series() const { return samples_.size(); }

  void Visit(FamilyVisitor& visitor) const;

 private:
  std::string_view Intern(std::string_view text);
  template <typename Pairs>
  void AddSample(const Pairs& labels, double value);

  struct FamilyEntry {
    std::string_view name, help;
    MetricType type;
    std::size_t first_sample, end_sample;
  };
  struct SampleEntry {
    std::size_t first_label, end_label;
    double value;
  };
  // Text arena: chunks that never move, so views into them stay valid; one allocation per
  // chunk of names and label values instead of one per string.
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::size_t chunk_used_ = 0;
  std::size_t chunk_size_ = 0;
  std::vector<FamilyEntry> families_;
  std::vector<SampleEntry> samples_;
  std::vector<Label> labels_;
};

}  // namespace metricsd
