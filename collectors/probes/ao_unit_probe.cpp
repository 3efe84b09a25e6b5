// The AO unit probe: a Scheduler Unit's identity, clock skew and block height.
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

void Prober::RecordUnit(Target& target, const UnitVerdict& verdict, std::optional<double> block_height) {
  MutexLock lock(mutex_);
  target.unit_address = verdict.address;
  target.clock_skew.reset();
  if (verdict.timestamp_ms) target.clock_skew = *verdict.timestamp_ms / 1000 - UnixSeconds(SystemClock::now());
  target.block_height = block_height;
}

void Prober::RunUnit(const std::shared_ptr<Target>& launched,
                    std::shared_ptr<const TargetConfig> config) {
  Url url = *config->url;
  ExchangeRequest request = RequestFor(*config, url);
  RunExchange(ioc_, request, Bind(launched, [request](const std::shared_ptr<Prober>& self,
                                                    const std::shared_ptr<Target>& target,
                                                    ExchangeResult result) mutable {
    AoUnit unit = target->config->unit;
    if (result.outcome != Outcome::kOk) {
      return self->Complete(target, result.outcome, result.error, result);
    }
    UnitVerdict verdict = JudgeUnitHealth(unit, result.status, result.body);
    if (verdict.outcome != Outcome::kOk || unit != AoUnit::kSu) {
      self->RecordUnit(*target, verdict, std::nullopt);
      return self->Complete(target, verdict.outcome, verdict.error, result);
    }
    // The SU also tells its block height at /timestamp.
    std::string path = request.url.target.substr(0, request.url.target.find('?'));
    if (path.empty() || path.back() != '/') path += '/';
    request.url.target = path + "timestamp";
    ExchangeResult first = result;
    RunExchange(self->ioc_, request, self->Bind(target, [verdict, first](const std::shared_ptr<Prober>& prober,
                                                                         const std::shared_ptr<Target>& su,
                                                                         ExchangeResult second) mutable {
      std::optional<double> height;
      Outcome outcome = second.outcome;
      std::string error = second.error;
      if (outcome == Outcome::kOk && second.status != 200) {
        outcome = Outcome::kHttpError;
        error = "GET /timestamp: HTTP " + std::to_string(second.status);
      } else if (outcome == Outcome::kOk) {
        std::optional<double> timestamp = verdict.timestamp_ms;
        height = SuBlockHeight(second.body, timestamp);
        if (!height) {
          outcome = Outcome::kBadResponse;
          error = "GET /timestamp: no block_height";
        }
        verdict.timestamp_ms = timestamp;
      }
      prober->RecordUnit(*su, verdict, height);
      second.total += first.total;
      prober->Complete(su, outcome, std::move(error), second);
    }));
  }));
}

}  // namespace metricsd::probes
