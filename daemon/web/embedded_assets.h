// The dashboard's files (HTML, JavaScript modules, CSS, uPlot from npm), compiled into the
// binary at build time the way the default config is: the daemon serves them with no file
// on disk and no request leaving the host.
//
// Thread-safety: immutable tables; FindAsset and the lazily computed ETag and gzip body are
// safe to call from any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace metricsd::web {

struct EmbeddedAsset {
  std::string_view name;  // as served under /assets/ ("app.js", "uPlot.esm.js")
  std::string_view bytes;
};

// Every embedded file, in the build's order (generated: embedded_asset_table.cpp).
std::span<const EmbeddedAsset> EmbeddedAssets();

// The asset named `name`, or null.
const EmbeddedAsset* FindAsset(std::string_view name);

// Its Content-Type, from the name's extension.
std::string_view AssetContentType(std::string_view name);

// A strong validator of its bytes (`"<16 hex digits>"`), computed once.
const std::string& AssetETag(const EmbeddedAsset& asset);

// Its bytes gzip-compressed, computed once.
const std::string& AssetGzip(const EmbeddedAsset& asset);

}  // namespace metricsd::web
