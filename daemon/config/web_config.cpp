#include "daemon/config/web_config.h"

namespace metricsd {

WebConfig ParseWebConfig(const ConfigNode& node) {
  node.ExpectKeys({"config_file", "listen_address", "max_connections", "max_requests",
                   "read_timeout", "write_timeout"});
  WebConfig web;
  if (node["listen_address"].IsSet()) web.listen_address = ListenAddressAt(node["listen_address"]);
  web.max_connections = node.GetInt("max_connections", web.max_connections, 1, 100000);
  web.max_requests = node.GetInt("max_requests", web.max_requests, 0, 100000);
  web.read_timeout = node.GetDuration("read_timeout", web.read_timeout);
  web.write_timeout = node.GetDuration("write_timeout", web.write_timeout);
  web.config_file = node.GetString("config_file", "");
  if (web.read_timeout.count() == 0) node["read_timeout"].Fail("must be greater than 0");
  if (web.write_timeout.count() == 0) node["write_timeout"].Fail("must be greater than 0");
  return web;
}

nlohmann::json WebConfig::ToJson() const {
  return {{"listen_address", listen_address.ToString()},
          {"max_connections", max_connections},
          {"max_requests", max_requests},
          {"read_timeout", FormatDuration(read_timeout)},
          {"write_timeout", FormatDuration(write_timeout)},
          {"config_file", config_file}};
}

}  // namespace metricsd
