// A Source whose Visit() calls a function: for components that keep their own counters (a
// service's queues, the load shedder) and stream them as families on each visit.
//
// Thread-safety: as thread-safe as `visit`, which may run on several threads at once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "daemon/core/source.h"

namespace metricsd {

class FunctionSource final : public Source {
 public:
  using VisitFunction = std::function<void(FamilyVisitor&)>;
  FunctionSource(std::string name, VisitFunction visit)
      : name_(std::move(name)), visit_(std::move(visit)) {}
  std::string_view Name() const override { return name_; }
  void Visit(FamilyVisitor& visitor) const override { visit_(visitor); }

 private:
  std::string name_;
  VisitFunction visit_;
};

inline std::shared_ptr<const Source> MakeFunctionSource(std::string name,
                                                        FunctionSource::VisitFunction visit) {
  return std::make_shared<FunctionSource>(std::move(name), std::move(visit));
}

}  // namespace metricsd
