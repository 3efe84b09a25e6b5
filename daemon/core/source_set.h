// The list of Sources the daemon serves, published as one immutable value: a reload builds a
// new SourceSet and swaps the pointer, so a scrape walks either the old set or the new one,
// never a mix.
#pragma once

#include <memory>
#include <vector>

#include "daemon/core/source.h"

namespace metricsd {

class SourceSet {
 public:
  explicit SourceSet(std::vector<std::shared_ptr<const Source>> sources)
      : sources_(std::move(sources)) {}

  // Visits every Source in order, then writes each collector's health:
  // metricsd_collector_success{collector} and metricsd_collector_duration_seconds{collector},
  // as node_exporter writes node_scrape_collector_*. Thread-safe.
  void Visit(FamilyVisitor& visitor) const;

  const std::vector<std::shared_ptr<const Source>>& sources() const { return sources_; }

 private:
  std::vector<std::shared_ptr<const Source>> sources_;
};

using SourceSetPtr = std::shared_ptr<const SourceSet>;

}  // namespace metricsd
