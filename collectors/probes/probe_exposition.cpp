// The prober's Source: probe_*, metricsd_probe_*, ao_dryrun_* and ao_unit_* across targets.
#include "collectors/probes/prober.h"

#include "collectors/probes/prober_target.h"

namespace metricsd::probes {

// Streams every family, each across all targets (families must be contiguous).
class Prober::ProbeSource : public Source {
 public:
  explicit ProbeSource(std::weak_ptr<const Prober> prober) : weak_(std::move(prober)) {}
  std::string_view Name() const override { return "probes"; }

  void Visit(FamilyVisitor& v) const override {
    std::shared_ptr<const Prober> prober = weak_.lock();
    if (!prober) return;
    MutexLock lock(prober->mutex_);
    const auto& targets = prober->targets_;
    auto each = [&](auto&& emit) {
      prober->mutex_.AssertHeld();  // called only below, under the lock
      for (const auto& [name, target] : targets) emit(*target);
    };
    auto gauge = [&](std::string_view family, std::string_view help, auto&& value) {
      v.Family(family, help, MetricType::kGauge);
      each([&](const Target& t) {
        std::optional<double> x = value(t);
        if (!x) return;
        Label labels[] = {{"target", t.config->name}, {"type", TypeName(t.config->type)}};
        v.Sample(labels, *x);
      });
    };
    auto has = [](const Target& t) { return t.has_result; };
    auto web = [](const Target& t) { return t.has_result && t.config->type != ProbeType::kTcp; };

    gauge("probe_success", "Whether the probe succeeded.",
          [&](const Target& t) -> std::optional<double> { return has(t) ? std::optional<double>(t.outcome == Outcome::kOk) : std::nullopt; });
    gauge("probe_duration_seconds", "How long the probe took to complete in seconds.",
          [&](const Target& t) -> std::optional<double> { return has(t) ? std::optional<double>(t.duration) : std::nullopt; });
    gauge("probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds.",
          [&](const Target& t) -> std::optional<double> { return has(t) ? std::optional<double>(t.exchange.resolve) : std::nullopt; });
    gauge("probe_http_status_code", "Response HTTP status code.",
          [&](const Target& t) -> std::optional<double> { return web(t) ? std::optional<double>(t.exchange.status) : std::nullopt; });
    gauge("probe_http_content_length", "Length of http content response.",
          [&](const Target& t) -> std::optional<double> { return web(t) ? std::optional<double>(static_cast<double>(t.exchange.content_length)) : std::nullopt; });
    gauge("probe_failed_due_to_regex", "Indicates if probe failed due to regex.",
          [&](const Target& t) -> std::optional<double> {
            return has(t) && t.config->type == ProbeType::kHttp ? std::optional<double>(t.failed_due_to_regex) : std::nullopt;
          });
    gauge("probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime.",
          [&](const Target& t) -> std::optional<double> { return has(t) ? t.exchange.cert_expiry : std::nullopt; });

    v.Family("probe_http_duration_seconds", "Duration of http request by phase, summed over all redirects.",
             MetricType::kGauge);
    each([&](const Target& t) {
      if (!web(t)) return;
      const ExchangeResult& e = t.exchange;
      std::pair<std::string_view, double> phases[] = {{"resolve", e.resolve}, {"connect", e.connect}, {"tls", e.tls},
                                                      {"processing", e.processing}, {"transfer", e.transfer}};
      for (auto [phase, seconds] : phases) {
        Label labels[] = {{"target", t.config->name}, {"type", TypeName(t.config->type)}, {"phase", phase}};
        v.Sample(labels, seconds);
      }
    });

    v.Family("metricsd_probe_duration_seconds", "Probe durations over time, by outcome.", MetricType::kHistogram);
    each([&](const Target& t) {
      for (int i = 0; i < kOutcomes; ++i) {
        if (!t.histograms[i]) continue;
        Label labels[] = {{"target", t.config->name}, {"type", TypeName(t.config->type)},
                          {"outcome", OutcomeName(static_cast<Outcome>(i))}};
        t.histograms[i]->Visit(v, labels);
      }
    });
    v.Family("metricsd_probes_total", "Probes run, by outcome.", MetricType::kCounter);
    each([&](const Target& t) {
      for (int i = 0; i < kOutcomes; ++i) {
        if (t.counts[i] == 0) continue;
        Label labels[] = {{"target", t.config->name}, {"type", TypeName(t.config->type)},
                          {"outcome", OutcomeName(static_cast<Outcome>(i))}};
        v.Sample(labels, static_cast<double>(t.counts[i]));
      }
    });
    v.Family("metricsd_probe_skipped_total",
             "Scheduled probes skipped because the previous one of the target was still running.",
             MetricType::kCounter);
    each([&](const Target& t) {
      Label labels[] = {{"target", t.config->name}};
      v.Sample(labels, static_cast<double>(t.skipped));
    });

    // AO dry-runs: the same numbers under AO's own names, by process and Action.
    auto dryrun = [](const Target& t) { return t.config->type == ProbeType::kAoDryrun; };
    v.Family("ao_dryrun_duration_seconds", "AO Compute Unit dry-run round trip, by process, Action and outcome.",
             MetricType::kHistogram);
    each([&](const Target& t) {
      if (!dryrun(t)) return;
      for (int i = 0; i < kOutcomes; ++i) {
        if (!t.histograms[i]) continue;
        Label labels[] = {{"target", t.config->name}, {"process", t.config->dryrun.process_id},
                          {"action", t.config->dryrun.action}, {"outcome", OutcomeName(static_cast<Outcome>(i))}};
        t.histograms[i]->Visit(v, labels);
      }
    });
    v.Family("ao_dryrun_requests_total", "AO dry-runs sent, by outcome.", MetricType::kCounter);
    each([&](const Target& t) {
      if (!dryrun(t)) return;
      for (int i = 0; i < kOutcomes; ++i) {
        if (t.counts[i] == 0) continue;
        Label labels[] = {{"target", t.config->name}, {"process", t.config->dryrun.process_id},
                          {"action", t.config->dryrun.action}, {"outcome", OutcomeName(static_cast<Outcome>(i))}};
        v.Sample(labels, static_cast<double>(t.counts[i]));
      }
    });
    auto ao_gauge = [&](std::string_view family, std::string_view help, MetricType type, auto&& value) {
      v.Family(family, help, type);
      each([&](const Target& t) {
        if (!dryrun(t)) return;
        std::optional<double> x = value(t);
        if (!x) return;
        Label labels[] = {{"target", t.config->name}, {"process", t.config->dryrun.process_id},
                          {"action", t.config->dryrun.action}};
        v.Sample(labels, *x);
      });
    };
    ao_gauge("ao_dryrun_gas_used", "GasUsed of the last dry-run.", MetricType::kGauge,
             [](const Target& t) { return t.gas_used; });
    ao_gauge("ao_dryrun_gas_used_total", "GasUsed summed over dry-runs.", MetricType::kCounter,
             [](const Target& t) -> std::optional<double> { return t.has_result ? std::optional<double>(t.gas_used_total) : std::nullopt; });
    ao_gauge("ao_dryrun_messages", "Messages in the last dry-run's answer.", MetricType::kGauge,
             [](const Target& t) { return t.messages; });

    auto unit = [](const Target& t) { return t.config->type == ProbeType::kAoUnit && t.has_result; };
    v.Family("ao_unit_info", "What an AO unit says of itself at GET /.", MetricType::kGauge);
    each([&](const Target& t) {
      if (!unit(t) || t.outcome != Outcome::kOk) return;
      Label labels[] = {{"target", t.config->name}, {"unit", UnitName(t.config->unit)}, {"address", t.unit_address}};
      v.Sample(labels, 1);
    });
    v.Family("ao_unit_clock_skew_seconds", "The AO unit's clock minus ours, from its timestamp.", MetricType::kGauge);
    each([&](const Target& t) {
      if (!unit(t) || !t.clock_skew) return;
      Label labels[] = {{"target", t.config->name}, {"unit", UnitName(t.config->unit)}};
      v.Sample(labels, *t.clock_skew);
    });
    v.Family("ao_unit_block_height", "The Arweave block height an AO Scheduler Unit reports.", MetricType::kGauge);
    each([&](const Target& t) {
      if (!unit(t) || !t.block_height) return;
      Label labels[] = {{"target", t.config->name}};
      v.Sample(labels, *t.block_height);
    });
  }

 private:
  // Weak: a SourceSet outliving the daemon's shutdown must not keep the Prober (and its
  // timers) alive past the io_context.
  std::weak_ptr<const Prober> weak_;
};

std::shared_ptr<const Source> Prober::MakeSource() {
  return std::make_shared<ProbeSource>(weak_from_this());
}

}  // namespace metricsd::probes
