#include "daemon/web/embedded_assets.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>

#include "daemon/http/gzip.h"

namespace metricsd::web {
namespace {

struct Derived {
  std::once_flag once;
  std::string etag;
  std::string gzip;
};

// One lazily filled entry per asset: a dashboard that is never opened costs no compression.
Derived& DerivedOf(const EmbeddedAsset& asset) {
  static const std::unique_ptr<Derived[]> derived(new Derived[EmbeddedAssets().size()]);
  Derived& d = derived[static_cast<std::size_t>(&asset - EmbeddedAssets().data())];
  std::call_once(d.once, [&] {
    std::uint64_t hash = 14695981039346656037ull;  // FNV-1a 64
    for (unsigned char c : asset.bytes) hash = (hash ^ c) * 1099511628211ull;
    char text[24];
    std::snprintf(text, sizeof text, "\"%016llx\"", static_cast<unsigned long long>(hash));
    d.etag = text;
    d.gzip = GzipCompress(asset.bytes);
  });
  return d;
}

}  // namespace

const EmbeddedAsset* FindAsset(std::string_view name) {
  for (const EmbeddedAsset& asset : EmbeddedAssets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

std::string_view AssetContentType(std::string_view name) {
  auto ends = [&](std::string_view suffix) { return name.ends_with(suffix); };
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

const std::string& AssetETag(const EmbeddedAsset& asset) { return DerivedOf(asset).etag; }

const std::string& AssetGzip(const EmbeddedAsset& asset) { return DerivedOf(asset).gzip; }

}  // namespace metricsd::web
