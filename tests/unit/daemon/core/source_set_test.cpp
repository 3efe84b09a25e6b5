#include "daemon/core/source_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/core/text_writer.h"

namespace metricsd {
namespace {

class FakeCollector final : public Source {
 public:
  FakeCollector(std::string name, std::optional<CollectionStatus> status)
      : name_(std::move(name)), family_("fake_" + name_), status_(status) {}
  std::string_view Name() const override { return name_; }
  void Visit(FamilyVisitor& v) const override {
    v.Family(family_, "Fake.", MetricType::kGauge);
    v.Sample({}, 1);
  }
  std::optional<CollectionStatus> LastCollection() const override { return status_; }

 private:
  std::string name_;
  std::string family_;
  std::optional<CollectionStatus> status_;
};

TEST(SourceSetTest, VisitsSourcesInOrderThenReportsCollectorHealth) {
  SourceSet set({std::make_shared<FakeCollector>("a", CollectionStatus{true, 0.25}),
                 std::make_shared<FakeCollector>("b", CollectionStatus{false, 1.5}),
                 std::make_shared<FakeCollector>("not_a_collector", std::nullopt)});
  std::string out;
  TextWriter writer(out);
  set.Visit(writer);
  EXPECT_THAT(out, ::testing::HasSubstr(
                       "# TYPE metricsd_collector_success gauge\n"
                       "metricsd_collector_success{collector=\"a\"} 1\n"
                       "metricsd_collector_success{collector=\"b\"} 0\n"));
  EXPECT_THAT(out, ::testing::HasSubstr(
                       "metricsd_collector_duration_seconds{collector=\"a\"} 0.25\n"
                       "metricsd_collector_duration_seconds{collector=\"b\"} 1.5\n"));
  EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr("collector=\"not_a_collector\"")));
  EXPECT_LT(out.find("fake_a"), out.find("metricsd_collector_success"));
}

}  // namespace
}  // namespace metricsd
