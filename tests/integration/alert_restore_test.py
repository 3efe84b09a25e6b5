"""After a restart, a pending alert gets its activeAt back from history's ALERTS_FOR_STATE, as
Prometheus's RestoreForState does: shifted by the time the daemon was down, not reset to the
restart. A rule whose `for` is shorter than alerting.for_grace_period is not restored. Rules are
PromQL over the same history (sampled every second): the restore follows the first evaluation
that works once history has opened.
"""
import json
import os
import signal
import socket
import sys
import tempfile
import time
import unittest
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, wait_until  # noqa: E402

CONFIG = """\
history: {{interval: 1s, flush_interval: 1s}}
alerting:
  evaluation_interval: 1s
  rule_files: [{rules}]
"""

RULES = """\
groups:
  - name: game
    interval: 1s
    rules:
      - alert: CrowdedLong
        metric: players
        op: ">"
        threshold: 10
        for: 30m
      - alert: CrowdedShort
        metric: players
        op: ">"
        threshold: 10
        for: 5m
"""


def seconds(rfc3339):
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


class AlertRestoreTest(unittest.TestCase):
    def start(self, storage):
        # The rules are there at start: only those are restored (as Prometheus, at start-up).
        rules = os.path.join(storage, "rules.yaml")
        with open(rules, "w") as f:
            f.write(RULES)
        daemon = Daemon(CONFIG.format(rules=rules), args=[f"--storage.path={storage}/data"])
        daemon.wait_for_log("history ready", what="the history store")
        host, port = daemon.statsd["udp"].rsplit(":", 1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"players:20|g", (host, int(port)))
        return daemon

    def active_at(self, daemon):
        def read():
            status, _, body = daemon.get("/api/v1/alerts")
            self.assertEqual(status, 200)
            alerts = json.loads(body)["data"]["alerts"]
            found = {a["labels"]["alertname"]: seconds(a["activeAt"]) for a in alerts}
            return found if len(found) == 2 else None
        return wait_until(read, timeout=15, what="both alerts pending")

    def test_pending_alert_keeps_its_active_at_across_a_kill(self):
        with tempfile.TemporaryDirectory(prefix="metricsd-restore-") as storage:
            first = self.start(storage)
            with first:
                before = self.active_at(first)
                # ALERTS_FOR_STATE sampled and flushed (1 s each) a few times.
                time.sleep(4)
                first.proc.send_signal(signal.SIGKILL)
                first.proc.wait(timeout=10)
                killed = time.time()
            time.sleep(3)
            second = self.start(storage)
            with second:
                second.wait_for_log("alert activeAt restored from history", timeout=15,
                                    what="the restore")
                after = self.active_at(second)
                restarted = time.time()
        # Restored: the pending time before the kill counts, the downtime does not.
        pending_before = killed - before["CrowdedLong"]
        self.assertGreater(pending_before, 3)
        self.assertLess(after["CrowdedLong"], restarted - pending_before + 3,
                        f"activeAt {after['CrowdedLong']} was reset, not restored (before {before})")
        self.assertGreater(after["CrowdedLong"], before["CrowdedLong"],
                           "the downtime must not count as pending")
        # `for: 5m` is shorter than the 10m grace period: not restored, pending from now.
        self.assertGreater(after["CrowdedShort"], killed)


if __name__ == "__main__":
    unittest.main()
