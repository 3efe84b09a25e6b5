#include "daemon/scaling/scaling_hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <future>
#include <thread>
#include <vector>

#include "daemon/client/exchange.h"
#include "daemon/client/webhook_post.h"
#include "daemon/core/logging.h"

namespace metricsd::scaling {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Enough of a hook's output to see why it failed; the rest is counted, not kept.
constexpr std::size_t kOutputLimit = 4096;

std::string NumberText(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

// Owns the file actions and attributes of one spawn.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
};

// Reaps `pid`, waiting until `deadline` and then killing its group. Returns the wait status,
// or nullopt when the deadline (or `stopping`) forced a kill.
std::optional<int> Reap(pid_t pid, SteadyClock::time_point deadline,
                        const std::atomic<bool>& stopping) {
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return 0;  // not ours to reap any more (cannot happen)
    if (SteadyClock::now() >= deadline || stopping.load()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return std::nullopt;
}

}  // namespace

std::string FormatRfc3339(TimePoint time) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buffer;
}

nlohmann::json HookEventJson(const HookEvent& event) {
  nlohmann::json forecast = nullptr;
  if (event.forecast && std::isfinite(*event.forecast)) forecast = *event.forecast;
  return {{"target", event.target},
          {"current", event.current},
          {"desired", event.desired},
          {"direction", DirectionName(event.direction)},
          {"reason", event.reason},
          {"forecast", forecast},
          {"load", std::isfinite(event.load) ? nlohmann::json(event.load) : nlohmann::json()},
          {"target_value", event.target_value},
          {"time", FormatRfc3339(event.time)}};
}

HookResult RunExecHook(const ExecHook& hook, const HookEvent& event,
                       const std::atomic<bool>& stopping) {
  HookResult out;
  if (hook.argv.empty()) return {"failure", "no argv"};
  // The child's environment: PATH (so argv[0] may be a bare name, and scripts find their
  // tools), the configured variables, then the decision. Nothing else of the daemon's.
  std::vector<std::string> env;
  if (const char* path = std::getenv("PATH")) env.push_back(std::string("PATH=") + path);
  for (const auto& [name, value] : hook.env) env.push_back(name + "=" + value);
  env.push_back("METRICSD_SCALING_TARGET=" + event.target);
  env.push_back("METRICSD_SCALING_CURRENT=" + std::to_string(event.current));
  env.push_back("METRICSD_SCALING_DESIRED=" + std::to_string(event.desired));
  env.push_back("METRICSD_SCALING_DIRECTION=" + std::string(DirectionName(event.direction)));
  env.push_back("METRICSD_SCALING_REASON=" + event.reason);
  env.push_back("METRICSD_SCALING_FORECAST=" +
                (event.forecast && std::isfinite(*event.forecast) ? NumberText(*event.forecast)
                                                                   : std::string()));
  env.push_back("METRICSD_SCALING_LOAD=" + NumberText(event.load));
  env.push_back("METRICSD_SCALING_TARGET_VALUE=" + NumberText(event.target_value));
  std::vector<char*> envp;
  for (std::string& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = hook.argv;
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return {"failure", std::string("pipe: ") + std::strerror(errno)};
  }
  pid_t pid = 0;
  int spawn_error = 0;
  {
    SpawnSetup setup;
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, pipe_fds[1], 1);
    posix_spawn_file_actions_adddup2(&setup.actions, pipe_fds[1], 2);
    // Nothing else of the daemon's: Asio opens its sockets without O_CLOEXEC, and a hook that
    // leaves a process behind must not hold the daemon's listening ports.
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
    // A group of its own, so a timeout kills what the hook started too; the signals the
    // daemon handles are back to their defaults and none is blocked.
    posix_spawnattr_setflags(&setup.attr,
                             POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&setup.attr, 0);
    sigset_t mask;
    sigemptyset(&mask);
    posix_spawnattr_setsigmask(&setup.attr, &mask);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD}) {
      sigaddset(&defaults, sig);
    }
    posix_spawnattr_setsigdefault(&setup.attr, &defaults);
    spawn_error = ::posix_spawnp(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), envp.data());
  }
  ::close(pipe_fds[1]);
  if (spawn_error != 0) {
    ::close(pipe_fds[0]);
    return {"failure", "cannot run " + hook.argv[0] + ": " + std::strerror(spawn_error)};
  }

  const auto deadline = SteadyClock::now() + hook.timeout;
  std::string output;
  std::size_t dropped = 0;
  bool timed_out = false;
  char buffer[4096];
  for (;;) {
    if (stopping.load()) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd poll_fd{pipe_fds[0], POLLIN, 0};
    int ready = ::poll(&poll_fd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the hook (and whatever it started) closed its output
    std::size_t keep = std::min(static_cast<std::size_t>(n), kOutputLimit - std::min(kOutputLimit, output.size()));
    output.append(buffer, keep);
    dropped += static_cast<std::size_t>(n) - keep;
  }
  ::close(pipe_fds[0]);
  std::optional<int> status =
      Reap(pid, timed_out || stopping.load() ? SteadyClock::now() : deadline, stopping);
  if (dropped > 0) output += "... (" + std::to_string(dropped) + " more bytes)";
  if (!output.empty()) {
    LogDebug("scaling exec hook output", {{"target", event.target}, {"argv0", hook.argv[0]},
                                          {"output", output}});
  }
  if (!status) {
    if (stopping.load() && !timed_out) return {"failure", "stopped"};
    return {"timeout", hook.argv[0] + " killed after " + FormatDuration(hook.timeout)};
  }
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return {"success", ""};
  if (WIFEXITED(*status)) {
    return {"failure", hook.argv[0] + " exited with status " + std::to_string(WEXITSTATUS(*status))};
  }
  if (WIFSIGNALED(*status)) {
    return {"failure", hook.argv[0] + " killed by signal " + std::to_string(WTERMSIG(*status))};
  }
  return {"failure", hook.argv[0] + " ended abnormally"};
}

HookResult PostWebhook(net::io_context& ioc, const WebhookHook& hook, const HookEvent& event,
                       const std::atomic<bool>& stopping) {
  if (!hook.url) return {"failure", "no url"};
  const std::string where = "POST " + RedactUrl(hook.url->ToString());
  // No redirects: a decision is not re-sent, with its credentials, elsewhere.
  ExchangeRequest request;
  std::string error;
  if (!MakeWebhookPost(*hook.url, hook.tls, hook.auth, "application/json", HookEventJson(event).dump(),
                       hook.timeout, request, error)) {
    return {"failure", where + ": " + error};  // names a file, never a secret
  }
  for (const auto& [name, value] : hook.headers) request.headers.emplace_back(name, value);

  auto promise = std::make_shared<std::promise<ExchangeResult>>();
  std::future<ExchangeResult> answer = promise->get_future();
  RunExchange(ioc, std::move(request),
              [promise](ExchangeResult result) { promise->set_value(std::move(result)); });
  // The exchange's own deadline ends it; the grace covers a stopped io_context. Waits in
  // slices so a shutdown is not held up by a slow receiver (the handler still runs, or is
  // dropped with the io_context; the promise is shared with it).
  const auto give_up = SteadyClock::now() + hook.timeout + std::chrono::seconds(1);
  while (answer.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (stopping.load()) return {"failure", where + ": stopped"};
    if (SteadyClock::now() >= give_up) {
      return {"timeout", where + ": no answer within " + FormatDuration(hook.timeout)};
    }
  }
  ExchangeResult result = answer.get();
  if (result.outcome == Outcome::kTimeout) {
    return {"timeout", where + ": " + result.error};
  }
  if (result.outcome != Outcome::kOk) {
    return {"failure", where + ": " + std::string(OutcomeName(result.outcome)) + ": " + result.error};
  }
  if (result.status < 200 || result.status >= 300) {
    return {"failure", where + ": HTTP " + std::to_string(result.status)};
  }
  return {"success", ""};
}

}  // namespace metricsd::scaling
