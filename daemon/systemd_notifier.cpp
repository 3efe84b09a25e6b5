#include "daemon/systemd_notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

#include "daemon/core/logging.h"

namespace metricsd {

SystemdNotifier::SystemdNotifier(net::io_context& ioc) : watchdog_timer_(ioc) {}

void SystemdNotifier::Ready() { sd_notify(0, "READY=1\nSTATUS=Serving"); }

void SystemdNotifier::Reloading() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  unsigned long long usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                            static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
  std::string message = "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
  sd_notify(0, message.c_str());
}

void SystemdNotifier::Stopping() { sd_notify(0, "STOPPING=1"); }

void SystemdNotifier::StartWatchdog() {
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is ours).
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  watchdog_interval_ = std::chrono::microseconds(usec / 2);
  LogDebug("systemd watchdog enabled",
           {{"interval_usec", std::to_string(watchdog_interval_.count())}});
  sd_notify(0, "WATCHDOG=1");
  ScheduleWatchdog();
}

void SystemdNotifier::StopWatchdog() { watchdog_timer_.cancel(); }

void SystemdNotifier::ScheduleWatchdog() {
  watchdog_timer_.expires_after(watchdog_interval_);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled on stop
    sd_notify(0, "WATCHDOG=1");
    ScheduleWatchdog();
  });
}

}  // namespace metricsd
