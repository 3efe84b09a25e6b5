// Feeds arbitrary bytes to the config loader: it must either return a Config or throw
// ConfigError, never crash, hang or throw anything else.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    metricsd::LoadConfigText(std::string_view(reinterpret_cast<const char*>(data), size),
                             "fuzz.yaml");
  } catch (const metricsd::ConfigError&) {
  }
  return 0;
}
