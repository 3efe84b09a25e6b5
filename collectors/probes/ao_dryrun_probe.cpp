// The AO dry-run probe: a dry-run message to a Compute Unit, its answer checked.
//
// A fresh connection per probe (RunExchange), not a keep-alive pool (daemon/client/http_pool.h):
// AO probes expose blackbox_exporter's probe_http_duration_seconds{phase="connect"|"tls"} and
// probe_ssl_earliest_cert_expiry, and their latency histograms are the unit's answer time as a
// new client sees it. Over a reused connection the connect and TLS phases would read 0, the
// certificate expiry would vanish, and the histograms would mix handshake and no-handshake
// round trips. At one probe per interval per target the handshake costs little.
#include "collectors/probes/prober.h"

#include "collectors/probes/prober_target.h"

namespace metricsd::probes {

void Prober::RunDryrun(const std::shared_ptr<Target>& launched,
                    std::shared_ptr<const TargetConfig> config) {
  Url url = *config->url;
  url.target = DryrunTarget(url, config->dryrun.process_id);
  ExchangeRequest request = RequestFor(*config, url);
  request.method = "POST";
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  std::uint64_t sequence;
  {
    MutexLock lock(mutex_);
    sequence = launched->sequence;
  }
  request.body = DryrunBody(config->dryrun, sequence);
  RunExchange(ioc_, std::move(request), Bind(launched, [](const std::shared_ptr<Prober>& self,
                                                        const std::shared_ptr<Target>& target,
                                                        ExchangeResult result) {
    Outcome outcome = result.outcome;
    std::string error = result.error;
    if (outcome == Outcome::kOk) {
      DryrunVerdict verdict = JudgeDryrun(result.status, result.body, target->config->dryrun.expect);
      outcome = verdict.outcome;
      error = verdict.error;
      MutexLock lock(self->mutex_);
      target->gas_used = verdict.gas_used;
      if (verdict.gas_used && *verdict.gas_used > 0) target->gas_used_total += *verdict.gas_used;
      target->messages = verdict.messages;
    }
    self->Complete(target, outcome, std::move(error), result);
  }));
}

}  // namespace metricsd::probes
