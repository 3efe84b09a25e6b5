// The TCP probe: a connection (and TLS handshake when asked) within the timeout.
#include "collectors/probes/prober.h"

#include "collectors/probes/prober_target.h"

namespace metricsd::probes {

void Prober::RunTcp(const std::shared_ptr<Target>& launched,
                    std::shared_ptr<const TargetConfig> config) {
  ExchangeRequest request;
  request.host = config->tcp_host;
  request.port = config->tcp_port;
  request.http = false;
  request.use_tls = config->tcp_tls;
  request.tls = config->tls_context;
  request.server_name = config->tls.server_name;
  request.timeout = config->timeout;
  RunExchange(ioc_, std::move(request), Bind(launched, [](const std::shared_ptr<Prober>& self,
                                                        const std::shared_ptr<Target>& target,
                                                        ExchangeResult result) {
    self->Complete(target, result.outcome, result.error, result);
  }));
}

}  // namespace metricsd::probes
