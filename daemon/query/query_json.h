// A PromQL result as Prometheus 2.42's HTTP API writes it (web/api/v1/api.go, util/jsonutil,
// promql/value.go), byte for byte, so Grafana and Prometheus's own clients read it unchanged:
//
//   {"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1700000000.123,"1.5"]}]}
//   {"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"2"]]}]}
//   {"resultType":"scalar","result":[1.5,"1000000000000000000000"]}
//   {"resultType":"string","result":[1.5,"a\u003cb"]}
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "daemon/query/promql/value.h"

namespace metricsd::query {

// A sample's timestamp (ms) as seconds with up to 3 decimals, as jsonutil.MarshalTimestamp:
// 1700000000123 -> 1700000000.123, 1500 -> 1.5, -1 -> -0.001.
void AppendJsonTimestamp(std::string& out, promql::Timestamp t);

// A vector or matrix sample's value as jsonutil.MarshalValue writes it (quoted): Go's
// strconv 'f' with the shortest round-trip digits, 'e' below 1e-6 and from 1e21 in magnitude
// ("1e-07", "1e+21"), and "NaN", "+Inf", "-Inf".
void AppendJsonSampleValue(std::string& out, double v);

// Go's strconv.FormatFloat(v, 'f', -1, 64): a scalar result's value ("1000000000000000000000").
std::string FormatGoFloat(double v);

// {"name":"value",...} in label order (Prometheus's labels.Labels.MarshalJSON: a map, sorted).
void AppendJsonLabels(std::string& out, const promql::Labels& labels);

// {"resultType":...,"result":...} of a query's value.
std::string QueryDataJson(const promql::Value& value);

}  // namespace metricsd::query
