"""Alerting in the running daemon: rules over StatsD gauges, ALERTS in /metrics (promtool),
/api/v1/alerts and /api/v1/rules, webhook delivery (Alertmanager's webhook JSON, credentials),
receivers that hang or refuse, queue overflow, rule failures, and reloads that keep alert
state or, when broken, keep the running rules.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, parse_exposition, require_tool, self_signed_cert, wait_until  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

RULES = """\
groups:
  - name: game
    interval: 1s
    rules:
      - alert: TooManyPlayers
        metric: players
        op: ">"
        threshold: {threshold}
        labels: {{severity: page}}
        annotations:
          summary: "{{{{ $labels.zone }}}}: {{{{ $value | printf \\"%.1f\\" }}}}"
      - alert: NoPlayersInSouth
        metric: players
        match: {{zone: south}}
        absent: true
      - alert: WrongType
        metric: players
        value: quantile
        quantile: 0.5
        op: ">"
        threshold: 0
"""


class AlertingDaemon(Daemon):
    def __init__(self, receivers="", threshold=10, extra=""):
        super().__init__(self.config(receivers, extra), args=["--web.enable-lifecycle"])
        # The pattern matched nothing at start (a missing directory is no error); now it does.
        self.write_rules(threshold)
        self.send_signal(signal.SIGHUP)
        self.wait_for_log("config reloaded", what="the rules to load")

    def config(self, receivers, extra=""):
        return ("alerting:\n  evaluation_interval: 1s\n  resend_delay: 1s\n  rule_files: ['rules/*.yaml']\n"
                "  external_labels: {site: test}\n" + extra + receivers)

    def write_rules(self, threshold, text=None):
        os.makedirs(os.path.join(self.dir.name, "rules"), exist_ok=True)
        path = os.path.join(self.dir.name, "rules", "game.yaml")
        with open(path + ".tmp", "w") as f:
            f.write(text if text is not None else RULES.format(threshold=threshold))
        os.replace(path + ".tmp", path)

    def gauge(self, value, zone="north"):
        host, port = self.statsd["udp"].rsplit(":", 1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(f"players:{value}|g|#zone:{zone}".encode(), (host, int(port)))

    def api(self, path):
        status, _, body = self.get(path)
        assert status == 200, status
        return json.loads(body)["data"]

    def firing(self, name="TooManyPlayers"):
        return [a for a in self.api("/api/v1/alerts")["alerts"]
                if a["labels"]["alertname"] == name and a["state"] == "firing"]


class AlertingTest(unittest.TestCase):
    def test_alerts_in_metrics_and_the_api(self):
        with AlertingDaemon() as d:
            d.gauge(25)
            alert = wait_until(d.firing, timeout=15, what="TooManyPlayers firing")[0]
            self.assertEqual(alert["labels"], {"alertname": "TooManyPlayers", "severity": "page", "zone": "north"})
            self.assertEqual(alert["annotations"], {"summary": "north: 25.0"})
            self.assertEqual(alert["value"], "2.5e+01")
            # The absent rule fires: no series for zone=south.
            absent = wait_until(lambda: d.firing("NoPlayersInSouth"), timeout=15, what="absent alert")[0]
            self.assertEqual(absent["labels"], {"alertname": "NoPlayersInSouth", "zone": "south"})

            text = d.metrics()
            s = parse_exposition(text)
            self.assertEqual(s['ALERTS{alertname="TooManyPlayers",alertstate="firing",severity="page",zone="north"}'], 1)
            for_state = s['ALERTS_FOR_STATE{alertname="TooManyPlayers",severity="page",zone="north"}']
            self.assertAlmostEqual(for_state, time.time(), delta=30)
            group = 'rule_group="' + os.path.join(d.dir.name, "rules", "game.yaml") + ';game"'
            self.assertGreaterEqual(s["metricsd_rule_evaluations_total{" + group + "}"], 3)
            self.assertGreaterEqual(s["metricsd_rule_evaluation_failures_total{" + group + "}"], 1)
            self.assertIn("metricsd_rule_group_last_duration_seconds{" + group + "}", s)
            check = subprocess.run([require_tool("promtool"), "check", "metrics"], input=text.encode(),
                                   capture_output=True, timeout=60)
            findings = [f for f in (check.stdout + check.stderr).decode().splitlines()
                        if f.startswith(("ALERTS", "metricsd_rule", "metricsd_notifications"))]
            self.assertEqual(findings, [])
            self.assertIn(check.returncode, (0, 3), check.stdout + check.stderr)

            rules = {r["name"]: r for r in d.api("/api/v1/rules")["groups"][0]["rules"]}
            self.assertEqual(rules["TooManyPlayers"]["state"], "firing")
            self.assertEqual(rules["TooManyPlayers"]["query"], "players > 10")
            self.assertEqual(rules["TooManyPlayers"]["health"], "ok")
            self.assertEqual(rules["WrongType"]["health"], "err")
            self.assertEqual(rules["WrongType"]["lastError"],
                             "value: quantile does not apply to players, a gauge (quantile needs a histogram or summary)")
            d.gauge(1)
            wait_until(lambda: not d.firing(), timeout=15, what="the alert to resolve")
            self.assertNotIn("ALERTS{alertname=\"TooManyPlayers\"", d.metrics())

    def test_webhook_gets_alertmanagers_webhook_json_with_credentials(self):
        with Receiver() as receiver:
            receivers = f"  webhooks:\n    - url: {receiver.url}\n      bearer_token: s3cret\n"
            with AlertingDaemon(receivers) as d:
                d.gauge(25)
                body = wait_until(lambda: [b for b in receiver.bodies if any(
                    a["labels"]["alertname"] == "TooManyPlayers" for a in b["alerts"])],
                    timeout=15, what="a webhook with the alert")[0]
                self.assertEqual(body["version"], "4")
                self.assertEqual(body["status"], "firing")
                alert = [a for a in body["alerts"] if a["labels"]["alertname"] == "TooManyPlayers"][0]
                self.assertEqual(alert["labels"]["site"], "test")  # external labels added
                self.assertEqual(alert["status"], "firing")
                self.assertEqual(len(alert["fingerprint"]), 16)
                self.assertEqual(receiver.headers[0]["Authorization"], "Bearer s3cret")
                self.assertEqual(receiver.headers[0]["Content-Type"], "application/json")
                d.gauge(1)
                resolved = wait_until(lambda: [a for b in receiver.bodies for a in b["alerts"]
                                               if a["labels"]["alertname"] == "TooManyPlayers"
                                               and a["status"] == "resolved"],
                                      timeout=15, what="the resolution")[0]
                self.assertLess(resolved["endsAt"], time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 1)))

    def test_https_receiver_with_basic_auth_from_a_rotated_password_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = self_signed_cert(tmp)
            password = os.path.join(tmp, "password")
            with open(password, "w") as f:
                f.write("first\n")
            with Receiver(tls=(cert, key)) as trusted, Receiver(tls=(cert, key)) as untrusted:
                receivers = (f"  webhooks:\n    - url: {trusted.url}\n"
                             f"      basic_auth: {{username: ops, password_file: {password}}}\n"
                             f"      tls: {{ca_file: {cert}}}\n"
                             f"    - url: {untrusted.url}\n      timeout: 1s\n")
                with AlertingDaemon(receivers) as d:
                    d.gauge(25)
                    wait_until(lambda: trusted.bodies, timeout=15, what="delivery over HTTPS")
                    self.assertEqual(trusted.headers[0]["Authorization"], "Basic b3BzOmZpcnN0")  # ops:first
                    with open(password, "w") as f:
                        f.write("second\n")
                    # The file is read at each request: the next resend carries the new secret.
                    wait_until(lambda: trusted.headers[-1]["Authorization"] == "Basic b3BzOnNlY29uZA==",
                               timeout=15, what="the rotated password")
                    # Without the CA the certificate is refused: errors counted, nothing received.
                    key_errors = f'metricsd_notifications_errors_total{{alertmanager="{untrusted.url}"}}'
                    wait_until(lambda: parse_exposition(d.metrics()).get(key_errors, 0) >= 1, timeout=15,
                               what="TLS errors counted")
                    self.assertEqual(untrusted.bodies, [])
                    self.assertTrue(any("sending alerts failed" in line and "tls_error" in line
                                        for line in d.lines), "\n".join(d.lines[-5:]))

    def test_hanging_receiver_never_delays_evaluation_and_overflow_is_counted(self):
        with Receiver(hang=True) as receiver:
            receivers = f"  webhooks:\n    - url: {receiver.url}\n      timeout: 500ms\n"
            with AlertingDaemon(receivers, extra="  queue_capacity: 1\n") as d:
                for zone in ("a", "b", "c", "d"):
                    d.gauge(25, zone)
                wait_until(lambda: len(d.firing()) == 4, timeout=15, what="four alerts")
                key = f'metricsd_notifications_errors_total{{alertmanager="{receiver.url}"}}'
                wait_until(lambda: parse_exposition(d.metrics()).get(key, 0) >= 2, timeout=20,
                           what="timeouts counted")
                s1 = parse_exposition(d.metrics())
                time.sleep(2)
                started = time.monotonic()
                s2 = parse_exposition(d.metrics())
                self.assertLess(time.monotonic() - started, 1.0)
                evals = [k for k in s2 if k.startswith("metricsd_rule_evaluations_total")][0]
                self.assertGreater(s2[evals], s1[evals])  # evaluation went on meanwhile
                self.assertGreater(s2["metricsd_notifications_dropped_total"], 0)
                self.assertLessEqual(s2["metricsd_notifications_queue_length"], 1)

    def test_reload_keeps_alert_state_and_a_broken_rule_file_keeps_the_running_rules(self):
        with AlertingDaemon() as d:
            d.gauge(25)
            active_at = wait_until(d.firing, timeout=15, what="firing")[0]["activeAt"]
            d.write_rules(20)  # a new threshold, the same selection: the alert stays as it was
            self.assertEqual(d.request("POST", "/-/reload")[0], 200)
            time.sleep(1.5)
            self.assertEqual(d.firing()[0]["activeAt"], active_at)
            rules = d.api("/api/v1/rules")["groups"][0]["rules"]
            self.assertEqual(rules[0]["query"], "players > 20")

            d.write_rules(0, text="groups:\n  - name: game\n    rules:\n      - alert: X\n        metric: players\n"
                                  "        op: '=>'\n        threshold: 1\n")
            status, _, body = d.request("POST", "/-/reload")
            self.assertEqual(status, 500)
            self.assertIn("rules/game.yaml:6:13: groups[0].rules[0].op: unknown \"=>\"", body.decode())
            self.assertEqual(parse_exposition(d.metrics())["metricsd_config_last_reload_successful"], 0)
            time.sleep(1.5)
            self.assertEqual(d.firing()[0]["activeAt"], active_at)  # the running rules go on


if __name__ == "__main__":
    unittest.main(verbosity=2)
