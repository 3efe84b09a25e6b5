#include "daemon/core/route.h"

#include <algorithm>

namespace metricsd {

void AppendRoutes(Routes& routes, Routes more) {
  std::move(more.begin(), more.end(), std::back_inserter(routes));
}

std::string MethodsText(const Route& route) {
  std::string text;
  for (http::verb method : route.methods) {
    if (!text.empty()) text += ", ";
    text += std::string(http::to_string(method));
    if (method == http::verb::get) text += ", HEAD";
  }
  return text;
}

std::string RoutesMarkdownTable(const Routes& routes) {
  std::string table = "| path | method | what |\n| --- | --- | --- |\n";
  for (const Route& route : routes) {
    table += "| `" + route.path + "` | " + MethodsText(route) + " | " + route.doc + " |\n";
  }
  return table;
}

HttpResponse MakeResponse(const HttpRequest& request, http::status status, std::string body,
                          std::string_view content_type) {
  HttpResponse response{status, request.version()};
  response.set(http::field::server, "metricsd");
  response.set(http::field::content_type, content_type);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

}  // namespace metricsd
