"""The scaling advisor over real sockets against the built binary: a StatsD gauge (sent over
UDP) is the load of a target with current_replicas 2 and target 100; the load ramps from 100
to 400 and the exec hook (a Python script run through argv, no shell) and the webhook (a local
receiver) are called with desired 8 = ceil(2 x 400 / 100), no more often than the cooldown;
/api/v1/scaling and /metrics agree; the load drops and the scale-down waits for its window; a
dry_run target calls nothing; an expression without data is counted, not decided on; the
webhook's secrets never show; a predictive target gets a forecast; HTTPS with a CA file and basic
auth."""
import base64
import json
import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, assert_promtool_clean, self_signed_cert, wait_until  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

HOOK_SCRIPT = """
import json, os, sys
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({k: v for k, v in os.environ.items()
                        if k.startswith("METRICSD_SCALING_") or k == "EXTRA"}) + "\\n")
"""

COOLDOWN = 4.0
SCALE_DOWN_WINDOW = 3.0

CONFIG = """
host: {{enabled: false}}
history: {{interval: 1s}}
scaling:
  interval: 1s
  targets:
    - name: game
      load: 'game_load'
      target: 100
      current_replicas: 2
      max_replicas: 20
      stabilization: {{scale_down: {down}s}}
      cooldown: {cooldown}s
      dry_run: false
      hooks:
        webhook:
          url: {url}
          headers: {{X-Scaler-Token: s3cret-header-value}}
          timeout: 5s
        exec:
          argv: [{python}, {script}, {exec_out}]
          timeout: 10s
          env: {{EXTRA: "$(not expanded)"}}
    - name: rehearsal
      load: 'game_load'
      target: 100
      current_replicas: 2
      hooks:
        exec: {{argv: [{python}, {script}, {dry_out}]}}
    - name: ahead
      load: 'game_load'
      target: 100
      current_replicas: 2
      predictive: {{lead: 10s, history: 30s, step: 1s}}
    - name: secure
      load: 'game_load'
      target: 100
      current_replicas: 2
      cooldown: 1m
      dry_run: false
      hooks:
        webhook:
          url: {secure_url}
          basic_auth: {{username: scaler, password: pw-s3cret}}
          tls: {{ca_file: {ca_file}}}
    - name: nodata
      load: 'no_such_metric'
      target: 1
      current_replicas: 1
"""


def address(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def rfc3339_seconds(text):
    # "2026-12-03T13:01:02.345Z"
    main, _, frac = text.rstrip("Z").partition(".")
    return time.mktime(time.strptime(main, "%Y-%m-%dT%H:%M:%S")) - time.timezone + float("0." + (frac or "0"))


class ScalingTest(unittest.TestCase):
    def test_statsd_driven_ramp_calls_the_hooks_with_the_hpa_replicas(self):
        began = time.monotonic()
        work_dir = tempfile.TemporaryDirectory(prefix="metricsd-scaling-")
        self.addCleanup(work_dir.cleanup)
        work = work_dir.name
        cert, key = self_signed_cert(work)
        with Receiver() as receiver, Receiver(tls=(cert, key)) as secure:
            daemon = None
            try:
                script = os.path.join(work, "hook.py")
                with open(script, "w") as f:
                    f.write(HOOK_SCRIPT)
                exec_out = os.path.join(work, "exec.jsonl")
                dry_out = os.path.join(work, "dry.jsonl")
                config = CONFIG.format(url=receiver.url, secure_url=secure.url, ca_file=cert,
                                       python=sys.executable, script=script,
                                       exec_out=exec_out, dry_out=dry_out, cooldown=int(COOLDOWN),
                                       down=int(SCALE_DOWN_WINDOW))
                daemon = Daemon(config)
                self.addCleanup(daemon.__exit__, None, None, None)

                def send(value):
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                        s.sendto(f"game.load:{value}|g".encode(), address(daemon.statsd["udp"]))

                def scaling():
                    status, _, body = daemon.get("/api/v1/scaling")
                    self.assertEqual(status, 200)
                    doc = json.loads(body)
                    self.assertEqual(doc["status"], "success")
                    return {t["name"]: t for t in doc["data"]["targets"]}

                # Steady at the target: no change, no hook.
                send(100)
                wait_until(lambda: scaling()["game"]["direction"] == "none", timeout=15,
                           what="a first decision at load 100")
                self.assertEqual(scaling()["game"]["desired"], 2)
                self.assertEqual(receiver.bodies, [])

                # The ramp: 100 -> 400 per replica over ~6 s.
                for load in (200, 300, 400):
                    send(load)
                    time.sleep(2)
                wait_until(lambda: any(b["desired"] == 8 for b in receiver.bodies), timeout=20,
                           what="a webhook call with desired 8")
                wait_until(lambda: any(e.get("METRICSD_SCALING_DESIRED") == "8"
                                       for e in read_lines(exec_out)),
                           timeout=20, what="an exec call with desired 8")
                first8 = next(b for b in receiver.bodies if b["desired"] == 8)
                self.assertEqual(first8["target"], "game")
                self.assertEqual(first8["current"], 2)
                self.assertEqual(first8["direction"], "up")
                self.assertEqual(first8["load"], 400)
                self.assertEqual(first8["target_value"], 100)
                self.assertIsNone(first8["forecast"])
                self.assertIn("ceil(2 x 4) = 8", first8["reason"])
                self.assertEqual(receiver.headers[0].get("X-Scaler-Token"), "s3cret-header-value")
                self.assertEqual(receiver.headers[0].get("Content-Type"), "application/json")
                env8 = next(e for e in read_lines(exec_out) if e["METRICSD_SCALING_DESIRED"] == "8")
                self.assertEqual(env8["METRICSD_SCALING_TARGET"], "game")
                self.assertEqual(env8["METRICSD_SCALING_CURRENT"], "2")
                self.assertEqual(env8["METRICSD_SCALING_FORECAST"], "")
                self.assertIn("ceil(2 x 4) = 8", env8["METRICSD_SCALING_REASON"])
                self.assertEqual(env8["EXTRA"], "$(not expanded)")  # no shell anywhere

                # With current static at 2 the hook repeats, never sooner than the cooldown.
                wait_until(lambda: sum(b["desired"] == 8 for b in receiver.bodies) >= 2,
                           timeout=COOLDOWN * 3, what="a second call with desired 8")
                times = [rfc3339_seconds(b["time"]) for b in receiver.bodies]
                for earlier, later in zip(times, times[1:]):
                    self.assertGreaterEqual(later - earlier, COOLDOWN - 0.001, receiver.bodies)
                # Each decision's hooks run in turn (webhook, then exec): the same calls.
                wait_until(lambda: [e["METRICSD_SCALING_DESIRED"] for e in read_lines(exec_out)] ==
                           [str(b["desired"]) for b in receiver.bodies], timeout=5,
                           what="one exec call per webhook call")

                # /api/v1/scaling and /metrics agree.
                def agree():
                    api = scaling()
                    samples = daemon.samples()
                    game = api["game"]
                    return (game["desired"] == 8 and
                            samples.get('metricsd_scaling_desired_replicas{target="game"}') == 8 and
                            samples.get('metricsd_scaling_current_replicas{target="game"}') == 2 and
                            samples.get('metricsd_scaling_load{target="game"}') == game["load"] == 400)
                wait_until(agree, timeout=10, what="the API and /metrics to agree")
                assert_promtool_clean(self, daemon.metrics(), ["metricsd_scaling_"])
                api = scaling()
                samples = daemon.samples()
                game = api["game"]
                self.assertEqual(game["direction"], "up")
                self.assertFalse(game["dry_run"])
                self.assertEqual(game["load_expr"], "game_load")
                self.assertIn(game["last_hook"]["kind"], ("webhook", "exec"))
                self.assertEqual(game["last_hook"]["result"], "success")
                self.assertGreaterEqual(samples['metricsd_scaling_decisions_total{direction="up",target="game"}'], 1)
                self.assertGreaterEqual(samples['metricsd_scaling_hook_calls_total{hook="webhook",result="success",target="game"}'], 2)
                self.assertGreaterEqual(samples['metricsd_scaling_hook_calls_total{hook="exec",result="success",target="game"}'], 2)

                # The dry run decides the same and calls nothing.
                rehearsal = api["rehearsal"]
                self.assertTrue(rehearsal["dry_run"])
                self.assertEqual(rehearsal["desired"], 8)
                self.assertEqual(rehearsal["last_hook"]["result"], "dry_run")
                self.assertGreaterEqual(samples['metricsd_scaling_hook_calls_total{hook="exec",result="dry_run",target="rehearsal"}'], 1)
                self.assertEqual(read_lines(dry_out), [])

                # The forecast runs through the daemon's engine and never lowers a decision.
                wait_until(lambda: scaling()["ahead"]["forecast"] is not None, timeout=10,
                           what="a forecast for the predictive target")
                ahead = scaling()["ahead"]
                self.assertGreaterEqual(ahead["desired"], 8, ahead)
                self.assertEqual(ahead["forecast_lead"], "10s")
                print(f"FIGURE integration_scaling_forecast_load_10s_ahead {ahead['forecast']:.1f} "
                      f"(load {ahead['load']}, desired {ahead['desired']})")
                self.assertIn('metricsd_scaling_forecast_load{target="ahead"}', daemon.samples())

                # No data: no decision, counted with its reason.
                self.assertIsNone(api["nodata"]["desired"])
                self.assertIn("no series", api["nodata"]["last_error"])
                self.assertGreaterEqual(samples['metricsd_scaling_evaluation_errors_total{reason="load_no_data",target="nodata"}'], 1)

                # The drop: the scale-down waits for its window, then the hooks get desired 1.
                dropped_at = time.time()
                send(40)
                wait_until(lambda: any(b["desired"] == 1 for b in receiver.bodies),
                           timeout=SCALE_DOWN_WINDOW + COOLDOWN + 10, what="a call with desired 1")
                down = next(b for b in receiver.bodies if b["desired"] == 1)
                self.assertEqual(down["direction"], "down")
                self.assertGreaterEqual(rfc3339_seconds(down["time"]) - dropped_at, SCALE_DOWN_WINDOW)
                # Between the drop and then, every call kept 8.
                before = [b for b in receiver.bodies
                          if dropped_at <= rfc3339_seconds(b["time"]) < rfc3339_seconds(down["time"])]
                self.assertTrue(all(b["desired"] == 8 for b in before), before)

                # HTTPS with the configured CA and basic auth; one call within the cooldown.
                self.assertGreaterEqual(len(secure.bodies), 1)
                self.assertEqual(secure.bodies[0]["target"], "secure")
                self.assertIn(secure.bodies[0]["desired"], (4, 6, 8))  # whichever step came first
                self.assertEqual(secure.bodies[0]["current"], 2)
                self.assertEqual(secure.headers[0]["Authorization"],
                                 "Basic " + base64.b64encode(b"scaler:pw-s3cret").decode())
                secure_times = [rfc3339_seconds(b["time"]) for b in secure.bodies]
                for earlier, later in zip(secure_times, secure_times[1:]):
                    self.assertGreaterEqual(later - earlier, 60 - 0.001)  # the cooldown is 1m

                # Secrets never leave the process.
                for path in ("/api/v1/scaling", "/api/v1/status/config"):
                    status, _, body = daemon.get(path)
                    self.assertEqual(status, 200, path)
                    self.assertNotIn(b"s3cret", body, path)
                self.assertFalse(any("s3cret" in line for line in daemon.lines))
                self.assertEqual(daemon.stop(), 0)
            finally:
                if daemon is not None and daemon.proc.poll() is None:
                    daemon.proc.kill()
        print(f"FIGURE integration_scaling_seconds {time.monotonic() - began:.1f}")


if __name__ == "__main__":
    unittest.main()
