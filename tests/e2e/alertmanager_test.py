"""End-to-end: metricsd evaluates a rule over a StatsD gauge and delivers the alert to a real
Alertmanager (Debian's prometheus-alertmanager, on 127.0.0.1, clustering off, own storage).

The gauge crosses the threshold → the alert is in Alertmanager's GET /api/v2/alerts with its
rendered annotation and external labels; the gauge goes back → Alertmanager has it resolved;
Alertmanager stopped → metricsd keeps serving and counts errors; Alertmanager back → the alert
is delivered again (re-sent every resend_delay).
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, free_port, parse_exposition, require_tool, stop_process, wait_until  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

ALERTMANAGER_CONFIG = """\
route:
  receiver: "null"
  group_wait: 0s
receivers:
  - name: "null"
"""

RULES = """\
groups:
  - name: game
    interval: 1s
    rules:
      - alert: TooManyPlayers
        metric: players
        op: ">"
        threshold: 10
        for: 1s
        labels: {severity: page}
        annotations:
          summary: "{{ $labels.zone }} has {{ $value }} players on {{ $externalLabels.site }}"
"""


class Alertmanager:
    """A real Alertmanager on 127.0.0.1:`port`; storage survives a restart on the same port."""

    def __init__(self, port=None):
        self.binary = require_tool("prometheus-alertmanager")
        self.dir = tempfile.TemporaryDirectory(prefix="metricsd-e2e-am-")
        self.config = os.path.join(self.dir.name, "alertmanager.yml")
        with open(self.config, "w") as f:
            f.write(ALERTMANAGER_CONFIG)
        self.port = port or free_port()
        self.proc = None
        self.log = open(os.path.join(self.dir.name, "alertmanager.log"), "w+")

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, f"--config.file={self.config}", f"--web.listen-address=127.0.0.1:{self.port}",
             f"--storage.path={self.dir.name}/data", "--cluster.listen-address=", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: self._get("/-/ready") is not None, timeout=30, interval=0.2,
                   what="Alertmanager to be ready")

    def stop(self):
        stop_process(self.proc)

    def _get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.read()
        except OSError:
            return None

    def alerts(self, name):
        """Alerts named `name` that Alertmanager holds as active (resolved ones are not listed)."""
        body = self._get("/api/v2/alerts")
        if body is None:
            return []
        return [a for a in json.loads(body) if a["labels"].get("alertname") == name]

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        self.log.seek(0)
        sys.stderr.write(self.log.read()[-4000:])
        self.log.close()
        self.dir.cleanup()
        return False


def send_gauge(d, value):
    host, port = d.statsd["udp"].rsplit(":", 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(f"players:{value}|g|#zone:north".encode(), (host, int(port)))


class AlertmanagerDeliveryTest(unittest.TestCase):
    def test_fire_resolve_and_survive_an_alertmanager_outage(self):
        with Alertmanager() as am, Receiver() as webhook:
            url = f"http://127.0.0.1:{am.port}"
            rules = tempfile.TemporaryDirectory(prefix="metricsd-e2e-rules-")
            self.addCleanup(rules.cleanup)
            with open(os.path.join(rules.name, "rules.yaml"), "w") as f:
                f.write(RULES)
            # Rules evaluate PromQL over history: sample every second so alerts follow the
            # gauge within a second or two.
            config = ("history: {interval: 1s}\n"
                      "alerting:\n  evaluation_interval: 1s\n  resend_delay: 1s\n"
                      f"  rule_files: [{rules.name}/rules.yaml]\n  external_labels: {{site: e2e}}\n"
                      f"  alertmanagers:\n    - url: {url}\n      timeout: 2s\n"
                      f"  webhooks:\n    - url: {webhook.url}\n")
            with Daemon(config) as d:
                send_gauge(d, 20)
                alerts = wait_until(lambda: am.alerts("TooManyPlayers"), timeout=30, interval=0.2,
                                    what="the alert in Alertmanager")
                alert = alerts[0]
                self.assertEqual(alert["labels"], {"alertname": "TooManyPlayers", "severity": "page",
                                                   "zone": "north", "site": "e2e"})
                self.assertEqual(alert["annotations"]["summary"], "north has 20 players on e2e")
                self.assertEqual(alert["status"]["state"], "active")
                self.assertTrue(alert["generatorURL"].startswith("http://"))
                # The webhook's fingerprint is the one Alertmanager computes for the same labels.
                hooked = wait_until(lambda: [a for b in webhook.bodies for a in b["alerts"]], timeout=10,
                                    what="the webhook")[0]
                self.assertEqual(hooked["labels"], alert["labels"])
                self.assertEqual(hooked["fingerprint"], alert["fingerprint"])

                # Back under the threshold: resolved in Alertmanager (no longer listed as active).
                send_gauge(d, 5)
                wait_until(lambda: not am.alerts("TooManyPlayers"), timeout=30, interval=0.2,
                           what="Alertmanager to see the alert resolved")
                sent = parse_exposition(d.metrics())[
                    f'metricsd_notifications_sent_total{{alertmanager="{url}"}}']
                self.assertGreaterEqual(sent, 2)  # firing, then resolved

                # Alertmanager down: the daemon keeps serving, counts errors, never blocks.
                am.stop()
                send_gauge(d, 30)
                key = f'metricsd_notifications_errors_total{{alertmanager="{url}"}}'
                wait_until(lambda: parse_exposition(d.metrics()).get(key, 0) >= 2, timeout=30,
                           interval=0.2, what="notification errors to be counted")
                started = time.monotonic()
                status, _, _ = d.get("/-/healthy")
                self.assertEqual(status, 200)
                self.assertLess(time.monotonic() - started, 1.0)
                firing = wait_until(
                    lambda: [a for a in json.loads(d.get("/api/v1/alerts")[2])["data"]["alerts"]
                             if a["state"] == "firing"],
                    timeout=30, interval=0.2, what="the alert to fire again")
                self.assertEqual([a["state"] for a in firing], ["firing"])

                # Back up (same port, same storage): the next resend delivers the alert.
                am.start()
                alerts = wait_until(lambda: am.alerts("TooManyPlayers"), timeout=30, interval=0.2,
                                    what="the alert delivered after Alertmanager came back")
                self.assertEqual(alerts[0]["annotations"]["summary"], "north has 30 players on e2e")


if __name__ == "__main__":
    unittest.main(verbosity=2)
