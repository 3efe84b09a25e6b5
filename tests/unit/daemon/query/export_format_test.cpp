#include "daemon/query/export_format.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "daemon/storage/series_key.h"

namespace metricsd::query {
namespace {

std::string Value(double v) {
  std::string out;
  AppendExportValue(out, v);
  return out;
}

// Go's strconv.FormatFloat(v, 'f', -1, 64), as VictoriaMetrics 1.79 writes values.
TEST(ExportFormatTest, ValuesAsGoFormatsThem) {
  EXPECT_EQ(Value(0), "0");
  EXPECT_EQ(Value(1), "1");
  EXPECT_EQ(Value(-7), "-7");
  EXPECT_EQ(Value(0.1), "0.1");
  EXPECT_EQ(Value(0.30000000000000004), "0.30000000000000004");
  EXPECT_EQ(Value(123.456), "123.456");
  EXPECT_EQ(Value(1e20), "100000000000000000000");
  EXPECT_EQ(Value(1e21), "1000000000000000000000");
  EXPECT_EQ(Value(1e-7), "0.0000001");
  EXPECT_EQ(Value(1700000000.5), "1700000000.5");
  EXPECT_EQ(Value(std::numeric_limits<double>::max()).size(), 309u);
  EXPECT_EQ(Value(INFINITY), "+Inf");
  EXPECT_EQ(Value(-INFINITY), "-Inf");
  EXPECT_EQ(Value(storage::StaleMarker()), "NaN");
  EXPECT_EQ(Value(std::nan("")), "NaN");
}

TEST(ExportFormatTest, LineWithNameFirstAndLabelsByName) {
  storage::SeriesKeyBuilder builder;
  builder.Reset("http_requests_total");
  builder.Add("path", "/a\"b");
  builder.Add("code", "200");
  std::string key(*builder.Finish());
  std::string out;
  AppendExportLine(out, key, {{1000, 1}, {2000, 2.5}, {3000, storage::StaleMarker()}});
  EXPECT_EQ(out,
            R"({"metric":{"__name__":"http_requests_total","code":"200","path":"/a\"b"},)"
            R"("values":[1,2.5,NaN],"timestamps":[1000,2000,3000]})"
            "\n");
}

TEST(ExportFormatTest, NoSamplesNoLine) {
  std::string out;
  AppendExportLine(out, "up", {});
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace metricsd::query
