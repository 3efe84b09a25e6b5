#include "collectors/host/host_poller.h"

#include <chrono>
#include <exception>

#include "collectors/host/collectors.h"
#include "daemon/core/logging.h"

namespace metricsd::host {

class HostPoller::CollectorSource final : public Source {
 public:
  CollectorSource(std::shared_ptr<const HostPoller> poller, const Slot& slot)
      : poller_(std::move(poller)), slot_(slot) {}

  std::string_view Name() const override { return slot_.collector->Name(); }

  void Visit(FamilyVisitor& visitor) const override {
    std::shared_ptr<const Result> result = slot_.latest.Load();
    if (result && result->families) result->families->Visit(visitor);
    if (result && result->status.success) slot_.collector->VisitLive(visitor);
  }

  std::optional<CollectionStatus> LastCollection() const override {
    std::shared_ptr<const Result> result = slot_.latest.Load();
    if (!result) return std::nullopt;
    return result->status;
  }

 private:
  std::shared_ptr<const HostPoller> poller_;  // keeps slot_ alive
  const Slot& slot_;
};

HostPoller::HostPoller(const HostConfig& config)
    : HostPoller(MakeEnabledCollectors(config), config.interval) {}

HostPoller::HostPoller(std::vector<std::unique_ptr<HostCollector>> collectors, Duration interval)
    : interval_(interval) {
  for (auto& collector : collectors) {
    auto slot = std::make_unique<Slot>();
    slot->collector = std::move(collector);
    slots_.push_back(std::move(slot));
  }
}

HostPoller::~HostPoller() {
  if (job_) job_->Stop();
  ioc_.stop();
  if (thread_.joinable()) thread_.join();
}

void HostPoller::CollectOnce() {
  for (auto& slot : slots_) {
    auto start = std::chrono::steady_clock::now();
    auto families = std::make_shared<FamilySet>();
    bool success = true;
    try {
      slot->collector->Collect(*families);
    } catch (const std::exception& e) {
      // Only this collector fails; its partial output is dropped so a scrape never mixes
      // half a collection with a failure.
      success = false;
      families = std::make_shared<FamilySet>();
      LogWarn("collector failed", {{"collector", std::string(slot->collector->Name())},
                                   {"err", e.what()}});
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    slot->latest.Store(std::make_shared<const Result>(
        Result{std::move(families), CollectionStatus{success, elapsed.count()}}));
  }
}

void HostPoller::Start() {
  job_ = PeriodicJob::Create(ioc_.get_executor(), interval_, [this] { CollectOnce(); });
  job_->Start(PeriodicJob::Clock::now() + interval_);
  // The job's timer is the loop's work; Stop() in the destructor ends run().
  thread_ = std::thread([this] {
    auto work = net::make_work_guard(ioc_);
    ioc_.run();
  });
}

std::vector<std::shared_ptr<const Source>> HostPoller::Sources() {
  std::vector<std::shared_ptr<const Source>> sources;
  for (const auto& slot : slots_) {
    sources.push_back(std::make_shared<CollectorSource>(shared_from_this(), *slot));
  }
  return sources;
}

}  // namespace metricsd::host
