// sd_notify(3) for Type=notify units: READY, RELOADING, STOPPING and the watchdog.
//
// Without NOTIFY_SOCKET in the environment every call does nothing. The watchdog pings come
// from a timer on the io_context, so a stuck event loop stops them and systemd restarts us.
#pragma once

#include <chrono>
#include <memory>

#include "daemon/core/asio.h"

namespace metricsd {

class SystemdNotifier {
 public:
  explicit SystemdNotifier(net::io_context& ioc);

  void Ready();
  // RELOADING=1 with MONOTONIC_USEC, as systemd's reload protocol asks.
  void Reloading();
  void Stopping();
  // Starts pinging WATCHDOG=1 at half of WATCHDOG_USEC, if the service manager asked for it.
  void StartWatchdog();
  void StopWatchdog();

 private:
  void ScheduleWatchdog();

  net::steady_timer watchdog_timer_;
  std::chrono::microseconds watchdog_interval_{0};
};

}  // namespace metricsd
