// Wraps a prometheus-cpp Collectable (a Registry, typically) as a Source, so code that counts
// with prometheus-cpp's Counter/Gauge/Histogram reaches /metrics through the same contract.
//
// Collect() allocates the whole model on every visit: fine for the daemon's few dozen own
// series, not for collectors with many.
#pragma once

#include <memory>
#include <string>

#include <prometheus/collectable.h>

#include "daemon/core/source.h"

namespace metricsd {

// Thread-safety: as thread-safe as the wrapped Collectable (a Registry is).
class CollectableSource final : public Source {
 public:
  CollectableSource(std::string name, std::shared_ptr<const prometheus::Collectable> collectable);

  // Interface
  std::string_view Name() const override { return name_; }
  void Visit(FamilyVisitor& visitor) const override;

 private:
  std::string name_;
  std::shared_ptr<const prometheus::Collectable> collectable_;
};

}  // namespace metricsd
