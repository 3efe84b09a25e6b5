// The evaluator's mechanics. Most expected values are Prometheus 2.42's own: the scripts below
// are excerpts of promql/testdata/*.test in its format (load / eval instant / eval_fail /
// eval_ordered), run by a small runner that, like 2.42's test.go, also checks every instant
// result against a range query around the same time. The rest check limits and the store.
#include "daemon/query/promql/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "daemon/query/promql/memory_queryable.h"
#include "daemon/query/promql/parser.h"
#include "daemon/query/promql/store_queryable.h"
#include "daemon/storage/series_key.h"
#include "daemon/storage/store.h"
#include "tests/unit/support/temp_dir.h"

namespace metricsd::query::promql {
namespace {

// ---- A small runner for Prometheus's test-script format ----------------------------------

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// `name{a="1", b="2"}` (either part optional) into labels; `rest` gets what follows.
Labels ParseSeriesLabels(std::string_view text, std::string_view* rest) {
  Labels labels;
  std::size_t i = 0;
  std::string name;
  while (i < text.size() && text[i] != '{' && text[i] != ' ' && text[i] != '\t') name += text[i++];
  if (!name.empty()) labels.push_back(Label{std::string(kMetricName), name});
  if (i < text.size() && text[i] == '{') {
    ++i;
    for (;;) {
      while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
      if (i >= text.size() || text[i] == '}') break;
      std::string key;
      while (i < text.size() && text[i] != '=' && text[i] != ' ') key += text[i++];
      while (i < text.size() && (text[i] == ' ' || text[i] == '=')) ++i;
      const char quote = text[i++];
      std::string value;
      while (i < text.size() && text[i] != quote) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value += text[i++];
      }
      ++i;
      labels.push_back(Label{key, value});
    }
    ++i;
  }
  std::sort(labels.begin(), labels.end());
  *rest = i < text.size() ? text.substr(i) : std::string_view();
  return labels;
}

double ParseValue(const std::string& text) {
  if (text == "stale") return storage::StaleMarker();
  if (text == "NaN") return std::nan("");
  if (text == "Inf" || text == "+Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  return std::stod(text);
}

// Prometheus's series notation: "0+10x3 _ stale 1x2" with one value per `step`.
std::vector<Point> ExpandValues(std::string_view text, std::int64_t step) {
  std::vector<Point> points;
  std::istringstream in{std::string(text)};
  std::string token;
  std::int64_t i = 0;
  while (in >> token) {
    const auto x = token.find('x');
    if (x == std::string::npos || token == "stale") {
      if (token != "_") points.push_back(Point{i * step, ParseValue(token)});
      ++i;
      continue;
    }
    const int times = std::stoi(token.substr(x + 1));
    const std::string head = token.substr(0, x);
    if (head == "_") {
      i += times;
      continue;
    }
    // a+bxn, a-bxn, axn (b = 0); the sign of b follows a's first character.
    std::size_t op = head.find_first_of("+-", 1);
    while (op != std::string::npos && (head[op - 1] == 'e' || head[op - 1] == 'E')) {
      op = head.find_first_of("+-", op + 1);
    }
    const double start = ParseValue(head.substr(0, op));
    const double inc = op == std::string::npos ? 0 : ParseValue(head.substr(op));
    double v = start;
    for (int k = 0; k <= times; ++k) {
      points.push_back(Point{i * step, v});
      v += inc;
      ++i;
    }
  }
  return points;
}

bool SameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  // 2.42's test.go allows a relative error of 1e-6 (its files print rounded values).
  return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b));
}

std::string Describe(const Vector& vector) {
  std::string out;
  for (const Sample& s : vector) {
    out += LabelsToString(s.labels) + " " + std::to_string(s.v) + "\n";
  }
  return out;
}

class Script {
 public:
  explicit Script(EngineOptions options = {}) : engine_(options) {}

  void Run(std::string_view text) {
    std::vector<std::string> lines;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const std::string line = Trim(lines[i]);
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string> body;
      while (i + 1 < lines.size() && !lines[i + 1].empty() &&
             (lines[i + 1][0] == ' ' || lines[i + 1][0] == '\t')) {
        std::string item = Trim(lines[++i]);
        if (!item.empty() && item[0] != '#') body.push_back(std::move(item));
      }
      if (line == "clear") {
        data_ = std::make_unique<MemoryQueryable>();
      } else if (line.starts_with("load ")) {
        Load(line.substr(5), body);
      } else if (line.starts_with("eval")) {
        Eval(line, body);
      } else {
        ADD_FAILURE() << "unknown script line: " << line;
      }
    }
  }

 private:
  static std::int64_t Duration(std::string_view text) {
    std::optional<std::int64_t> ms = ParseDuration(text);
    EXPECT_TRUE(ms.has_value()) << text;
    return ms.value_or(0);
  }

  void Load(const std::string& step_text, const std::vector<std::string>& body) {
    const std::int64_t step = Duration(Trim(step_text));
    for (const std::string& line : body) {
      std::string_view rest;
      Labels labels = ParseSeriesLabels(line, &rest);
      data_->Add(std::move(labels), ExpandValues(rest, step));
    }
  }

  void Eval(const std::string& line, const std::vector<std::string>& body) {
    // eval[_fail|_ordered] instant at <time> <expr>
    std::istringstream in(line);
    std::string command, instant, at, time;
    in >> command >> instant >> at >> time;
    std::string expr;
    std::getline(in, expr);
    expr = Trim(expr);
    const Timestamp t = Duration(time);
    SCOPED_TRACE(line);
    QueryResult result = engine_.Instant(*data_, expr, t);
    if (command == "eval_fail") {
      EXPECT_FALSE(result.ok()) << "expected an error";
      QueryResult ranged = engine_.Range(*data_, expr, t - 60'000, t + 60'000, 60'000);
      EXPECT_FALSE(ranged.ok()) << "expected an error in range mode";
      return;
    }
    ASSERT_TRUE(result.ok()) << result.error;
    const bool ordered = command == "eval_ordered";
    if (const auto* scalar = std::get_if<Scalar>(&result.value)) {
      ASSERT_EQ(body.size(), 1u);
      EXPECT_PRED2(SameValue, scalar->v, ParseValue(body[0]));
    } else {
      const auto* vector = std::get_if<Vector>(&result.value);
      ASSERT_NE(vector, nullptr) << "not a vector";
      Compare(*vector, body, ordered);
    }
    if (ordered) return;  // a range query's order is by labels
    // As 2.42's test.go: the same result at `t` from a range query around it.
    QueryResult ranged = engine_.Range(*data_, expr, t - 60'000, t + 60'000, 60'000);
    ASSERT_TRUE(ranged.ok()) << "range mode: " << ranged.error;
    Vector at_t;
    for (const Series& s : std::get<Matrix>(ranged.value)) {
      for (const Point& p : s.points) {
        if (p.t == t) at_t.push_back(Sample{s.labels, p.t, p.v});
      }
    }
    if (std::holds_alternative<Scalar>(result.value)) {
      ASSERT_EQ(at_t.size(), 1u);
      EXPECT_PRED2(SameValue, at_t[0].v, std::get<Scalar>(result.value).v);
    } else {
      SCOPED_TRACE("range mode");
      Compare(at_t, body, false);
    }
  }

  static void Compare(const Vector& got, const std::vector<std::string>& want, bool ordered) {
    ASSERT_EQ(got.size(), want.size()) << Describe(got);
    for (std::size_t i = 0; i < want.size(); ++i) {
      std::string_view rest;
      const Labels labels = ParseSeriesLabels(want[i], &rest);
      const double value = ParseValue(Trim(rest));
      bool found = false;
      for (std::size_t j = 0; j < got.size(); ++j) {
        if (ordered && j != i) continue;
        if (got[j].labels == labels) {
          found = true;
          EXPECT_PRED2(SameValue, got[j].v, value) << LabelsToString(labels);
        }
      }
      EXPECT_TRUE(found) << "missing " << want[i] << "\ngot:\n" << Describe(got);
    }
  }

  Engine engine_;
  std::unique_ptr<MemoryQueryable> data_ = std::make_unique<MemoryQueryable>();
};

// Prometheus 2.42 promql/testdata/staleness.test: lookback edges (a sample exactly 5m old counts), staleness markers in instant and range vectors.
TEST(EngineScript, Staleness) {
  Script().Run(R"promql(
load 10s
  metric 0 1 stale 2

# Instant vector doesn't return series when stale.
eval instant at 10s metric
  {__name__="metric"} 1

eval instant at 20s metric

eval instant at 30s metric
  {__name__="metric"} 2

eval instant at 40s metric
  {__name__="metric"} 2

# It goes stale 5 minutes after the last sample.
eval instant at 330s metric
  {__name__="metric"} 2

eval instant at 331s metric


# Range vector ignores stale sample.
eval instant at 30s count_over_time(metric[1m])
  {} 3

eval instant at 10s count_over_time(metric[1s])
  {} 1

eval instant at 20s count_over_time(metric[1s])

eval instant at 20s count_over_time(metric[10s])
  {} 1


clear

load 10s
  metric 0

# Series with single point goes stale after 5 minutes.
eval instant at 0s metric
  {__name__="metric"} 0

eval instant at 150s metric
  {__name__="metric"} 0

eval instant at 300s metric
  {__name__="metric"} 0

eval instant at 301s metric

)promql");
}

// Prometheus 2.42 promql/testdata/collision.test: group_left with on(), and a function output with two equal label sets fails.
TEST(EngineScript, Collision) {
  Script().Run(R"promql(

load 1s
      node_namespace_pod:kube_pod_info:{namespace="observability",node="gke-search-infra-custom-96-253440-fli-d135b119-jx00",pod="node-exporter-l454v"} 1
      node_cpu_seconds_total{cpu="10",endpoint="https",instance="10.253.57.87:9100",job="node-exporter",mode="idle",namespace="observability",pod="node-exporter-l454v",service="node-exporter"} 449
      node_cpu_seconds_total{cpu="35",endpoint="https",instance="10.253.57.87:9100",job="node-exporter",mode="idle",namespace="observability",pod="node-exporter-l454v",service="node-exporter"} 449
      node_cpu_seconds_total{cpu="89",endpoint="https",instance="10.253.57.87:9100",job="node-exporter",mode="idle",namespace="observability",pod="node-exporter-l454v",service="node-exporter"} 449

eval instant at 4s count by(namespace, pod, cpu) (node_cpu_seconds_total{cpu=~".*",job="node-exporter",mode="idle",namespace="observability",pod="node-exporter-l454v"}) * on(namespace, pod) group_left(node) node_namespace_pod:kube_pod_info:{namespace="observability",pod="node-exporter-l454v"}
    {cpu="10",namespace="observability",node="gke-search-infra-custom-96-253440-fli-d135b119-jx00",pod="node-exporter-l454v"} 1
    {cpu="35",namespace="observability",node="gke-search-infra-custom-96-253440-fli-d135b119-jx00",pod="node-exporter-l454v"} 1
    {cpu="89",namespace="observability",node="gke-search-infra-custom-96-253440-fli-d135b119-jx00",pod="node-exporter-l454v"} 1

clear

# Test duplicate labelset in promql output.
load 5m
  testmetric1{src="a",dst="b"} 0
  testmetric2{src="a",dst="b"} 1

eval_fail instant at 0m ceil({__name__=~'testmetric1|testmetric2'})

clear

)promql");
}

// Prometheus 2.42 promql/testdata/selectors.test: offsets, negative offsets, matchers.
TEST(EngineScript, Selectors) {
  Script().Run(R"promql(
load 10s
	http_requests{job="api-server", instance="0", group="production"}	0+10x1000 100+30x1000
	http_requests{job="api-server", instance="1", group="production"}	0+20x1000 200+30x1000
	http_requests{job="api-server", instance="0", group="canary"}		0+30x1000 300+80x1000
	http_requests{job="api-server", instance="1", group="canary"}		0+40x2000

eval instant at 8000s rate(http_requests[1m])
	{job="api-server", instance="0", group="production"} 1
	{job="api-server", instance="1", group="production"} 2
	{job="api-server", instance="0", group="canary"} 3
	{job="api-server", instance="1", group="canary"} 4

eval instant at 18000s rate(http_requests[1m])
	{job="api-server", instance="0", group="production"} 3
	{job="api-server", instance="1", group="production"} 3
	{job="api-server", instance="0", group="canary"} 8
	{job="api-server", instance="1", group="canary"} 4

eval instant at 8000s rate(http_requests{group=~"pro.*"}[1m])
	{job="api-server", instance="0", group="production"} 1
	{job="api-server", instance="1", group="production"} 2

eval instant at 18000s rate(http_requests{group=~".*ry", instance="1"}[1m])
	{job="api-server", instance="1", group="canary"} 4

eval instant at 18000s rate(http_requests{instance!="3"}[1m] offset 10000s)
	{job="api-server", instance="0", group="production"} 1
	{job="api-server", instance="1", group="production"} 2
	{job="api-server", instance="0", group="canary"} 3
	{job="api-server", instance="1", group="canary"} 4

eval instant at 4000s rate(http_requests{instance!="3"}[1m] offset -4000s)
	{job="api-server", instance="0", group="production"} 1
	{job="api-server", instance="1", group="production"} 2
	{job="api-server", instance="0", group="canary"} 3
	{job="api-server", instance="1", group="canary"} 4

eval instant at 18000s rate(http_requests[40s]) - rate(http_requests[1m] offset 10000s)
	{job="api-server", instance="0", group="production"} 2
	{job="api-server", instance="1", group="production"} 1
	{job="api-server", instance="0", group="canary"} 5
	{job="api-server", instance="1", group="canary"} 0

# https://github.com/prometheus/prometheus/issues/3575
eval instant at 0s http_requests{foo!="bar"}
	http_requests{job="api-server", instance="0", group="production"} 0
	http_requests{job="api-server", instance="1", group="production"} 0
	http_requests{job="api-server", instance="0", group="canary"} 0
	http_requests{job="api-server", instance="1", group="canary"} 0

eval instant at 0s http_requests{foo!="bar", job="api-server"}
	http_requests{job="api-server", instance="0", group="production"} 0
	http_requests{job="api-server", instance="1", group="production"} 0
	http_requests{job="api-server", instance="0", group="canary"} 0
	http_requests{job="api-server", instance="1", group="canary"} 0

eval instant at 0s http_requests{foo!~"bar", job="api-server"}
	http_requests{job="api-server", instance="0", group="production"} 0
	http_requests{job="api-server", instance="1", group="production"} 0
	http_requests{job="api-server", instance="0", group="canary"} 0
	http_requests{job="api-server", instance="1", group="canary"} 0
)promql");
}

// Prometheus 2.42 promql/testdata/operators.test: arithmetic, name dropping, bool, vector matching with on/ignoring/group_left/group_right, set operators, %, ^, atan2.
TEST(EngineScript, Operators) {
  Script().Run(R"promql(
load 5m
	http_requests{job="api-server", instance="0", group="production"}	0+10x10
	http_requests{job="api-server", instance="1", group="production"}	0+20x10
	http_requests{job="api-server", instance="0", group="canary"}		0+30x10
	http_requests{job="api-server", instance="1", group="canary"}		0+40x10
	http_requests{job="app-server", instance="0", group="production"}	0+50x10
	http_requests{job="app-server", instance="1", group="production"}	0+60x10
	http_requests{job="app-server", instance="0", group="canary"}		0+70x10
	http_requests{job="app-server", instance="1", group="canary"}		0+80x10

load 5m
	vector_matching_a{l="x"} 0+1x100
	vector_matching_a{l="y"} 0+2x50
	vector_matching_b{l="x"} 0+4x25


eval instant at 50m SUM(http_requests) BY (job) - COUNT(http_requests) BY (job)
	{job="api-server"} 996
	{job="app-server"} 2596

eval instant at 50m 2 - SUM(http_requests) BY (job)
	{job="api-server"} -998
	{job="app-server"} -2598

eval instant at 50m -http_requests{job="api-server",instance="0",group="production"}
  {job="api-server",instance="0",group="production"} -100

eval instant at 50m +http_requests{job="api-server",instance="0",group="production"}
  http_requests{job="api-server",instance="0",group="production"} 100

eval instant at 50m - - - SUM(http_requests) BY (job)
	{job="api-server"} -1000
	{job="app-server"} -2600

eval instant at 50m - - - 1
  -1

eval instant at 50m -2^---1*3
  -1.5

eval instant at 50m 2/-2^---1*3+2
  -10

eval instant at 50m -10^3 * - SUM(http_requests) BY (job) ^ -1
	{job="api-server"} 1
	{job="app-server"} 0.38461538461538464

eval instant at 50m 1000 / SUM(http_requests) BY (job)
	{job="api-server"} 1
	{job="app-server"} 0.38461538461538464

eval instant at 50m SUM(http_requests) BY (job) - 2
	{job="api-server"} 998
	{job="app-server"} 2598

eval instant at 50m SUM(http_requests) BY (job) % 3
	{job="api-server"} 1
	{job="app-server"} 2

eval instant at 50m SUM(http_requests) BY (job) % 0.3
	{job="api-server"} 0.1
	{job="app-server"} 0.2

eval instant at 50m SUM(http_requests) BY (job) ^ 2
	{job="api-server"} 1000000
	{job="app-server"} 6760000

eval instant at 50m SUM(http_requests) BY (job) % 3 ^ 2
	{job="api-server"} 1
	{job="app-server"} 8

eval instant at 50m SUM(http_requests) BY (job) % 2 ^ (3 ^ 2)
	{job="api-server"} 488
	{job="app-server"} 40

eval instant at 50m SUM(http_requests) BY (job) % 2 ^ 3 ^ 2
	{job="api-server"} 488
	{job="app-server"} 40

eval instant at 50m SUM(http_requests) BY (job) % 2 ^ 3 ^ 2 ^ 2
	{job="api-server"} 1000
	{job="app-server"} 2600

eval instant at 50m COUNT(http_requests) BY (job) ^ COUNT(http_requests) BY (job)
	{job="api-server"} 256
	{job="app-server"} 256

eval instant at 50m SUM(http_requests) BY (job) / 0
	{job="api-server"} +Inf
	{job="app-server"} +Inf

eval instant at 50m http_requests{group="canary", instance="0", job="api-server"} / 0
	{group="canary", instance="0", job="api-server"} +Inf

eval instant at 50m -1 * http_requests{group="canary", instance="0", job="api-server"} / 0
	{group="canary", instance="0", job="api-server"} -Inf

eval instant at 50m 0 * http_requests{group="canary", instance="0", job="api-server"} / 0
	{group="canary", instance="0", job="api-server"} NaN

eval instant at 50m 0 * http_requests{group="canary", instance="0", job="api-server"} % 0
	{group="canary", instance="0", job="api-server"} NaN

eval instant at 50m SUM(http_requests) BY (job) + SUM(http_requests) BY (job)
	{job="api-server"} 2000
	{job="app-server"} 5200

eval instant at 50m (SUM((http_requests)) BY (job)) + SUM(http_requests) BY (job)
	{job="api-server"} 2000
	{job="app-server"} 5200

eval instant at 50m http_requests{job="api-server", group="canary"}
	http_requests{group="canary", instance="0", job="api-server"} 300
	http_requests{group="canary", instance="1", job="api-server"} 400

eval instant at 50m http_requests{job="api-server", group="canary"} + rate(http_requests{job="api-server"}[5m]) * 5 * 60
	{group="canary", instance="0", job="api-server"} 330
	{group="canary", instance="1", job="api-server"} 440

eval instant at 50m rate(http_requests[25m]) * 25 * 60
  {group="canary", instance="0", job="api-server"} 150
  {group="canary", instance="0", job="app-server"} 350
  {group="canary", instance="1", job="api-server"} 200
  {group="canary", instance="1", job="app-server"} 400
  {group="production", instance="0", job="api-server"} 50
  {group="production", instance="0", job="app-server"} 249.99999999999997
  {group="production", instance="1", job="api-server"} 100
  {group="production", instance="1", job="app-server"} 300

eval instant at 50m (rate((http_requests[25m])) * 25) * 60
  {group="canary", instance="0", job="api-server"} 150
  {group="canary", instance="0", job="app-server"} 350
  {group="canary", instance="1", job="api-server"} 200
  {group="canary", instance="1", job="app-server"} 400
  {group="production", instance="0", job="api-server"} 50
  {group="production", instance="0", job="app-server"} 249.99999999999997
  {group="production", instance="1", job="api-server"} 100
  {group="production", instance="1", job="app-server"} 300


eval instant at 50m http_requests{group="canary"} and http_requests{instance="0"}
	http_requests{group="canary", instance="0", job="api-server"} 300
	http_requests{group="canary", instance="0", job="app-server"} 700

eval instant at 50m (http_requests{group="canary"} + 1) and http_requests{instance="0"}
	{group="canary", instance="0", job="api-server"} 301
	{group="canary", instance="0", job="app-server"} 701

eval instant at 50m (http_requests{group="canary"} + 1) and on(instance, job) http_requests{instance="0", group="production"}
	{group="canary", instance="0", job="api-server"} 301
	{group="canary", instance="0", job="app-server"} 701

eval instant at 50m (http_requests{group="canary"} + 1) and on(instance) http_requests{instance="0", group="production"}
	{group="canary", instance="0", job="api-server"} 301
	{group="canary", instance="0", job="app-server"} 701

eval instant at 50m (http_requests{group="canary"} + 1) and ignoring(group) http_requests{instance="0", group="production"}
	{group="canary", instance="0", job="api-server"} 301
	{group="canary", instance="0", job="app-server"} 701

eval instant at 50m (http_requests{group="canary"} + 1) and ignoring(group, job) http_requests{instance="0", group="production"}
	{group="canary", instance="0", job="api-server"} 301
	{group="canary", instance="0", job="app-server"} 701

eval instant at 50m http_requests{group="canary"} or http_requests{group="production"}
	http_requests{group="canary", instance="0", job="api-server"} 300
	http_requests{group="canary", instance="0", job="app-server"} 700
	http_requests{group="canary", instance="1", job="api-server"} 400
	http_requests{group="canary", instance="1", job="app-server"} 800
	http_requests{group="production", instance="0", job="api-server"} 100
	http_requests{group="production", instance="0", job="app-server"} 500
	http_requests{group="production", instance="1", job="api-server"} 200
	http_requests{group="production", instance="1", job="app-server"} 600

# On overlap the rhs samples must be dropped.
eval instant at 50m (http_requests{group="canary"} + 1) or http_requests{instance="1"}
	{group="canary", instance="0", job="api-server"} 301
	{group="canary", instance="0", job="app-server"} 701
	{group="canary", instance="1", job="api-server"} 401
	{group="canary", instance="1", job="app-server"} 801
	http_requests{group="production", instance="1", job="api-server"} 200
	http_requests{group="production", instance="1", job="app-server"} 600


# Matching only on instance excludes everything that has instance=0/1 but includes
# entries without the instance label.
eval instant at 50m (http_requests{group="canary"} + 1) or on(instance) (http_requests or cpu_count or vector_matching_a)
	{group="canary", instance="0", job="api-server"} 301
	{group="canary", instance="0", job="app-server"} 701
	{group="canary", instance="1", job="api-server"} 401
	{group="canary", instance="1", job="app-server"} 801
	vector_matching_a{l="x"} 10
	vector_matching_a{l="y"} 20

eval instant at 50m (http_requests{group="canary"} + 1) or ignoring(l, group, job) (http_requests or cpu_count or vector_matching_a)
	{group="canary", instance="0", job="api-server"} 301
	{group="canary", instance="0", job="app-server"} 701
	{group="canary", instance="1", job="api-server"} 401
	{group="canary", instance="1", job="app-server"} 801
	vector_matching_a{l="x"} 10
	vector_matching_a{l="y"} 20

eval instant at 50m http_requests{group="canary"} unless http_requests{instance="0"}
	http_requests{group="canary", instance="1", job="api-server"} 400
	http_requests{group="canary", instance="1", job="app-server"} 800

eval instant at 50m http_requests{group="canary"} unless on(job) http_requests{instance="0"}

eval instant at 50m http_requests{group="canary"} unless on(job, instance) http_requests{instance="0"}
	http_requests{group="canary", instance="1", job="api-server"} 400
	http_requests{group="canary", instance="1", job="app-server"} 800

eval instant at 50m http_requests{group="canary"} / on(instance,job) http_requests{group="production"}
	{instance="0", job="api-server"} 3
	{instance="0", job="app-server"} 1.4
	{instance="1", job="api-server"} 2
	{instance="1", job="app-server"} 1.3333333333333333

eval instant at 50m http_requests{group="canary"} unless ignoring(group, instance) http_requests{instance="0"}

eval instant at 50m http_requests{group="canary"} unless ignoring(group) http_requests{instance="0"}
	http_requests{group="canary", instance="1", job="api-server"} 400
	http_requests{group="canary", instance="1", job="app-server"} 800

eval instant at 50m http_requests{group="canary"} / ignoring(group) http_requests{group="production"}
	{instance="0", job="api-server"} 3
	{instance="0", job="app-server"} 1.4
	{instance="1", job="api-server"} 2
	{instance="1", job="app-server"} 1.3333333333333333

# https://github.com/prometheus/prometheus/issues/1489
eval instant at 50m http_requests AND ON (dummy) vector(1)
	http_requests{group="canary", instance="0", job="api-server"} 300
	http_requests{group="canary", instance="0", job="app-server"} 700
	http_requests{group="canary", instance="1", job="api-server"} 400
	http_requests{group="canary", instance="1", job="app-server"} 800
	http_requests{group="production", instance="0", job="api-server"} 100
	http_requests{group="production", instance="0", job="app-server"} 500
	http_requests{group="production", instance="1", job="api-server"} 200
	http_requests{group="production", instance="1", job="app-server"} 600

eval instant at 50m http_requests AND IGNORING (group, instance, job) vector(1)
	http_requests{group="canary", instance="0", job="api-server"} 300
	http_requests{group="canary", instance="0", job="app-server"} 700
	http_requests{group="canary", instance="1", job="api-server"} 400
	http_requests{group="canary", instance="1", job="app-server"} 800
	http_requests{group="production", instance="0", job="api-server"} 100
	http_requests{group="production", instance="0", job="app-server"} 500
	http_requests{group="production", instance="1", job="api-server"} 200
	http_requests{group="production", instance="1", job="app-server"} 600


# Comparisons.
eval instant at 50m SUM(http_requests) BY (job) > 1000
	{job="app-server"} 2600

eval instant at 50m 1000 < SUM(http_requests) BY (job)
	{job="app-server"} 2600

eval instant at 50m SUM(http_requests) BY (job) <= 1000
	{job="api-server"} 1000

eval instant at 50m SUM(http_requests) BY (job) != 1000
	{job="app-server"} 2600

eval instant at 50m SUM(http_requests) BY (job) == 1000
	{job="api-server"} 1000

eval instant at 50m SUM(http_requests) BY (job) == bool 1000
	{job="api-server"} 1
	{job="app-server"} 0

eval instant at 50m SUM(http_requests) BY (job) == bool SUM(http_requests) BY (job)
	{job="api-server"} 1
	{job="app-server"} 1

eval instant at 50m SUM(http_requests) BY (job) != bool SUM(http_requests) BY (job)
	{job="api-server"} 0
	{job="app-server"} 0

eval instant at 50m 0 == bool 1
	0

eval instant at 50m 1 == bool 1
	1

eval instant at 50m http_requests{job="api-server", instance="0", group="production"} == bool 100
	{job="api-server", instance="0", group="production"} 1

# group_left/group_right.

clear

load 5m
  node_var{instance="abc",job="node"} 2
  node_role{instance="abc",job="node",role="prometheus"} 1

load 5m
  node_cpu{instance="abc",job="node",mode="idle"} 3
  node_cpu{instance="abc",job="node",mode="user"} 1
  node_cpu{instance="def",job="node",mode="idle"} 8
  node_cpu{instance="def",job="node",mode="user"} 2

load 5m
  random{foo="bar"} 1

load 5m
  threshold{instance="abc",job="node",target="a@b.com"} 0

# Copy machine role to node variable.
eval instant at 5m node_role * on (instance) group_right (role) node_var
  {instance="abc",job="node",role="prometheus"} 2

eval instant at 5m node_var * on (instance) group_left (role) node_role
  {instance="abc",job="node",role="prometheus"} 2

eval instant at 5m node_var * ignoring (role) group_left (role) node_role
  {instance="abc",job="node",role="prometheus"} 2

eval instant at 5m node_role * ignoring (role) group_right (role) node_var
  {instance="abc",job="node",role="prometheus"} 2

# Copy machine role to node variable with instrumentation labels.
eval instant at 5m node_cpu * ignoring (role, mode) group_left (role) node_role
  {instance="abc",job="node",mode="idle",role="prometheus"} 3
  {instance="abc",job="node",mode="user",role="prometheus"} 1

eval instant at 5m node_cpu * on (instance) group_left (role) node_role
  {instance="abc",job="node",mode="idle",role="prometheus"} 3
  {instance="abc",job="node",mode="user",role="prometheus"} 1


# Ratio of total.
eval instant at 5m node_cpu / on (instance) group_left sum by (instance,job)(node_cpu)
  {instance="abc",job="node",mode="idle"} .75
  {instance="abc",job="node",mode="user"} .25
  {instance="def",job="node",mode="idle"} .80
  {instance="def",job="node",mode="user"} .20

eval instant at 5m sum by (mode, job)(node_cpu) / on (job) group_left sum by (job)(node_cpu)
  {job="node",mode="idle"} 0.7857142857142857
  {job="node",mode="user"} 0.21428571428571427

eval instant at 5m sum(sum by (mode, job)(node_cpu) / on (job) group_left sum by (job)(node_cpu))
  {} 1.0


eval instant at 5m node_cpu / ignoring (mode) group_left sum without (mode)(node_cpu)
  {instance="abc",job="node",mode="idle"} .75
  {instance="abc",job="node",mode="user"} .25
  {instance="def",job="node",mode="idle"} .80
  {instance="def",job="node",mode="user"} .20

eval instant at 5m node_cpu / ignoring (mode) group_left(dummy) sum without (mode)(node_cpu)
  {instance="abc",job="node",mode="idle"} .75
  {instance="abc",job="node",mode="user"} .25
  {instance="def",job="node",mode="idle"} .80
  {instance="def",job="node",mode="user"} .20

eval instant at 5m sum without (instance)(node_cpu) / ignoring (mode) group_left sum without (instance, mode)(node_cpu)
  {job="node",mode="idle"} 0.7857142857142857
  {job="node",mode="user"} 0.21428571428571427

eval instant at 5m sum(sum without (instance)(node_cpu) / ignoring (mode) group_left sum without (instance, mode)(node_cpu))
  {} 1.0


# Copy over label from metric with no matching labels, without having to list cross-job target labels ('job' here).
eval instant at 5m node_cpu + on(dummy) group_left(foo) random*0
  {instance="abc",job="node",mode="idle",foo="bar"} 3
  {instance="abc",job="node",mode="user",foo="bar"} 1
  {instance="def",job="node",mode="idle",foo="bar"} 8
  {instance="def",job="node",mode="user",foo="bar"} 2


# Use threshold from metric, and copy over target.
eval instant at 5m node_cpu > on(job, instance) group_left(target) threshold
  node_cpu{instance="abc",job="node",mode="idle",target="a@b.com"} 3
  node_cpu{instance="abc",job="node",mode="user",target="a@b.com"} 1

# Use threshold from metric, and a default (1) if it's not present.
eval instant at 5m node_cpu > on(job, instance) group_left(target) (threshold or on (job, instance) (sum by (job, instance)(node_cpu) * 0 + 1))
  node_cpu{instance="abc",job="node",mode="idle",target="a@b.com"} 3
  node_cpu{instance="abc",job="node",mode="user",target="a@b.com"} 1
  node_cpu{instance="def",job="node",mode="idle"} 8
  node_cpu{instance="def",job="node",mode="user"} 2


# Check that binops drop the metric name.
eval instant at 5m node_cpu + 2
  {instance="abc",job="node",mode="idle"} 5
  {instance="abc",job="node",mode="user"} 3
  {instance="def",job="node",mode="idle"} 10
  {instance="def",job="node",mode="user"} 4

eval instant at 5m node_cpu - 2
  {instance="abc",job="node",mode="idle"} 1
  {instance="abc",job="node",mode="user"} -1
  {instance="def",job="node",mode="idle"} 6
  {instance="def",job="node",mode="user"} 0

eval instant at 5m node_cpu / 2
  {instance="abc",job="node",mode="idle"} 1.5
  {instance="abc",job="node",mode="user"} 0.5
  {instance="def",job="node",mode="idle"} 4
  {instance="def",job="node",mode="user"} 1

eval instant at 5m node_cpu * 2
  {instance="abc",job="node",mode="idle"} 6
  {instance="abc",job="node",mode="user"} 2
  {instance="def",job="node",mode="idle"} 16
  {instance="def",job="node",mode="user"} 4

eval instant at 5m node_cpu ^ 2
  {instance="abc",job="node",mode="idle"} 9
  {instance="abc",job="node",mode="user"} 1
  {instance="def",job="node",mode="idle"} 64
  {instance="def",job="node",mode="user"} 4

eval instant at 5m node_cpu % 2
  {instance="abc",job="node",mode="idle"} 1
  {instance="abc",job="node",mode="user"} 1
  {instance="def",job="node",mode="idle"} 0
  {instance="def",job="node",mode="user"} 0


clear

load 5m
  random{foo="bar"} 2
  metricA{baz="meh"} 3
  metricB{baz="meh"} 4

# On with no labels, for metrics with no common labels.
eval instant at 5m random + on() metricA
  {} 5

# Ignoring with no labels is the same as no ignoring.
eval instant at 5m metricA + ignoring() metricB
  {baz="meh"} 7

eval instant at 5m metricA + metricB
  {baz="meh"} 7

clear

# Test duplicate labelset in promql output.
load 5m
  testmetric1{src="a",dst="b"} 0
  testmetric2{src="a",dst="b"} 1

eval_fail instant at 0m -{__name__=~'testmetric1|testmetric2'}

clear

load 5m
    test_total{instance="localhost"} 50
    test_smaller{instance="localhost"} 10

eval instant at 5m test_total > bool test_smaller
    {instance="localhost"} 1

eval instant at 5m test_total > test_smaller
    test_total{instance="localhost"} 50

eval instant at 5m test_total < bool test_smaller
    {instance="localhost"} 0

eval instant at 5m test_total < test_smaller

clear

# Testing atan2.
load 5m
    trigy{} 10
    trigx{} 20
    trigNaN{} NaN

eval instant at 5m trigy atan2 trigx
    trigy{} 0.4636476090008061

eval instant at 5m trigy atan2 trigNaN
    trigy{} NaN

eval instant at 5m 10 atan2 20
    0.4636476090008061

eval instant at 5m 10 atan2 NaN
    NaN

)promql");
}

// Prometheus 2.42 promql/testdata/aggregators.test: topk/bottomk order and NaN handling, count_values, quantile, avg's overflow and infinities.
TEST(EngineScript, Aggregators) {
  Script().Run(R"promql(
# Tests for topk/bottomk.
load 5m
	http_requests{job="api-server", instance="0", group="production"}	0+10x10
	http_requests{job="api-server", instance="1", group="production"}	0+20x10
	http_requests{job="api-server", instance="2", group="production"}	NaN NaN NaN NaN NaN NaN NaN NaN NaN NaN
	http_requests{job="api-server", instance="0", group="canary"}		0+30x10
	http_requests{job="api-server", instance="1", group="canary"}		0+40x10
	http_requests{job="app-server", instance="0", group="production"}	0+50x10
	http_requests{job="app-server", instance="1", group="production"}	0+60x10
	http_requests{job="app-server", instance="0", group="canary"}		0+70x10
	http_requests{job="app-server", instance="1", group="canary"}		0+80x10
	foo 3+0x10

eval_ordered instant at 50m topk(3, http_requests)
	http_requests{group="canary", instance="1", job="app-server"} 800
	http_requests{group="canary", instance="0", job="app-server"} 700
	http_requests{group="production", instance="1", job="app-server"} 600

eval_ordered instant at 50m topk((3), (http_requests))
	http_requests{group="canary", instance="1", job="app-server"} 800
	http_requests{group="canary", instance="0", job="app-server"} 700
	http_requests{group="production", instance="1", job="app-server"} 600

eval_ordered instant at 50m topk(5, http_requests{group="canary",job="app-server"})
	http_requests{group="canary", instance="1", job="app-server"} 800
	http_requests{group="canary", instance="0", job="app-server"} 700

eval_ordered instant at 50m bottomk(3, http_requests)
	http_requests{group="production", instance="0", job="api-server"} 100
	http_requests{group="production", instance="1", job="api-server"} 200
	http_requests{group="canary", instance="0", job="api-server"} 300

eval_ordered instant at 50m bottomk(5, http_requests{group="canary",job="app-server"})
	http_requests{group="canary", instance="0", job="app-server"} 700
	http_requests{group="canary", instance="1", job="app-server"} 800

eval instant at 50m topk by (group) (1, http_requests)
  http_requests{group="production", instance="1", job="app-server"} 600
  http_requests{group="canary", instance="1", job="app-server"} 800

eval instant at 50m bottomk by (group) (2, http_requests)
  http_requests{group="canary", instance="0", job="api-server"} 300
  http_requests{group="canary", instance="1", job="api-server"} 400
  http_requests{group="production", instance="0", job="api-server"} 100
  http_requests{group="production", instance="1", job="api-server"} 200

eval_ordered instant at 50m bottomk by (group) (2, http_requests{group="production"})
  http_requests{group="production", instance="0", job="api-server"} 100
  http_requests{group="production", instance="1", job="api-server"} 200

# Test NaN is sorted away from the top/bottom.
eval_ordered instant at 50m topk(3, http_requests{job="api-server",group="production"})
	http_requests{job="api-server", instance="1", group="production"}	200
	http_requests{job="api-server", instance="0", group="production"}	100
	http_requests{job="api-server", instance="2", group="production"}	NaN

eval_ordered instant at 50m bottomk(3, http_requests{job="api-server",group="production"})
	http_requests{job="api-server", instance="0", group="production"}	100
	http_requests{job="api-server", instance="1", group="production"}	200
	http_requests{job="api-server", instance="2", group="production"}	NaN

# Test topk and bottomk allocate min(k, input_vector) for results vector
eval_ordered instant at 50m bottomk(9999999999, http_requests{job="app-server",group="canary"})
	http_requests{group="canary", instance="0", job="app-server"} 700
	http_requests{group="canary", instance="1", job="app-server"} 800

eval_ordered instant at 50m topk(9999999999, http_requests{job="api-server",group="production"})
	http_requests{job="api-server", instance="1", group="production"}	200
	http_requests{job="api-server", instance="0", group="production"}	100
	http_requests{job="api-server", instance="2", group="production"}	NaN

# Bug #5276.
eval_ordered instant at 50m topk(scalar(foo), http_requests)
	http_requests{group="canary", instance="1", job="app-server"} 800
	http_requests{group="canary", instance="0", job="app-server"} 700
	http_requests{group="production", instance="1", job="app-server"} 600

clear

# Tests for count_values.
load 5m
	version{job="api-server", instance="0", group="production"}	6
	version{job="api-server", instance="1", group="production"}	6
	version{job="api-server", instance="2", group="production"}	6
	version{job="api-server", instance="0", group="canary"}		8
	version{job="api-server", instance="1", group="canary"}		8
	version{job="app-server", instance="0", group="production"}	6
	version{job="app-server", instance="1", group="production"}	6
	version{job="app-server", instance="0", group="canary"}		7
	version{job="app-server", instance="1", group="canary"}		7

eval instant at 5m count_values("version", version)
	{version="6"} 5
	{version="7"} 2
	{version="8"} 2


eval instant at 5m count_values(((("version"))), version)
       {version="6"} 5
       {version="7"} 2
       {version="8"} 2


eval instant at 5m count_values without (instance)("version", version)
	{job="api-server", group="production", version="6"} 3
	{job="api-server", group="canary", version="8"} 2
	{job="app-server", group="production", version="6"} 2
	{job="app-server", group="canary", version="7"} 2

# Overwrite label with output. Don't do this.
eval instant at 5m count_values without (instance)("job", version)
	{job="6", group="production"} 5
	{job="8", group="canary"} 2
	{job="7", group="canary"} 2

# Overwrite label with output. Don't do this.
eval instant at 5m count_values by (job, group)("job", version)
	{job="6", group="production"} 5
	{job="8", group="canary"} 2
	{job="7", group="canary"} 2


# Tests for quantile.
clear

load 10s
	data{test="two samples",point="a"} 0
	data{test="two samples",point="b"} 1
	data{test="three samples",point="a"} 0
	data{test="three samples",point="b"} 1
	data{test="three samples",point="c"} 2
	data{test="uneven samples",point="a"} 0
	data{test="uneven samples",point="b"} 1
	data{test="uneven samples",point="c"} 4
	foo .8

eval instant at 1m quantile without(point)(0.8, data)
	{test="two samples"} 0.8
	{test="three samples"} 1.6
	{test="uneven samples"} 2.8

# Bug #5276.
eval instant at 1m quantile without(point)(scalar(foo), data)
	{test="two samples"} 0.8
	{test="three samples"} 1.6
	{test="uneven samples"} 2.8


eval instant at 1m quantile without(point)((scalar(foo)), data)
	{test="two samples"} 0.8
	{test="three samples"} 1.6
	{test="uneven samples"} 2.8

eval instant at 1m quantile without(point)(NaN, data)
    {test="two samples"} NaN
    {test="three samples"} NaN
    {test="uneven samples"} NaN

# Tests for group.
clear

load 10s
	data{test="two samples",point="a"} 0
	data{test="two samples",point="b"} 1
	data{test="three samples",point="a"} 0
	data{test="three samples",point="b"} 1
	data{test="three samples",point="c"} 2
	data{test="uneven samples",point="a"} 0
	data{test="uneven samples",point="b"} 1
	data{test="uneven samples",point="c"} 4
	foo .8

eval instant at 1m group without(point)(data)
	{test="two samples"} 1
	{test="three samples"} 1
	{test="uneven samples"} 1

eval instant at 1m group(foo)
	{} 1

# Tests for avg.
clear

load 10s
	data{test="ten",point="a"} 8
	data{test="ten",point="b"} 10
	data{test="ten",point="c"} 12
	data{test="inf",point="a"} 0
	data{test="inf",point="b"} Inf
	data{test="inf",point="d"} Inf
	data{test="inf",point="c"} 0
	data{test="-inf",point="a"} -Inf
	data{test="-inf",point="b"} -Inf
	data{test="-inf",point="c"} 0
	data{test="inf2",point="a"} Inf
	data{test="inf2",point="b"} 0
	data{test="inf2",point="c"} Inf
	data{test="-inf2",point="a"} -Inf
	data{test="-inf2",point="b"} 0
	data{test="-inf2",point="c"} -Inf
	data{test="inf3",point="b"} Inf
	data{test="inf3",point="d"} Inf
	data{test="inf3",point="c"} Inf
	data{test="inf3",point="d"} -Inf
	data{test="-inf3",point="b"} -Inf
	data{test="-inf3",point="d"} -Inf
	data{test="-inf3",point="c"} -Inf
	data{test="-inf3",point="c"} Inf
	data{test="nan",point="a"} -Inf
	data{test="nan",point="b"} 0
	data{test="nan",point="c"} Inf
	data{test="big",point="a"} 9.988465674311579e+307
	data{test="big",point="b"} 9.988465674311579e+307
	data{test="big",point="c"} 9.988465674311579e+307
	data{test="big",point="d"} 9.988465674311579e+307
	data{test="-big",point="a"} -9.988465674311579e+307
	data{test="-big",point="b"} -9.988465674311579e+307
	data{test="-big",point="c"} -9.988465674311579e+307
	data{test="-big",point="d"} -9.988465674311579e+307
	data{test="bigzero",point="a"} -9.988465674311579e+307
	data{test="bigzero",point="b"} -9.988465674311579e+307
	data{test="bigzero",point="c"} 9.988465674311579e+307
	data{test="bigzero",point="d"} 9.988465674311579e+307

eval instant at 1m avg(data{test="ten"})
	{} 10

eval instant at 1m avg(data{test="inf"})
	{} Inf

eval instant at 1m avg(data{test="inf2"})
	{} Inf

eval instant at 1m avg(data{test="inf3"})
	{} NaN

eval instant at 1m avg(data{test="-inf"})
	{} -Inf

eval instant at 1m avg(data{test="-inf2"})
	{} -Inf

eval instant at 1m avg(data{test="-inf3"})
	{} NaN

eval instant at 1m avg(data{test="nan"})
	{} NaN

eval instant at 1m avg(data{test="big"})
	{} 9.988465674311579e+307

eval instant at 1m avg(data{test="-big"})
	{} -9.988465674311579e+307

eval instant at 1m avg(data{test="bigzero"})
	{} 0

clear

# Test that aggregations are deterministic.
# Commented because it is flaky in range mode.
#load 10s
#	up{job="prometheus"} 1
#	up{job="prometheus2"} 1
#
#eval instant at 1m count(topk(1,max(up) without()) == topk(1,max(up) without()) == topk(1,max(up) without()) == topk(1,max(up) without()) == topk(1,max(up) without()))
#	{} 1
)promql");
}

// Prometheus 2.42 promql/testdata/subquery.test: subquery step alignment, offsets, nesting.
TEST(EngineScript, Subquery) {
  Script().Run(R"promql(
load 10s
  metric 1 2

# Evaluation before 0s gets no sample.
eval instant at 10s sum_over_time(metric[50s:10s])
  {} 3

eval instant at 10s sum_over_time(metric[50s:5s])
  {} 4

# Every evaluation yields the last value, i.e. 2
eval instant at 5m sum_over_time(metric[50s:10s])
  {} 12

# Series becomes stale at 5m10s (5m after last sample)
# Hence subquery gets a single sample at 6m-50s=5m10s.
eval instant at 6m sum_over_time(metric[50s:10s])
  {} 2

eval instant at 10s rate(metric[20s:10s])
  {} 0.1

eval instant at 20s rate(metric[20s:5s])
  {} 0.05

clear

load 10s
  http_requests{job="api-server", instance="1", group="production"} 0+20x1000 200+30x1000
  http_requests{job="api-server", instance="0", group="production"} 0+10x1000 100+30x1000
  http_requests{job="api-server", instance="0", group="canary"}  0+30x1000 300+80x1000
  http_requests{job="api-server", instance="1", group="canary"}  0+40x2000

eval instant at 8000s rate(http_requests{group=~"pro.*"}[1m:10s])
  {job="api-server", instance="0", group="production"} 1
  {job="api-server", instance="1", group="production"} 2

eval instant at 20000s avg_over_time(rate(http_requests[1m])[1m:1s])
  {job="api-server", instance="0", group="canary"}     8
  {job="api-server", instance="1", group="canary"}     4
  {job="api-server", instance="1", group="production"} 3
  {job="api-server", instance="0", group="production"} 3

clear

load 10s
  metric1 0+1x1000
  metric2 0+2x1000
  metric3 0+3x1000

eval instant at 1000s sum_over_time(metric1[30s:10s])
  {} 394

# This is (394*2 - 100), because other than the last 100 at 1000s,
# everything else is repeated with the 5s step.
eval instant at 1000s sum_over_time(metric1[30s:5s])
  {} 688

# Offset is aligned with the step.
eval instant at 1010s sum_over_time(metric1[30s:10s] offset 10s)
  {} 394

# Same result for different offsets due to step alignment.
eval instant at 1010s sum_over_time(metric1[30s:10s] offset 9s)
  {} 297

eval instant at 1010s sum_over_time(metric1[30s:10s] offset 7s)
  {} 297

eval instant at 1010s sum_over_time(metric1[30s:10s] offset 5s)
  {} 297

eval instant at 1010s sum_over_time(metric1[30s:10s] offset 3s)
  {} 297

eval instant at 1010s sum_over_time((metric1)[30s:10s] offset 3s)
  {} 297

# Nested subqueries
eval instant at 1000s rate(sum_over_time(metric1[30s:10s])[50s:10s])
  {} 0.4

eval instant at 1000s rate(sum_over_time(metric2[30s:10s])[50s:10s])
  {} 0.8
  
eval instant at 1000s rate(sum_over_time(metric3[30s:10s])[50s:10s])
  {} 1.2
  
eval instant at 1000s rate(sum_over_time((metric1+metric2+metric3)[30s:10s])[30s:10s])
  {} 2.4

clear

# Fibonacci sequence, to ensure the rate is not constant.
# Additional note: using subqueries unnecessarily is unwise.
load 7s
  metric 1 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987 1597 2584 4181 6765 10946 17711 28657 46368 75025 121393 196418 317811 514229 832040 1346269 2178309 3524578 5702887 9227465 14930352 24157817 39088169 63245986 102334155 165580141 267914296 433494437 701408733 1134903170 1836311903 2971215073 4807526976 7778742049 12586269025 20365011074 32951280099 53316291173 86267571272 139583862445 225851433717 365435296162 591286729879 956722026041 1548008755920 2504730781961 4052739537881 6557470319842 10610209857723 17167680177565 27777890035288 44945570212853 72723460248141 117669030460994 190392490709135 308061521170129 498454011879264 806515533049393 1304969544928657 2111485077978050 3416454622906707 5527939700884757 8944394323791464 14472334024676221 23416728348467685 37889062373143906 61305790721611591 99194853094755497 160500643816367088 259695496911122585 420196140727489673 679891637638612258 1100087778366101931 1779979416004714189 2880067194370816120 4660046610375530309 7540113804746346429 12200160415121876738 19740274219868223167 31940434634990099905 51680708854858323072 83621143489848422977 135301852344706746049 218922995834555169026 354224848179261915075 573147844013817084101 927372692193078999176 1500520536206896083277 2427893228399975082453 3928413764606871165730 6356306993006846248183 10284720757613717413913 16641027750620563662096 26925748508234281076009 43566776258854844738105 70492524767089125814114 114059301025943970552219 184551825793033096366333 298611126818977066918552 483162952612010163284885 781774079430987230203437 1264937032042997393488322 2046711111473984623691759 3311648143516982017180081 5358359254990966640871840 8670007398507948658051921 14028366653498915298923761 22698374052006863956975682 36726740705505779255899443 59425114757512643212875125 96151855463018422468774568 155576970220531065681649693 251728825683549488150424261 407305795904080553832073954 659034621587630041982498215 1066340417491710595814572169 1725375039079340637797070384 2791715456571051233611642553 4517090495650391871408712937 7308805952221443105020355490 11825896447871834976429068427 19134702400093278081449423917 30960598847965113057878492344 50095301248058391139327916261 81055900096023504197206408605 131151201344081895336534324866 212207101440105399533740733471 343358302784187294870275058337 555565404224292694404015791808 898923707008479989274290850145 1454489111232772683678306641953 2353412818241252672952597492098 3807901929474025356630904134051 6161314747715278029583501626149 9969216677189303386214405760200 16130531424904581415797907386349 26099748102093884802012313146549 42230279526998466217810220532898 68330027629092351019822533679447 110560307156090817237632754212345 178890334785183168257455287891792 289450641941273985495088042104137 468340976726457153752543329995929 757791618667731139247631372100066 1226132595394188293000174702095995 1983924214061919432247806074196061 3210056809456107725247980776292056 5193981023518027157495786850488117 8404037832974134882743767626780173 13598018856492162040239554477268290 22002056689466296922983322104048463 35600075545958458963222876581316753 57602132235424755886206198685365216 93202207781383214849429075266681969 150804340016807970735635273952047185 244006547798191185585064349218729154 394810887814999156320699623170776339 638817435613190341905763972389505493 1033628323428189498226463595560281832 1672445759041379840132227567949787325 2706074082469569338358691163510069157 4378519841510949178490918731459856482 7084593923980518516849609894969925639 11463113765491467695340528626429782121 18547707689471986212190138521399707760

# Extrapolated from [3@21, 144@77]: (144 - 3) / (77 - 21)
eval instant at 80s rate(metric[1m])
  {} 2.517857143

# No extrapolation, [2@20, 144@80]: (144 - 2) / 60
eval instant at 80s rate(metric[1m:10s])
  {} 2.366666667

# Only one value between 10s and 20s, 2@14
eval instant at 20s min_over_time(metric[10s])
  {} 2

# min(1@10, 2@20)
eval instant at 20s min_over_time(metric[10s:10s])
  {} 1

eval instant at 20m min_over_time(rate(metric[5m])[20m:1m])
  {} 0.12119047619047618


)promql");
}

// Prometheus 2.42 promql/testdata/at_modifier.test: @ with timestamps, start(), end(), offsets, subqueries and step invariance.
TEST(EngineScript, AtModifier) {
  Script().Run(R"promql(
load 10s
  metric{job="1"} 0+1x1000
  metric{job="2"} 0+2x1000

load 1ms
  metric_ms 0+1x10000

# Instant vector selectors.
eval instant at 10s metric @ 100
  metric{job="1"} 10
  metric{job="2"} 20

eval instant at 10s metric @ 100 offset 50s
  metric{job="1"} 5
  metric{job="2"} 10

eval instant at 10s metric offset 50s @ 100
  metric{job="1"} 5
  metric{job="2"} 10

eval instant at 10s metric @ 0 offset -50s
  metric{job="1"} 5
  metric{job="2"} 10

eval instant at 10s metric offset -50s @ 0
  metric{job="1"} 5
  metric{job="2"} 10

eval instant at 10s -metric @ 100
  {job="1"} -10
  {job="2"} -20

eval instant at 10s ---metric @ 100
  {job="1"} -10
  {job="2"} -20

# Millisecond precision.
eval instant at 100s metric_ms @ 1.234
  metric_ms 1234

# Range vector selectors.
eval instant at 25s sum_over_time(metric{job="1"}[100s] @ 100)
  {job="1"} 55

eval instant at 25s sum_over_time(metric{job="1"}[100s] @ 100 offset 50s)
  {job="1"} 15

eval instant at 25s sum_over_time(metric{job="1"}[100s] offset 50s @ 100)
  {job="1"} 15

# Different timestamps.
eval instant at 25s metric{job="1"} @ 50 + metric{job="1"} @ 100
  {job="1"} 15

eval instant at 25s rate(metric{job="1"}[100s] @ 100) + label_replace(rate(metric{job="2"}[123s] @ 200), "job", "1", "", "")
  {job="1"} 0.3

eval instant at 25s sum_over_time(metric{job="1"}[100s] @ 100) + label_replace(sum_over_time(metric{job="2"}[100s] @ 100), "job", "1", "", "")
  {job="1"} 165

# Subqueries.

# 10*(1+2+...+9) + 10.
eval instant at 25s sum_over_time(metric{job="1"}[100s:1s] @ 100)
  {job="1"} 460

# 10*(1+2+...+7) + 8.
eval instant at 25s sum_over_time(metric{job="1"}[100s:1s] @ 100 offset 20s)
  {job="1"} 288

# 10*(1+2+...+7) + 8.
eval instant at 25s sum_over_time(metric{job="1"}[100s:1s] offset 20s @ 100)
  {job="1"} 288

# Subquery with different timestamps.

# Since vector selector has timestamp, the result value does not depend on the timestamp of subqueries.
# Inner most sum=1+2+...+10=55.
# With [100s:25s] subquery, it's 55*5.
eval instant at 100s sum_over_time(sum_over_time(metric{job="1"}[100s] @ 100)[100s:25s] @ 50)
  {job="1"} 275

# Nested subqueries with different timestamps on both.

# Since vector selector has timestamp, the result value does not depend on the timestamp of subqueries.
# Sum of innermost subquery is 275 as above. The outer subquery repeats it 4 times.
eval instant at 0s sum_over_time(sum_over_time(sum_over_time(metric{job="1"}[100s] @ 100)[100s:25s] @ 50)[3s:1s] @ 3000)
  {job="1"} 1100

# Testing the inner subquery timestamp since vector selector does not have @.

# Inner sum for subquery [100s:25s] @ 50 are
#   at -50 nothing, at -25 nothing, at 0=0, at 25=2, at 50=4+5=9.
# This sum of 11 is repeated 4 times by outer subquery.
eval instant at 0s sum_over_time(sum_over_time(sum_over_time(metric{job="1"}[10s])[100s:25s] @ 50)[3s:1s] @ 200)
  {job="1"} 44

# Inner sum for subquery [100s:25s] @ 200 are
#   at 100=9+10, at 125=12, at 150=14+15, at 175=17, at 200=19+20.
# This sum of 116 is repeated 4 times by outer subquery.
eval instant at 0s sum_over_time(sum_over_time(sum_over_time(metric{job="1"}[10s])[100s:25s] @ 200)[3s:1s] @ 50)
  {job="1"} 464

# Nested subqueries with timestamp only on outer subquery.
# Outer most subquery:
#   at 900=783
#     inner subquery: at 870=87+86+85, at 880=88+87+86, at 890=89+88+87
#   at 925=537
#     inner subquery: at 895=89+88, at 905=90+89, at 915=90+91
#   at 950=828
#     inner subquery: at 920=92+91+90, at 930=93+92+91, at 940=94+93+92
#   at 975=567
#     inner subquery: at 945=94+93, at 955=95+94, at 965=96+95
#   at 1000=873
#     inner subquery: at 970=97+96+95, at 980=98+97+96, at 990=99+98+97
eval instant at 0s sum_over_time(sum_over_time(sum_over_time(metric{job="1"}[20s])[20s:10s] offset 10s)[100s:25s] @ 1000)
  {job="1"} 3588

# minute is counted on the value of the sample.
eval instant at 10s minute(metric @ 1500)
  {job="1"} 2
  {job="2"} 5

# timestamp() takes the time of the sample and not the evaluation time.
eval instant at 10m timestamp(metric{job="1"} @ 10)
  {job="1"} 10

# The result of inner timestamp() will have the timestamp as the
# eval time, hence entire expression is not step invariant and depends on eval time.
eval instant at 10m timestamp(timestamp(metric{job="1"} @ 10))
  {job="1"} 600

eval instant at 15m timestamp(timestamp(metric{job="1"} @ 10))
  {job="1"} 900

# Time functions inside a subquery.

# minute is counted on the value of the sample.
eval instant at 0s sum_over_time(minute(metric @ 1500)[100s:10s])
  {job="1"} 22
  {job="2"} 55

# If nothing passed, minute() takes eval time.
# Here the eval time is determined by the subquery.
# [50m:1m] at 6000, i.e. 100m, is 50m to 100m.
# sum=50+51+52+...+59+0+1+2+...+40.
eval instant at 0s sum_over_time(minute()[50m:1m] @ 6000)
  {} 1365

# sum=45+46+47+...+59+0+1+2+...+35.
eval instant at 0s sum_over_time(minute()[50m:1m] @ 6000 offset 5m)
  {} 1410

# time() is the eval time which is determined by subquery here.
# 2900+2901+...+3000 = (3000*3001 - 2899*2900)/2.
eval instant at 0s sum_over_time(vector(time())[100s:1s] @ 3000)
  {} 297950

# 2300+2301+...+2400 = (2400*2401 - 2299*2300)/2.
eval instant at 0s sum_over_time(vector(time())[100s:1s] @ 3000 offset 600s)
  {} 237350

# timestamp() takes the time of the sample and not the evaluation time.
eval instant at 0s sum_over_time(timestamp(metric{job="1"} @ 10)[100s:10s] @ 3000)
  {job="1"} 110

# The result of inner timestamp() will have the timestamp as the
# eval time, hence entire expression is not step invariant and depends on eval time.
# Here eval time is determined by the subquery.
eval instant at 0s sum_over_time(timestamp(timestamp(metric{job="1"} @ 999))[10s:1s] @ 10)
  {job="1"} 55


clear

)promql");
}


// ---- Mechanics ---------------------------------------------------------------------------

MemoryQueryable Counters(int series, int samples, std::int64_t step_ms) {
  MemoryQueryable data;
  for (int i = 0; i < series; ++i) {
    std::vector<Point> points;
    for (int k = 0; k < samples; ++k) points.push_back(Point{k * step_ms, double(k * (i + 1))});
    data.Add({{"__name__", "c"}, {"i", std::to_string(i)}}, std::move(points));
  }
  return data;
}

TEST(Engine, RangeQueryPointsAtEveryStepSortedByLabels) {
  MemoryQueryable data;
  data.Add({{"__name__", "m"}, {"x", "b"}}, {{0, 1}, {60'000, 2}});
  data.Add({{"__name__", "m"}, {"x", "a"}}, {{30'000, 5}});
  Engine engine;
  QueryResult result = engine.Range(data, "m", 0, 120'000, 30'000);
  ASSERT_TRUE(result.ok()) << result.error;
  const Matrix& m = std::get<Matrix>(result.value);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(*GetLabel(m[0].labels, "x"), "a");
  // Lookback: the newest sample at or before each step, within 5m.
  ASSERT_EQ(m[0].points.size(), 4u);  // 30s, 60s, 90s, 120s
  EXPECT_EQ(m[0].points[0].t, 30'000);
  ASSERT_EQ(m[1].points.size(), 5u);
  EXPECT_EQ(m[1].points[1].v, 1);  // 30s sees the sample at 0s
  EXPECT_EQ(m[1].points[2].v, 2);
}

TEST(Engine, RangeQueryOfARangeVectorIsBadData) {
  MemoryQueryable data = Counters(1, 10, 15'000);
  Engine engine;
  QueryResult result = engine.Range(data, "c[1m]", 0, 60'000, 15'000);
  EXPECT_EQ(result.error_type, ErrorType::kBadData);
  EXPECT_EQ(result.error,
            "invalid expression type \"range vector\" for range query, must be Scalar or instant "
            "Vector");
}

TEST(Engine, ParseErrorIsBadDataWithPosition) {
  MemoryQueryable data;
  Engine engine;
  QueryResult result = engine.Instant(data, "sum(", 0);
  EXPECT_EQ(result.error_type, ErrorType::kBadData);
  EXPECT_THAT(result.error, ::testing::StartsWith("1:"));
  EXPECT_THAT(result.error, ::testing::HasSubstr("parse error"));
}

TEST(Engine, DuplicateSeriesOnTheOneSideIsPrometheusError) {
  MemoryQueryable data;
  data.Add({{"__name__", "a"}, {"l", "x"}}, {{0, 1}});
  data.Add({{"__name__", "b"}, {"l", "x"}, {"m", "1"}}, {{0, 1}});
  data.Add({{"__name__", "b"}, {"l", "x"}, {"m", "2"}}, {{0, 1}});
  Engine engine;
  QueryResult result = engine.Instant(data, "a + on(l) b", 0);
  EXPECT_EQ(result.error_type, ErrorType::kExecution);
  EXPECT_EQ(result.error,
            "found duplicate series for the match group {l=\"x\"} on the right hand-side of the "
            "operation: [{__name__=\"b\", l=\"x\", m=\"2\"}, {__name__=\"b\", l=\"x\", m=\"1\"}]"
            ";many-to-many matching not allowed: matching labels must be unique on one side");
  result = engine.Instant(data, "b + on(l) group_left a", 0);
  EXPECT_TRUE(result.ok()) << result.error;
  result = engine.Instant(data, "a + on(l) group_right b", 0);
  EXPECT_TRUE(result.ok()) << result.error;
  result = engine.Instant(data, "b + on(l) a", 0);
  EXPECT_EQ(result.error,
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
}

TEST(Engine, SameLabelsetAfterDroppingNamesFails) {
  MemoryQueryable data;
  data.Add({{"__name__", "a"}, {"l", "x"}}, {{0, 1}});
  data.Add({{"__name__", "b"}, {"l", "x"}}, {{0, 2}});
  Engine engine;
  QueryResult result = engine.Instant(data, "{l=\"x\"} * 2", 0);
  EXPECT_EQ(result.error_type, ErrorType::kExecution);
  EXPECT_EQ(result.error, "vector cannot contain metrics with the same labelset");
  // Comparisons keep the name, so no collision.
  EXPECT_TRUE(engine.Instant(data, "{l=\"x\"} > 0", 0).ok());
}

TEST(Engine, TopkWithAnOverflowingKIsPrometheusError) {
  MemoryQueryable data = Counters(2, 3, 60'000);
  Engine engine;
  QueryResult result = engine.Instant(data, "topk(1e19, c)", 60'000);
  EXPECT_EQ(result.error_type, ErrorType::kExecution);
  EXPECT_EQ(result.error, "Scalar value 1e+19 overflows int64");
  // 2^63 - 1024 is 2.42's largest k; it takes every series.
  result = engine.Instant(data, "topk(9223372036854774784, c)", 60'000);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(std::get<Vector>(result.value).size(), 2u);
}

TEST(Engine, TimeoutIsPrometheusError) {
  MemoryQueryable data = Counters(10, 100, 15'000);
  EngineOptions options;
  options.timeout = std::chrono::milliseconds(0);
  Engine engine(options);
  QueryResult result = engine.Range(data, "sum(c)", 0, 1'500'000, 15'000);
  EXPECT_EQ(result.error_type, ErrorType::kTimeout);
  EXPECT_EQ(result.error, "query timed out in expression evaluation");
}

TEST(Engine, MaxSamplesIsPrometheusError) {
  MemoryQueryable data = Counters(10, 100, 15'000);
  EngineOptions options;
  options.max_samples = 50;
  Engine engine(options);
  QueryResult result = engine.Range(data, "c", 0, 1'500'000, 15'000);
  EXPECT_EQ(result.error_type, ErrorType::kExecution);
  EXPECT_EQ(result.error,
            "query processing would load too many samples into memory in query execution");
  // Within the limit the same engine answers.
  EXPECT_TRUE(engine.Instant(data, "sum(c)", 1'500'000).ok());
  EXPECT_LE(engine.Instant(data, "sum(c)", 1'500'000).stats.peak_samples, 50);
}

// A Queryable whose Select waits until released, to hold a query's slot.
class GateQueryable : public Queryable {
 public:
  Matrix Select(const storage::Matchers&, Timestamp, Timestamp) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    return {};
  }
  void WaitEntered(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return entered_ >= n; });
  }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int entered_ = 0;
  bool open_ = false;
};

TEST(Engine, QueriesOverMaxConcurrencyWaitForASlot) {
  EngineOptions options;
  options.max_concurrency = 1;
  options.timeout = std::chrono::seconds(20);
  Engine engine(options);
  GateQueryable gate;
  auto first = std::async(std::launch::async, [&] { return engine.Instant(gate, "up", 0); });
  gate.WaitEntered(1);
  MemoryQueryable empty;
  auto second = std::async(std::launch::async, [&] { return engine.Instant(empty, "up", 0); });
  // The only slot is taken: the second query waits for it.
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  gate.Open();
  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(second.get().ok());
}

TEST(Engine, WaitingForASlotCountsAgainstTheTimeout) {
  EngineOptions options;
  options.max_concurrency = 1;
  options.timeout = std::chrono::milliseconds(200);
  Engine engine(options);
  GateQueryable gate;
  auto first = std::async(std::launch::async, [&] { return engine.Instant(gate, "up", 0); });
  gate.WaitEntered(1);
  MemoryQueryable empty;
  QueryResult waited = engine.Instant(empty, "up", 0);
  EXPECT_EQ(waited.error_type, ErrorType::kTimeout);
  EXPECT_EQ(waited.error, "query timed out in query queue");
  gate.Open();
  // The first query spent its time in Select: it times out in evaluation.
  QueryResult slow = first.get();
  EXPECT_EQ(slow.error, "query timed out in expression evaluation");
  // The slot is free again.
  EXPECT_TRUE(engine.Instant(empty, "up", 0).ok());
}

TEST(Engine, SubqueryStepsAreAlignedToAbsoluteMultiplesOfTheStep) {
  MemoryQueryable data;
  std::vector<Point> points;
  for (int k = 0; k <= 100; ++k) points.push_back(Point{k * 1'000, double(k)});
  data.Add({{"__name__", "m"}}, points);
  Engine engine;
  // At 47s, m[20s:7s] evaluates m at 28s, 35s, 42s (multiples of 7s in [27s, 47s]).
  QueryResult result = engine.Instant(data, "m[20s:7s]", 47'000);
  ASSERT_TRUE(result.ok()) << result.error;
  const Matrix& m = std::get<Matrix>(result.value);
  ASSERT_EQ(m.size(), 1u);
  ASSERT_EQ(m[0].points.size(), 3u);
  EXPECT_EQ(m[0].points[0].t, 28'000);
  EXPECT_EQ(m[0].points[2].t, 42'000);
  EXPECT_EQ(m[0].points[2].v, 42);
  // Without a step, the default subquery step (1m by default) applies; with offset.
  EngineOptions options;
  options.default_subquery_step_ms = 10'000;
  Engine ten(options);
  result = ten.Instant(data, "m[30s:] offset 5s", 47'000);
  ASSERT_TRUE(result.ok()) << result.error;
  const Matrix& o = std::get<Matrix>(result.value);
  ASSERT_EQ(o.size(), 1u);
  ASSERT_EQ(o[0].points.size(), 3u);  // 20s, 30s, 40s in [12s, 42s]
  EXPECT_EQ(o[0].points[0].t, 20'000);
  EXPECT_EQ(o[0].points[2].v, 40);
}

TEST(Engine, InstantExprEvaluatesAParsedExpressionManyTimes) {
  MemoryQueryable data = Counters(3, 10, 60'000);
  ParseError error;
  ExprPtr expr = ParseExpr("sum(c) by (i)", &error);
  ASSERT_NE(expr, nullptr);
  Engine engine;
  for (Timestamp t : {0, 120'000, 540'000}) {
    QueryResult result = engine.InstantExpr(data, *expr, t);
    ASSERT_TRUE(result.ok()) << result.error;
    const Vector& v = std::get<Vector>(result.value);
    ASSERT_EQ(v.size(), 3u);
    for (const Sample& s : v) EXPECT_EQ(s.t, t);
  }
}

TEST(StoreQueryable, SelectsSeriesWithTheirSamplesSortedByLabels) {
  TempDir dir;
  storage::StoreOptions options;
  options.directory = dir.path();
  std::string error;
  std::string warning;
  std::shared_ptr<storage::Store> store = storage::Store::Open(options, &error, &warning);
  ASSERT_NE(store, nullptr) << error;
  auto key = [](std::string_view name, std::string_view job) {
    storage::SeriesKeyBuilder builder;
    builder.Reset(name);
    builder.Add("job", job);
    return std::string(*builder.Finish());
  };
  for (int k = 0; k < 5; ++k) {
    storage::Store::Appender appender = store->StartPass(k * 10'000);
    appender.Append(key("up", "b"), k);
    if (k < 3) appender.Append(key("up", "a"), 10 * k);
    appender.Append(key("other", "a"), 1);
    appender.Commit();
  }
  StoreQueryable queryable(store);
  Engine engine;
  // up{job="a"} went away at 30s: a staleness marker ends it at once.
  QueryResult result = engine.Instant(queryable, "up", 35'000);
  ASSERT_TRUE(result.ok()) << result.error;
  const Vector& v = std::get<Vector>(result.value);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(*GetLabel(v[0].labels, "job"), "b");
  EXPECT_EQ(v[0].v, 3);
  result = engine.Range(queryable, "up", 0, 40'000, 10'000);
  ASSERT_TRUE(result.ok()) << result.error;
  const Matrix& m = std::get<Matrix>(result.value);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(*GetLabel(m[0].labels, "job"), "a");
  EXPECT_EQ(m[0].points.size(), 3u);
  EXPECT_EQ(m[1].points.size(), 5u);
  EXPECT_EQ(m[1].points[4].v, 4);
  result = engine.Instant(queryable, "count_over_time(up{job=\"a\"}[1m])", 40'000);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(std::get<Vector>(result.value).at(0).v, 3);  // the marker is not a sample
}

}  // namespace
}  // namespace metricsd::query::promql
