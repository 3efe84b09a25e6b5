"""Crash safety of the history store (issue 12): the daemon is killed with SIGKILL at a random
moment 30 times while StatsD gauges and a counter stream in, always on the same storage
directory. After each kill the database opens again (history ready, nothing moved aside), no
sample is duplicated (every series' timestamps strictly increase), and every sample the killed
run took up to (kill time - flush_interval - interval) is there, one per interval (the gap
across each restart is allowed).

What history holds is read from the SQLite file after each kill (chunk ranges and their sample
counts, see history_faults_test.py) and, when the daemon serves it, through GET /api/v1/export
after each restart. Total time is bounded (about 2-3 minutes).
"""
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import Daemon, wait_until  # noqa: E402
from history_faults_test import (  # noqa: E402
    CONFIG, INTERVAL_MS, OFF, READY, db_runs, export_samples, metric)

# 30 by default (the number); the sanitizer build sets fewer (each start costs more).
ROUNDS = int(os.environ.get("METRICSD_CRASH_ROUNDS", "30"))
FLUSH_INTERVAL_MS = 1000
SERIES = ["crash_gauge_0", "crash_gauge_1", "crash_gauge_2", "crash_count"]
TIME_BUDGET_S = 330


class Feeder(threading.Thread):
    """Sends the gauges and the counter every 50 ms to whichever daemon runs now."""

    def __init__(self):
        super().__init__(daemon=True)
        self.address = None
        self.stopping = threading.Event()
        self.sent = 0

    def run(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            while not self.stopping.wait(0.05):
                address = self.address
                if address is None:
                    continue
                self.sent += 1
                payload = "\n".join([f"crash.gauge_{i}:{self.sent % 1000 + i}|g" for i in range(3)] +
                                    ["crash.count:1|c"])
                try:
                    s.sendto(payload.encode(), address)
                except OSError:
                    pass  # the daemon is being killed or restarted


def slot_floor(ms):
    return ms // INTERVAL_MS * INTERVAL_MS


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="metricsd-crash-")
        self.addCleanup(self.tmp.cleanup)
        self.storage = os.path.join(self.tmp.name, "data")
        # 31 starts over minutes: run a copy, so a rebuild of the binary meanwhile (a developer's
        # or a parallel build) cannot make one of them fail.
        binary = os.path.join(self.tmp.name, "metricsd")
        shutil.copy2(harness.BIN, binary)
        real_bin, harness.BIN = harness.BIN, binary
        self.addCleanup(setattr, harness, "BIN", real_bin)
        self.feeder = Feeder()
        self.feeder.start()
        self.addCleanup(self.feeder.stopping.set)

    def start(self):
        d = Daemon(CONFIG, args=[f"--storage.path={self.storage}"])
        d.wait_for_log(READY + "|" + OFF, timeout=20, what="history to open")
        problems = [line for line in d.lines
                    if "moved aside" in line or "history is off" in line or "level=error" in line]
        self.assertEqual(problems, [], "the database must open as it is after a SIGKILL")
        host, _, port = d.statsd["udp"].rpartition(":")
        self.feeder.address = (host.strip("[]"), int(port))
        return d

    def early_kill(self, rng):
        """An extra SIGKILL while the store opens or writes its first flush (or just after)."""
        d = Daemon(CONFIG, args=[f"--storage.path={self.storage}"])
        with d:
            time.sleep(rng.uniform(0, 1.2))
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait(timeout=10)
        # Whatever it wrote before dying is not required, only consistency (checked next start).
        self.gaps[-1] = (self.gaps[-1][0], 1 << 62)

    def check_database(self, round_no):
        """No duplicate anywhere; every slot outside the restart gaps is held.

        A head chunk resumed after a restart spans the gap, so a chunk may miss as many slots
        as it has inside gaps, no more. A gap runs from the last slot due before a kill to the
        second slot after the next start (the first pass may come before StatsD's first packet).
        """
        for name in SERIES:
            runs = db_runs(self.storage, name.encode())
            self.assertTrue(runs, f"round {round_no}: {name} is not in the database")
            for previous, current in zip(runs, runs[1:]):
                self.assertLess(previous[1], current[0],
                                f"round {round_no}: {name}: chunks overlap (duplicated samples): {runs}")
            for min_t, max_t, count in runs:
                span = (max_t - min_t) // INTERVAL_MS + 1
                in_gaps = sum(1 for t in range(min_t, max_t + 1, INTERVAL_MS)
                              if any(lo < t <= hi for lo, hi in self.gaps))
                self.assertLessEqual(span - count, in_gaps,
                                     f"round {round_no}: {name}: chunk [{min_t}, {max_t}] holds {count} "
                                     f"samples, misses {span - count} slots, only {in_gaps} in restart "
                                     f"gaps {self.gaps}: {runs}")
            self.runs_by_series[name] = runs

    def check_kill(self, ready_ms, kill_ms, round_no):
        """The killed run's samples up to kill - flush_interval - interval are stored."""
        due = slot_floor(kill_ms - FLUSH_INTERVAL_MS - INTERVAL_MS)
        first_due = slot_floor(ready_ms) + 2 * INTERVAL_MS
        if due >= first_due:
            self.expected.append((first_due, due))
            for name in SERIES:
                last = max(r[1] for r in self.runs_by_series[name])
                self.assertGreaterEqual(last, due,
                                        f"round {round_no}: {name}: samples up to {due} were due, the "
                                        f"database ends at {last} (kill at {kill_ms})")
        return due

    def check_export(self, d, round_no):
        """Through the export API (when served): strictly increasing timestamps, and every slot
        each killed run was due to keep."""
        for name in SERIES:
            samples = export_samples(d, name)
            if samples is None:
                return False
            times = [t for t, _ in samples]
            self.assertEqual(times, sorted(set(times)),
                             f"round {round_no}: {name}: exported timestamps not strictly increasing")
            held = set(times)
            for first, last in self.expected:
                missing = [t for t in range(first, last + 1, INTERVAL_MS) if t not in held]
                self.assertEqual(missing, [], f"round {round_no}: {name}: exported samples missing")
        return True

    def test_sigkill_at_random_moments(self):
        seed = int(os.environ.get("METRICSD_CRASH_SEED", time.time()))
        rng = random.Random(seed)
        print(f"seed {seed} (METRICSD_CRASH_SEED reruns it)")
        started = time.monotonic()
        self.runs_by_series = {}
        self.gaps = []      # (after, until]: slots a restart may have lost
        self.expected = []  # [first, last]: slots a killed run was due to keep
        exported_rounds = 0
        kills = 0
        early_kills = 0
        for round_no in range(ROUNDS + 1):
            self.assertLess(time.monotonic() - started, TIME_BUDGET_S,
                            f"over the time budget after {round_no} rounds")
            with self.start() as d:
                ready_ms = int(time.time() * 1000)
                if self.gaps:
                    self.gaps[-1] = (self.gaps[-1][0], slot_floor(ready_ms) + 2 * INTERVAL_MS)
                # "history ready" is logged just before the store is published to the API and
                # /metrics (history_service.cpp): wait for its families first.
                wait_until(lambda: metric(d, "metricsd_history_series") is not None, timeout=10,
                           what="the store published")
                if round_no > 0 and self.check_export(d, round_no):
                    exported_rounds += 1
                wait_until(lambda: metric(d, "crash_count") is not None, timeout=10,
                           what="StatsD reaching the daemon")
                if round_no == ROUNDS:  # the last start only checks
                    wait_until(lambda: metric(d, "metricsd_history_series", 0) >= len(SERIES),
                               timeout=10, what="the series back in the store")
                    self.assertEqual(d.stop(), 0)
                    break
                # Killed 1.5-4 s after this run's first flush: every kill then has samples due.
                wait_until(lambda: metric(d, "metricsd_history_last_flush_timestamp_seconds", 0) * 1000
                           > ready_ms, timeout=10, what="the run's first flush")
                time.sleep(rng.uniform(1.5, 4.0))
                kill_ms = int(time.time() * 1000)
                d.proc.send_signal(signal.SIGKILL)
                d.proc.wait(timeout=10)
                self.feeder.address = None
                kills += 1
            self.gaps.append((slot_floor(kill_ms - FLUSH_INTERVAL_MS - INTERVAL_MS), 1 << 62))
            self.check_database(round_no)
            self.check_kill(ready_ms, kill_ms, round_no)
            if round_no % 6 == 2:
                self.early_kill(rng)
                early_kills += 1
                self.check_database(round_no)
        self.assertEqual(kills, ROUNDS)
        counts = {name: sum(r[2] for r in runs) for name, runs in self.runs_by_series.items()}
        print(f"{kills} SIGKILLs (and {early_kills} while opening) in {time.monotonic() - started:.1f} s; samples per series: {counts}; "
              f"{len(self.expected)} kills had samples due; checked through export in "
              f"{exported_rounds} restarts"
              f"{'' if exported_rounds else ' (export API not served yet: the database file only)'}")

if __name__ == "__main__":
    unittest.main(verbosity=2)
