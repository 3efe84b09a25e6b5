// The HTTP probe: one exchange, then the status code and body expectations.
#include "collectors/probes/prober.h"

#include <re2/re2.h>

#include "collectors/probes/prober_target.h"

namespace metricsd::probes {

void Prober::RunHttp(const std::shared_ptr<Target>& launched,
                    std::shared_ptr<const TargetConfig> config) {
  ExchangeRequest request = RequestFor(*config, *config->url);
  request.method = config->http.method;
  request.headers = config->http.headers;
  request.body = config->http.body;
  request.follow_redirects = config->http.follow_redirects;
  RunExchange(ioc_, std::move(request), Bind(launched, [](const std::shared_ptr<Prober>& self,
                                                        const std::shared_ptr<Target>& target,
                                                        ExchangeResult result) {
    const HttpOptions& http = target->config->http;
    Outcome outcome = result.outcome;
    std::string error = result.error;
    bool regex_failed = false;
    if (outcome == Outcome::kOk && !http.ValidStatus(result.status)) {
      outcome = Outcome::kHttpError;
      error = "status " + std::to_string(result.status) + " is not a valid status code";
    }
    if (outcome == Outcome::kOk) {
      for (const auto& regex : http.fail_if_body_matches) {
        if (RE2::PartialMatch(result.body, *regex)) {
          regex_failed = true;
          error = "body matched " + regex->pattern();
        }
      }
      for (const auto& regex : http.fail_if_body_not_matches) {
        if (!RE2::PartialMatch(result.body, *regex)) {
          regex_failed = true;
          error = "body did not match " + regex->pattern();
        }
      }
      if (regex_failed) outcome = Outcome::kExpectationFailed;
    }
    {
      MutexLock lock(self->mutex_);
      target->failed_due_to_regex = regex_failed;
    }
    self->Complete(target, outcome, std::move(error), result);
  }));
}

}  // namespace metricsd::probes
