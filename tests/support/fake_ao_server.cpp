// A fake AO unit (CU, MU or SU) and HTTP target for the probe tests, on 127.0.0.1 with an
// ephemeral port (printed as "port N" on stdout once listening).
//
//   fake_ao_server [--tls CERT KEY]
//
// It records every request (GET /__requests returns them as JSON: method, target, body,
// content_type, and headers with lower-case names) and
// is told how to answer with POST /__mode?mode=M[&ms=N][&bytes=N]:
//   ok (default), slow (wait ms, then ok), hang (never answer), error (the process reports
//   Error), busy (202), rate_limited (429), denied (403), server_error (500 {"error": ...}),
//   invalid_json, huge (a body of `bytes`), close (close without answering).
// Routes: POST /dry-run?process-id=... (the CU's dry-run), GET / (health, as the unit given by
// POST /__unit?unit=cu|mu|su), GET /timestamp (SU), GET /ok, GET /status/CODE,
// GET /redirect (302 to /ok), ANY /redirect-to?url=URL&code=N (N, default 302, with Location:
// URL, percent-decoded: another server, another scheme, a relative path). One thread per
// connection: it is a test fixture.
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ssl.hpp>
#include <nlohmann/json.hpp>

#include "daemon/core/beast.h"

namespace {

using namespace metricsd;
using tcp = net::ip::tcp;

struct State {
  std::mutex mutex;
  std::string mode = "ok";
  std::string unit = "cu";
  long ms = 0;
  long bytes = 0;
  nlohmann::json requests = nlohmann::json::array();
};
State state;

std::string Query(std::string_view target, std::string_view key) {
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

long Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// nullopt: close the connection without an answer.
std::optional<HttpResponse> Answer(const HttpRequest& request) {
  std::string target(request.target());
  std::string path = target.substr(0, target.find('?'));
  HttpResponse response{http::status::ok, request.version()};
  response.set(http::field::content_type, "application/json");
  auto json = [&](http::status status, const nlohmann::json& body) {
    response.result(status);
    response.body() = body.dump();
    return response;
  };
  if (path == "/__mode") {
    std::lock_guard lock(state.mutex);
    state.mode = Query(target, "mode");
    std::string ms = Query(target, "ms"), bytes = Query(target, "bytes");
    state.ms = ms.empty() ? 0 : std::stol(ms);
    state.bytes = bytes.empty() ? 0 : std::stol(bytes);
    return json(http::status::ok, {{"mode", state.mode}});
  }
  if (path == "/__unit") {
    std::lock_guard lock(state.mutex);
    state.unit = Query(target, "unit");
    return json(http::status::ok, {{"unit", state.unit}});
  }
  if (path == "/__requests") {
    std::lock_guard lock(state.mutex);
    return json(http::status::ok, state.requests);
  }

  std::string mode, unit;
  long ms, bytes;
  {
    std::lock_guard lock(state.mutex);
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& field : request) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers[name] = std::string(field.value());
    }
    state.requests.push_back({{"method", std::string(request.method_string())},
                              {"target", target},
                              {"body", request.body()},
                              {"content_type", std::string(request[http::field::content_type])},
                              {"headers", headers}});
    mode = state.mode;
    unit = state.unit;
    ms = state.ms;
    bytes = state.bytes;
  }
  if (mode == "hang") {
    std::this_thread::sleep_for(std::chrono::seconds(30));
    return std::nullopt;
  }
  if (mode == "close") return std::nullopt;
  if (mode == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  if (mode == "busy") return json(http::status::accepted, {{"message", "busy"}});
  if (mode == "rate_limited") return json(http::status::too_many_requests, {{"error", "slow down"}});
  if (mode == "denied") return json(http::status::forbidden, {{"error", "process not allowed"}});
  if (mode == "server_error") return json(http::status::internal_server_error, {{"error", "cu exploded"}});
  if (mode == "invalid_json") {
    response.body() = "{not json";
    return response;
  }
  if (mode == "huge") {
    response.body() = std::string(static_cast<std::size_t>(bytes), 'x');
    return response;
  }

  if (path == "/dry-run") {
    nlohmann::json message = nlohmann::json::parse(request.body(), nullptr, false);
    nlohmann::json answer = {
        {"Messages", {{{"Target", message.value("Owner", "owner")},
                       {"Data", "pong"},
                       {"Tags", {{{"name", "Action"}, {"value", "Pong"}}}}}}},
        {"Spawns", nlohmann::json::array()},
        {"Assignments", nlohmann::json::array()},
        {"Output", ""},
        {"GasUsed", 1234}};
    if (mode == "error") answer["Error"] = "handler failed: bad input";
    return json(http::status::ok, answer);
  }
  if (path == "/") {
    if (unit == "mu") {
      response.set(http::field::content_type, "text/plain");
      response.body() = "ao messenger unit";
      return response;
    }
    return json(http::status::ok, {{"address", unit + "-wallet-address"}, {"timestamp", Now()}});
  }
  if (path == "/timestamp") return json(http::status::ok, {{"timestamp", Now()}, {"block_height", 1500123}});
  if (path == "/ok") {
    response.set(http::field::content_type, "text/plain");
    response.body() = "hello from the game";
    return response;
  }
  if (path.rfind("/status/", 0) == 0) {
    response.result(static_cast<http::status>(std::stoi(path.substr(8))));
    response.body() = "status";
    return response;
  }
  if (path == "/redirect-to") {
    std::string code = Query(target, "code");
    response.result(static_cast<http::status>(code.empty() ? 302 : std::stoi(code)));
    response.set(http::field::location, PercentDecode(Query(target, "url")));
    response.body() = "moved";
    return response;
  }
  if (path == "/redirect") {
    response.result(http::status::found);
    response.set(http::field::location, "/ok");
    return response;
  }
  return json(http::status::not_found, {{"error", "no such route"}});
}

template <typename Stream>
void Serve(Stream& stream) {
  beast::flat_buffer buffer;
  for (;;) {
    HttpRequest request;
    boost::system::error_code ec;
    http::read(stream, buffer, request, ec);
    if (ec) return;
    std::optional<HttpResponse> response = Answer(request);
    if (!response) return;
    response->keep_alive(request.keep_alive());
    response->prepare_payload();
    http::write(stream, *response, ec);
    if (ec || !request.keep_alive()) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<net::ssl::context> tls;
  if (argc == 4 && std::string(argv[1]) == "--tls") {
    tls.emplace(net::ssl::context::tls_server);
    tls->use_certificate_chain_file(argv[2]);
    tls->use_private_key_file(argv[3], net::ssl::context::pem);
  }
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
  std::cout << "port " << acceptor.local_endpoint().port() << std::endl;
  for (;;) {
    tcp::socket socket(ioc);
    acceptor.accept(socket);
    std::thread([socket = std::move(socket), &tls]() mutable {
      boost::system::error_code ec;
      if (tls) {
        net::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
        stream.handshake(net::ssl::stream_base::server, ec);
        if (!ec) Serve(stream);
        stream.shutdown(ec);
      } else {
        Serve(socket);
        socket.shutdown(tcp::socket::shutdown_both, ec);
      }
    }).detach();
  }
}
