// node_exporter's timex collector: the kernel clock's NTP discipline state from adjtimex(2)
// (node_timex_*), no files. Without permission node_exporter reports nothing.
#include <sys/timex.h>

#include <cerrno>
#include <cstring>

#include "collectors/host/collectors.h"

namespace metricsd::host {
namespace {

// Thread-safety: not thread-safe; the poller calls Collect from one thread.
class TimexCollector final : public HostCollector {
 public:
  std::string_view Name() const override { return "timex"; }

  void Collect(FamilySet& out) override {
    struct timex tx {};  // modes 0: read only
    int state = adjtimex(&tx);
    if (state < 0) {
      if (errno == EPERM || errno == EACCES) return;  // "Not collecting timex metrics"
      throw CollectError(std::string("failed to retrieve adjtimex stats: ") + std::strerror(errno));
    }
    constexpr double kMicro = 1e6;
    // STA_NANO: offset and jitter are in nanoseconds, otherwise microseconds.
    double divisor = (tx.status & STA_NANO) != 0 ? 1e9 : kMicro;
    // Frequencies are ppm with a 16-bit fraction (adjtimex(2), NOTES).
    constexpr double kPpm16Frac = 1000000.0 * 65536.0;
    auto gauge = [&](std::string_view name, std::string_view help, double value) {
      out.Family(name, help, MetricType::kGauge);
      out.Sample({}, value);
    };
    auto counter = [&](std::string_view name, std::string_view help, double value) {
      out.Family(name, help, MetricType::kCounter);
      out.Sample({}, value);
    };
    auto d = [](auto value) { return static_cast<double>(value); };
    gauge("node_timex_sync_status", "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
          state == TIME_ERROR ? 0 : 1);
    gauge("node_timex_offset_seconds", "Time offset in between local system and reference clock.",
          d(tx.offset) / divisor);
    gauge("node_timex_frequency_adjustment_ratio", "Local clock frequency adjustment.",
          1 + d(tx.freq) / kPpm16Frac);
    gauge("node_timex_maxerror_seconds", "Maximum error in seconds.", d(tx.maxerror) / kMicro);
    gauge("node_timex_estimated_error_seconds", "Estimated error in seconds.",
          d(tx.esterror) / kMicro);
    gauge("node_timex_status", "Value of the status array bits.", d(tx.status));
    gauge("node_timex_loop_time_constant", "Phase-locked loop time constant.", d(tx.constant));
    gauge("node_timex_tick_seconds", "Seconds between clock ticks.", d(tx.tick) / kMicro);
    gauge("node_timex_pps_frequency_hertz", "Pulse per second frequency.",
          d(tx.ppsfreq) / kPpm16Frac);
    gauge("node_timex_pps_jitter_seconds", "Pulse per second jitter.", d(tx.jitter) / divisor);
    gauge("node_timex_pps_shift_seconds", "Pulse per second interval duration.", d(tx.shift));
    gauge("node_timex_pps_stability_hertz",
          "Pulse per second stability, average of recent frequency changes.",
          d(tx.stabil) / kPpm16Frac);
    counter("node_timex_pps_jitter_total",
            "Pulse per second count of jitter limit exceeded events.", d(tx.jitcnt));
    counter("node_timex_pps_calibration_total", "Pulse per second count of calibration intervals.",
            d(tx.calcnt));
    counter("node_timex_pps_error_total", "Pulse per second count of calibration errors.",
            d(tx.errcnt));
    counter("node_timex_pps_stability_exceeded_total",
            "Pulse per second count of stability limit exceeded events.", d(tx.stbcnt));
    gauge("node_timex_tai_offset_seconds", "International Atomic Time (TAI) offset.", d(tx.tai));
  }
};

}  // namespace

std::unique_ptr<HostCollector> MakeTimexCollector(const HostConfig& /*config*/) {
  return std::make_unique<TimexCollector>();
}

}  // namespace metricsd::host
