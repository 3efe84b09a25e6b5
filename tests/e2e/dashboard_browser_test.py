"""The built-in dashboard in a real headless Chromium (issue 15, "Tested in a real browser").

Sets up a real metricsd: history on in a temporary directory (sampled every 5 s), a StatsD
listener with the game's shipped mapping, an HTTP probe target, analytics on (the default) and
a rules file with one alert that always fires. It sends the shipped example game workload
(tests/support/game_workload.py) for WORKLOAD_SECONDS so that every default panel the workload
feeds has points, posts one annotation, waits for the alert to fire, then runs
tests/browser/dashboard_test.js, which drives Chromium through every page and checks the
front end against the DOM contract and the API (its header says what it asserts).

    dashboard_browser_test.py METRICSD_BIN OUT_DIR [CHROMIUM]

The workload goes on at half the rate while the browser runs. Screenshots of every page go
to OUT_DIR (OUT_DIR/overview.png is the README's). Under the
sanitizers (ASAN_OPTIONS or TSAN_OPTIONS set, as ctest passes them) every wait is 5x longer.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402
from harness import Daemon, wait_until  # noqa: E402
import game_workload  # noqa: E402

SANITIZED = any(name in os.environ for name in ("ASAN_OPTIONS", "TSAN_OPTIONS"))
SLOWDOWN = 5 if SANITIZED else 1
WORKLOAD_SECONDS = 45
WORKLOAD_RATE = 400  # lines/s
ALERT = "DashboardTestAlwaysFiring"
ANNOTATION_TEXT = "dashboard browser test: deploy v1.2.3"
NODE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser",
                           "dashboard_test.js")

RULES = f"""\
groups:
  - name: dashboard_test
    interval: 1s
    rules:
      - alert: {ALERT}
        expr: vector(1)
        labels: {{severity: test}}
        annotations:
          summary: Always firing, so the Alerts page and the Overview have one to show.
"""


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_rules_file(config, rules_path):
    """`config` (game_workload's) with rules_path added to alerting.rule_files."""
    pattern = re.compile(r"^(  rule_files: \[)(.*)\]$", re.M)
    if pattern.search(config):
        return pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}, {json.dumps(rules_path)}]", config, count=1)
    assert not re.search(r"^alerting:", config, re.M), "game_workload's alerting section changed shape"
    return config + f"alerting:\n  rule_files: [{json.dumps(rules_path)}]\n"


def api(daemon, path):
    status, _, body = daemon.request("GET", path, timeout=60 * SLOWDOWN)
    assert status == 200, f"GET {path}: {status} {body[:300]!r}"
    return json.loads(body)


def main():
    if len(sys.argv) < 3:
        raise SystemExit("usage: dashboard_browser_test.py METRICSD_BIN OUT_DIR [CHROMIUM]")
    harness.BIN = sys.argv[1]
    out_dir = os.path.abspath(sys.argv[2])
    chromium = sys.argv[3] if len(sys.argv) > 3 else "/usr/bin/chromium"
    os.makedirs(out_dir, exist_ok=True)
    node = harness.require_tool("node")
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="metricsd-dashboard-") as work, \
            game_workload.ProbeTarget() as target:
        rules_path = os.path.join(work, "rules.yaml")
        with open(rules_path, "w") as f:
            f.write(RULES)
        history_dir = os.path.join(work, "history")
        statsd_port = free_udp_port()
        config = game_workload.metricsd_config(statsd_port, history_dir, target.url)
        config = with_rules_file(config, rules_path)
        with Daemon(config, args=[f"--statsd.listen-udp=127.0.0.1:{statsd_port}",
                                  f"--storage.path={history_dir}"]) as daemon:
            base = f"http://127.0.0.1:{daemon.port}"
            # Charts have data from here on (host collectors from the start, the game's later).
            data_from_ms = int(time.time() * 1000) - 10_000
            dashboard = api(daemon, "/api/v1/dashboard")["data"]
            assert dashboard["enabled"], "the dashboard is enabled by default"
            assert dashboard["features"]["history"], dashboard["features"]
            assert dashboard["features"]["analytics"], \
                f"analytics is on by default: {dashboard['features']}"

            sent = game_workload.send_udp(statsd_port, WORKLOAD_SECONDS, WORKLOAD_RATE)
            print(f"sent {sent} StatsD lines in {WORKLOAD_SECONDS} s", flush=True)

            # One annotation in the default range (1h), half an hour before any data: its marker
            # is drawn apart from the series, where the test does not count a chart's pixels.
            annotation_ms = int(time.time() * 1000) - 30 * 60_000
            body = json.dumps({"time": annotation_ms, "tags": ["deploy", "browser-test"],
                               "text": ANNOTATION_TEXT}).encode()

            def post_annotation():
                status, _, answer = daemon.request(
                    "POST", "/api/v1/annotations", body=body,
                    headers={"Content-Type": "application/json"}, timeout=30 * SLOWDOWN)
                return answer if status == 200 else None
            # The analytics database opens with the history store: retry while it is opening.
            answer = wait_until(post_annotation, timeout=30 * SLOWDOWN, interval=0.5,
                                what="POST /api/v1/annotations to succeed")
            print(f"annotation: {answer.decode().strip()}", flush=True)

            wait_until(lambda: any(a["labels"].get("alertname") == ALERT and a["state"] == "firing"
                                   for a in api(daemon, "/api/v1/alerts")["data"]["alerts"]),
                       timeout=30 * SLOWDOWN, interval=0.5, what=f"alert {ALERT} to fire")
            # The history has sampled the last of the workload (every 5 s).
            wait_until(lambda: api(daemon, "/api/v1/query?query=count(game_players)")["data"]["result"],
                       timeout=30 * SLOWDOWN, interval=0.5, what="game_players in history")

            # The game keeps playing while the browser looks (live charts move, the README's
            # picture shows traffic); send_udp returns on its own, the thread dies with the test.
            threading.Thread(target=game_workload.send_udp, args=(statsd_port, 240, WORKLOAD_RATE // 2, 2),
                             daemon=True).start()
            facts = {"slowdown": SLOWDOWN, "alert": ALERT, "annotation_text": ANNOTATION_TEXT,
                     "annotation_ms": annotation_ms, "data_from_ms": data_from_ms,
                     "probe_url": target.url}
            env = dict(os.environ)
            env["DASHBOARD_TEST_FACTS"] = json.dumps(facts)
            # ctest stops the test at 300 s: leave the last seconds for a clear message.
            budget = 285 - (time.monotonic() - started)
            try:
                result = subprocess.run([node, NODE_SCRIPT, base, out_dir, chromium], env=env,
                                        timeout=max(60, budget), stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"dashboard_test.js did not finish within {budget:.0f} s")
            if daemon.proc.poll() is not None:
                raise AssertionError("metricsd exited during the browser test; log:\n" +
                                     "\n".join(daemon.lines[-50:]))
            status = daemon.stop()
            assert status == 0, f"metricsd exit status {status}; log:\n" + "\n".join(daemon.lines[-50:])
            if result.returncode != 0:
                raise SystemExit(f"dashboard_test.js failed (exit status {result.returncode})")
    print(f"ok: dashboard browser test in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
