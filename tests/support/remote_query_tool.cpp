// The remote QueryEngine (daemon/analytics/remote_query_engine.h) as a command, for the e2e
// tests that compare it with a real Prometheus and with metricsd's own API:
//
//   remote_query_tool [--max-steps=N] [--timeout=SECONDS] [--ca-file=PEM] [--username=NAME]
//                     URL QUERY START [END STEP]
//
// START, END and STEP are seconds (decimals allowed). Without END and STEP it is an instant
// query at START. Prints the result in the query API's own JSON shape,
// {"status":"success","data":{"resultType":...,"result":...},"warnings":[...]} or
// {"status":"error","errorType":"...","error":"..."}, so a test reads it as it reads
// /api/v1/query. Secrets come from the environment, never arguments (which show in ps): the
// basic auth password (with --username) from $REMOTE_QUERY_PASSWORD, a bearer token from
// $REMOTE_QUERY_BEARER_TOKEN. Exit status: 0 success, 1 query error, 2 usage.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "daemon/analytics/remote_query_engine.h"
#include "daemon/query/api_json.h"
#include "daemon/query/query_json.h"

namespace {

using metricsd::analytics::promql::ErrorType;

std::string_view ErrorName(ErrorType type) {
  switch (type) {
    case ErrorType::kNone:
      return "";
    case ErrorType::kBadData:
      return "bad_data";
    case ErrorType::kExecution:
      return "execution";
    case ErrorType::kTimeout:
      return "timeout";
    case ErrorType::kCanceled:
      return "canceled";
    case ErrorType::kInternal:
      return "internal";
    case ErrorType::kUnavailable:
      return "unavailable";
  }
  return "internal";
}

bool Seconds(const std::string& text, std::int64_t& ms) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(value)) return false;
  ms = static_cast<std::int64_t>(std::llround(value * 1000));
  return true;
}

int Usage() {
  std::cerr << "usage: remote_query_tool [--max-steps=N] [--timeout=SECONDS] [--ca-file=PEM] "
               "[--username=NAME] URL QUERY START [END STEP]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace metricsd;
  analytics::RemoteSource source;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.starts_with("--max-steps=")) {
      source.max_steps = std::atoll(arg.c_str() + 12);
      if (source.max_steps < 1) return Usage();
    } else if (arg.starts_with("--timeout=")) {
      std::int64_t ms = 0;
      if (!Seconds(arg.substr(10), ms) || ms <= 0) return Usage();
      source.timeout = std::chrono::milliseconds(ms);
    } else if (arg.starts_with("--ca-file=")) {
      source.tls.ca_file = arg.substr(10);
    } else if (arg.starts_with("--username=")) {
      source.auth.username = arg.substr(11);
      if (const char* password = std::getenv("REMOTE_QUERY_PASSWORD"); password != nullptr) {
        source.auth.password = password;
      }
    } else {
      args.push_back(arg);
    }
  }
  if (args.size() != 3 && args.size() != 5) return Usage();
  source.url = args[0];
  if (const char* token = std::getenv("REMOTE_QUERY_BEARER_TOKEN"); token != nullptr) {
    source.auth.bearer_token = token;
  }
  std::int64_t start = 0, end = 0, step = 0;
  if (!Seconds(args[2], start)) return Usage();
  if (args.size() == 5 && (!Seconds(args[3], end) || !Seconds(args[4], step))) return Usage();

  // The engine must be called off the io_context's threads: one runs it, main asks.
  net::io_context ioc;
  auto work = net::make_work_guard(ioc);
  std::thread runner([&ioc] { ioc.run(); });
  auto engine = analytics::MakeRemoteQueryEngine(ioc, source);
  analytics::promql::QueryResult result =
      args.size() == 3 ? engine->Instant(args[1], start) : engine->Range(args[1], start, end, step);
  work.reset();
  ioc.stop();
  runner.join();

  std::string out;
  if (result.ok()) {
    out = R"({"status":"success","data":)" + query::QueryDataJson(result.value);
    if (!result.warnings.empty())
      out += R"(,"warnings":)" + query::JsonStringArray(result.warnings);
    out += "}";
  } else {
    out = R"({"status":"error","errorType":")" + std::string(ErrorName(result.error_type)) +
          R"(","error":)";
    query::AppendJsonString(out, result.error);
    out += "}";
  }
  std::cout << out << "\n";
  return result.ok() ? 0 : 1;
}
