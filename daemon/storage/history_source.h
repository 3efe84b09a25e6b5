// metricsd_history_*: what the history store holds and how its writes go.
#pragma once

#include <functional>
#include <memory>

#include "daemon/core/source.h"
#include "daemon/storage/store.h"

namespace metricsd::storage {

// Thread-safety: thread-safe (reads the store's counters).
class HistorySource : public Source {
 public:
  using StoreGetter = std::function<std::shared_ptr<Store>()>;
  explicit HistorySource(StoreGetter store) : store_(std::move(store)) {}
  std::string_view Name() const override { return "history"; }
  void Visit(FamilyVisitor& visitor) const override;

 private:
  StoreGetter store_;
};

}  // namespace metricsd::storage
