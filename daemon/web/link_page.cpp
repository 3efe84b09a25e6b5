#include "daemon/web/link_page.h"

#include <algorithm>

namespace metricsd::web {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string MarkdownCodeToHtml(std::string_view text) {
  std::string out;
  bool open = false;
  for (char c : text) {
    if (c == '`') {
      out += open ? "</code>" : "<code>";
      open = !open;
    } else {
      out += c;
    }
  }
  if (open) out += "</code>";
  return out;
}

std::string RenderLinkPage(std::string_view version, std::string_view revision,
                           std::string_view config_file, const Routes& routes) {
  std::string page = "<!DOCTYPE html>\n<html><head><title>metricsd</title></head><body>\n"
                     "<h1>metricsd</h1>\n<p>Version " +
                     HtmlEscape(version) + " (" + HtmlEscape(revision) + "), config <code>" +
                     HtmlEscape(config_file) + "</code></p>\n<ul>\n";
  for (const Route& route : routes) {
    // A prefix ("/api/v1/label/") is not itself a page.
    bool linkable = !route.prefix && std::find(route.methods.begin(), route.methods.end(),
                                               http::verb::get) != route.methods.end();
    std::string path = HtmlEscape(route.path);
    page += "<li>" +
            (linkable ? "<a href=\"" + path + "\">" + path + "</a>"
                      : MethodsText(route) + " " + path) +
            ": " + MarkdownCodeToHtml(HtmlEscape(route.doc)) + "</li>\n";
  }
  page += "</ul>\n</body></html>\n";
  return page;
}

}  // namespace metricsd::web
