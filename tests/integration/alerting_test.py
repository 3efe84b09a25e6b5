"""Alerting in the running daemon: rules are PromQL evaluated over history (sampled every 1 s
here), over StatsD gauges; ALERTS in /metrics (promtool), /api/v1/alerts and /api/v1/rules (the
compiled query), webhook delivery (Alertmanager's webhook JSON, credentials), receivers that hang
or refuse, queue overflow, rule failures (a type mismatch, history disabled), Prometheus's rule
form with recording rules recorded into history (and on /metrics when asked), --check-config
with an expression's position, and reloads that keep alert state or, when broken, keep the
running rules.
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
    def __init__(self, receivers="", threshold=10, extra="", history="history: {interval: 1s}\n"):
        super().__init__(self.config(receivers, extra, history), args=["--web.enable-lifecycle"])
        # The pattern matched nothing at start (a missing directory is no error); now it does.
        self.write_rules(threshold)
        self.send_signal(signal.SIGHUP)
        self.wait_for_log("config reloaded", what="the rules to load")

    def config(self, receivers, extra, history):
        # Rules read history: sampled every second, an alert follows a gauge within ~2 s.
        return (history +
                "alerting:\n  evaluation_interval: 1s\n  resend_delay: 1s\n  rule_files: ['rules/*.yaml']\n"
                "  external_labels: {site: test}\n" + extra + receivers)

    def write_rules(self, threshold, text=None):
        text = text if text is not None else RULES.format(threshold=threshold)
        os.makedirs(os.path.join(self.dir.name, "rules"), exist_ok=True)
        path = os.path.join(self.dir.name, "rules", "game.yaml")
        with open(path + ".tmp", "w") as f:
            f.write(text)
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

    def test_prometheus_form_and_recording_rules_through_history(self):
        rules = """\
groups:
  - name: prom
    interval: 1s
    limit: 5
    rules:
      - record: zone:players:sum
        expr: sum by (zone) (players)
        labels: {team: games}
      - alert: CrowdedZone
        expr: zone:players:sum > 10
        labels: {severity: page}
        annotations: {summary: "{{ $labels.zone }} has {{ $value }}"}
"""
        with AlertingDaemon(extra="  expose_recording_rules: true\n") as d:
            d.write_rules(0, text=rules)
            self.assertEqual(d.request("POST", "/-/reload")[0], 200)
            d.gauge(25)
            d.gauge(3, zone="south")
            # The recorded series reach history through the sampler, where the alert reads them.
            alert = wait_until(lambda: d.firing("CrowdedZone"), timeout=20, what="CrowdedZone firing")[0]
            self.assertEqual(alert["labels"], {"alertname": "CrowdedZone", "severity": "page",
                                               "team": "games", "zone": "north"})
            self.assertEqual(alert["annotations"], {"summary": "north has 25"})
            s = parse_exposition(d.metrics())
            self.assertEqual(s['zone:players:sum{team="games",zone="north"}'], 25)
            self.assertEqual(s['zone:players:sum{team="games",zone="south"}'], 3)
            group = d.api("/api/v1/rules")["groups"][0]
            self.assertEqual(group["limit"], 5)
            record, crowded = group["rules"]
            self.assertEqual((record["type"], record["name"], record["query"], record["health"]),
                             ("recording", "zone:players:sum", "sum by (zone) (players)", "ok"))
            self.assertEqual((crowded["type"], crowded["query"], crowded["state"]),
                             ("alerting", "zone:players:sum > 10", "firing"))

    def test_recording_rules_stay_off_metrics_unless_asked(self):
        rules = ("groups:\n  - name: prom\n    interval: 1s\n    rules:\n"
                 "      - record: zone:players:sum\n        expr: sum by (zone) (players)\n")
        with AlertingDaemon() as d:
            d.write_rules(0, text=rules)
            self.assertEqual(d.request("POST", "/-/reload")[0], 200)
            d.gauge(25)
            wait_until(lambda: d.api("/api/v1/rules")["groups"][0]["rules"][0]["health"] == "ok",
                       timeout=15, what="the recording rule evaluated")
            time.sleep(1.5)
            self.assertNotIn("zone:players:sum", d.metrics())

    def test_rules_fail_while_history_is_disabled_and_check_config_names_the_expression(self):
        with AlertingDaemon(history="history: {enabled: false}\n") as d:
            rule = wait_until(lambda: [r for r in d.api("/api/v1/rules")["groups"][0]["rules"]
                                       if r["name"] == "TooManyPlayers" and r["health"] == "err"],
                              timeout=15, what="the rule failing")[0]
            self.assertIn("history is not available", rule["lastError"])

            d.write_rules(0, text="groups:\n  - name: game\n    rules:\n      - alert: X\n"
                                  "        expr: sum(rate(players[5m])) by\n")
            result = subprocess.run([os.environ["METRICSD_BIN"], f"--config.file={d.config_path}",
                                     "--check-config"], capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 1)
            # Prometheus's parser message and position (promtool check rules says the same).
            self.assertIn("rules/game.yaml:5:15: groups[0].rules[0].expr: 1:26: parse error: unexpected "
                          "end of input in grouping opts, expected \"(\"", result.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
