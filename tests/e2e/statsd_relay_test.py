"""StatsD relay mode end to end: three aggregator metricsd instances and one relay metricsd on
127.0.0.1. Every counter line sent to the relay is aggregated exactly once, each series on
exactly one aggregator (tag order varies per line); one aggregator is killed (SIGKILL): after
detection its series land on the others, and every line is accounted for by the relay's
counters (aggregated by a survivor, or counted as relayed to the dead one or dropped); it comes
back on the same ports and its own series, and only they, return to it. Another one hangs
(SIGSTOP): the health checks alone find it, and when it resumes nothing was lost.

Prints FIGURE lines: the shares, detection times, the lines lost to the killed aggregator and
the relay's throughput on a burst over its TCP listener (lines/s)."""
import os
import random
import re
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, assert_promtool_clean, wait_until  # noqa: E402

AGGREGATOR_CONFIG = """
host: {enabled: false}
statsd:
  read_buffer: 8MiB
"""

SERIES = 300        # distinct series: game.hits{player, zone, mode}
ROUNDS = 10         # lines per series in the first phase
ZONES = ["eu", "us", "asia", "sa", "oc"]
MODES = ["ranked", "casual", "arena"]
MAX_DATAGRAM = 1200


def series_tags(i):
    return [f"player:p{i}", f"zone:{ZONES[i % len(ZONES)]}", f"mode:{MODES[i % len(MODES)]}"]


def series_key(i):
    """The aggregator's exposition key of series i (labels sorted by name)."""
    return (f'game_hits{{mode="{MODES[i % len(MODES)]}",player="p{i}",'
            f'zone="{ZONES[i % len(ZONES)]}"}}')


class Aggregator:
    """One aggregator metricsd; it comes back on the ports it had.

    The kernel picks the ports at the first start (a port found free beforehand can be taken
    by a test running in parallel before the daemon binds it); a restart reuses them."""

    def __init__(self):
        self.web_port = None
        self.udp_port = None
        self.daemon = None

    def start(self):
        self.daemon = Daemon(AGGREGATOR_CONFIG, args=[
            f"--web.listen-address=127.0.0.1:{self.web_port or 0}",
            f"--statsd.listen-udp=127.0.0.1:{self.udp_port or 0}", "--statsd.listen-tcp=127.0.0.1:0"])
        if self.web_port is None:
            self.web_port = self.daemon.port
            self.udp_port = int(self.daemon.statsd["udp"].rpartition(":")[2])
        assert self.daemon.port == self.web_port, (self.daemon.port, self.web_port)
        assert self.daemon.statsd["udp"] == f"127.0.0.1:{self.udp_port}", self.daemon.statsd
        return self.daemon

    def hits(self):
        """{series index: total} of game_hits on this aggregator."""
        out = {}
        for key, value in self.daemon.samples().items():
            found = re.match(r'game_hits\{.*player="p(\d+)"', key)
            if found:
                out[int(found.group(1))] = value
        return out


def relay_config(aggregators):
    destinations = "\n".join(
        f"      - address: udp://127.0.0.1:{a.udp_port}\n"
        f"        health_url: http://127.0.0.1:{a.web_port}/-/healthy" for a in aggregators)
    return f"""
host: {{enabled: false}}
statsd:
  read_buffer: 8MiB
  relay:
    destinations:
{destinations}
    aggregate_locally: false
    health_check_interval: 250ms
    health_check_timeout: 200ms
    unhealthy_after: 2
"""


class Sender:
    """Counter lines for the relay, in datagrams of several lines; tag order shuffled per line.
    Remembers what it sent per series."""

    def __init__(self, address):
        self.address = address
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sent = {}
        self.lines = 0
        self.random = random.Random(16)

    def close(self):
        self.sock.close()

    def line(self, i):
        value = self.random.randint(1, 5)
        self.sent[i] = self.sent.get(i, 0) + value
        tags = series_tags(i)
        self.random.shuffle(tags)
        return f"game.hits:{value}|c|#{','.join(tags)}"

    def send(self, indexes):
        datagram, count = "", 0
        for i in indexes:
            line = self.line(i)
            if datagram and len(datagram) + 1 + len(line) > MAX_DATAGRAM:
                self._send(datagram)
                count += 1
                if count % 20 == 0:
                    time.sleep(0.002)  # paced: loopback, but four processes share two cores
                datagram = ""
            datagram = f"{datagram}\n{line}" if datagram else line
        if datagram:
            self._send(datagram)
        self.lines += len(indexes)

    def _send(self, datagram):
        self.sock.sendto(datagram.encode(), self.address)


def relay_counters(relay):
    """{(family, destination port, extra label): value} of metricsd_statsd_relay_*."""
    out = {}
    for key, value in relay.samples().items():
        found = re.match(r'(metricsd_statsd_relay_\w+)\{destination="udp://127\.0\.0\.1:(\d+)"'
                         r'(?:,(?:reason|result)="(\w+)")?\}', key)
        if found:
            out[(found.group(1), int(found.group(2)), found.group(3))] = value
    return out


def total(counters, family, port=None):
    return sum(v for (f, p, _), v in counters.items() if f == family and (port is None or p == port))


class RelayTest(unittest.TestCase):
    def test_consistent_hashing_failover_and_return(self):
        started = time.monotonic()
        aggregators = [Aggregator() for _ in range(3)]
        for a in aggregators:
            a.start()
            self.addCleanup(lambda a=a: a.daemon.__exit__(None, None, None))
        relay = Daemon(relay_config(aggregators))
        self.addCleanup(relay.__exit__, None, None, None)
        host, _, port = relay.statsd["udp"].rpartition(":")
        sender = Sender((host, int(port)))
        self.addCleanup(sender.close)
        wait_until(lambda: total(relay_counters(relay), "metricsd_statsd_relay_health_checks_total") >= 3,
                   timeout=10, what="the relay's first health checks")

        # Phase 1: every series on exactly one aggregator, every line aggregated once.
        indexes = [i for _ in range(ROUNDS) for i in range(SERIES)]
        sender.send(indexes)
        wait_until(lambda: total(relay_counters(relay), "metricsd_statsd_relay_lines_total") == sender.lines,
                   timeout=20, what="the relay to relay every line")

        def merged():
            per = [a.hits() for a in aggregators]
            return per, {i: sum(p.get(i, 0) for p in per) for i in range(SERIES)}

        wait_until(lambda: merged()[1] == sender.sent, timeout=20,
                   what="the aggregators' totals to equal what was sent")
        per, _ = merged()
        home = {}
        for index, hits in enumerate(per):
            for i in hits:
                self.assertNotIn(i, home, f"series {i} on aggregators {home.get(i)} and {index}")
                home[i] = index
        self.assertEqual(sorted(home), list(range(SERIES)))
        shares = [sum(1 for h in home.values() if h == a) for a in range(3)]
        self.assertTrue(all(s > SERIES / 6 for s in shares), shares)
        self.assertNotIn("game_hits", relay.metrics(), "relay-only: nothing aggregated on the relay")
        assert_promtool_clean(self, relay.metrics(), ["metricsd_statsd_relay_"])
        print(f"FIGURE statsd_relay_shares {shares}")

        # Phase 2: one aggregator dies; after detection its series go to the others.
        victim = 1
        dead = aggregators[victim]
        dead_port = dead.udp_port
        survivors = [a for a in range(3) if a != victim]
        before = relay_counters(relay)
        hits_before = {a: aggregators[a].hits() for a in survivors}
        received_before = {a: aggregators[a].daemon.samples()["metricsd_statsd_lines_total"]
                           for a in survivors}
        sent_before = dict(sender.sent)
        lines_before = sender.lines
        os.kill(dead.daemon.proc.pid, signal.SIGKILL)
        dead.daemon.proc.wait(timeout=10)
        killed = time.monotonic()
        # Keep sending while the relay has not noticed, then twice more after.
        while relay_counters(relay).get(("metricsd_statsd_relay_destination_up", dead_port, None)) != 0:
            self.assertLess(time.monotonic() - killed, 10, "the relay never marked the dead aggregator down")
            sender.send(range(SERIES))
            time.sleep(0.05)
        detection = time.monotonic() - killed
        sender.send(range(SERIES))
        sender.send(range(SERIES))
        sent_phase2 = sender.lines - lines_before

        def delta(counters, family, port=None):
            return total(counters, family, port) - total(before, family, port)

        # The relay accounts for every line: relayed to a survivor, to the dead one, or dropped.
        def accounted():
            c = relay_counters(relay)
            return (delta(c, "metricsd_statsd_relay_lines_total")
                    + delta(c, "metricsd_statsd_relay_dropped_total"))
        wait_until(lambda: accounted() == sent_phase2, timeout=20,
                   what="the relay to account for every line of phase 2")
        after = relay_counters(relay)
        to_survivors = sum(delta(after, "metricsd_statsd_relay_lines_total", aggregators[a].udp_port)
                           for a in survivors)
        lost_to_dead = delta(after, "metricsd_statsd_relay_lines_total", dead_port)
        dropped = delta(after, "metricsd_statsd_relay_dropped_total")
        rerouted = delta(after, "metricsd_statsd_relay_rerouted_lines_total", dead_port)

        # What the relay sent the survivors, they aggregated (loopback loses nothing).
        def received_by_survivors():
            return sum(aggregators[a].daemon.samples()["metricsd_statsd_lines_total"] - received_before[a]
                       for a in survivors)
        wait_until(lambda: received_by_survivors() == to_survivors, timeout=20,
                   what="the survivors to receive every line relayed to them")

        moved = {i for i, h in home.items() if h == victim}
        on_survivors = {}
        for a in survivors:
            for i, value in aggregators[a].hits().items():
                on_survivors.setdefault(i, []).append((a, value))
        for i in range(SERIES):
            where = on_survivors.get(i, [])
            if i in moved:
                # Its new lines went to exactly one survivor (those lost before detection
                # excepted): a new series there, at most what was sent in phase 2.
                self.assertEqual(len(where), 1, f"moved series {i} on {where}")
                self.assertGreater(where[0][1], 0)
                self.assertLessEqual(where[0][1], sender.sent[i] - sent_before[i])
            else:
                # The others did not move, and lost nothing.
                self.assertEqual([a for a, _ in where], [home[i]], f"series {i}")
                self.assertEqual(where[0][1], hits_before[home[i]][i] + sender.sent[i] - sent_before[i])
        self.assertGreater(rerouted, 0)
        lost = lost_to_dead + dropped
        print(f"FIGURE statsd_relay_detection_seconds {detection:.3f}")
        print(f"FIGURE statsd_relay_lines_lost {lost:.0f} of {sent_phase2} "
              f"(relayed to the dead one {lost_to_dead:.0f}, dropped {dropped:.0f}); "
              f"rerouted {rerouted:.0f}")
        self.assertLessEqual(lost, SERIES * 2, "loss bounded by about one send round before detection")

        # Phase 3: it comes back on the same ports; its series, and only they, return to it.
        dead.start()
        self.addCleanup(lambda: dead.daemon.__exit__(None, None, None))
        wait_until(lambda: relay_counters(relay).get(("metricsd_statsd_relay_destination_up", dead_port, None)) == 1,
                   timeout=10, what="the relay to mark the aggregator up again")
        hits_before = {a: aggregators[a].hits() for a in survivors}
        sent_before = dict(sender.sent)
        sender.send(range(SERIES))
        expected_back = {i: sender.sent[i] - sent_before[i] for i in moved}
        try:
            wait_until(lambda: dead.hits() == expected_back, timeout=10,
                       what="the returning aggregator to get exactly its own series' new lines")
        except AssertionError:
            got = dead.hits()
            missing = {i: v for i, v in expected_back.items() if got.get(i) != v}
            extra = {i: v for i, v in got.items() if i not in expected_back}
            print("diagnostics: got", len(got), "expected", len(expected_back), "missing", list(missing.items())[:10],
                  "got for them", [got.get(i) for i in list(missing)[:10]], "extra", list(extra.items())[:10])
            print("diagnostics: relay log\n" + "\n".join(relay.lines[-15:]))
            print("diagnostics: dead log\n" + "\n".join(dead.daemon.lines[-15:]))
            print("diagnostics: relay", {k: v for k, v in relay_counters(relay).items() if k[1] == dead_port})
            raise
        for a in survivors:
            want = {i: v + (sender.sent[i] - sent_before[i]) if i not in moved else v
                    for i, v in hits_before[a].items()}
            wait_until(lambda a=a, want=want: aggregators[a].hits() == want, timeout=20,
                       what=f"aggregator {a} to get its own series only")

        # Phase 4: an aggregator that hangs (SIGSTOP: its port stays bound, nothing is refused)
        # is found by the health checks alone; lines sent before detection wait in its socket
        # buffer and are aggregated when it resumes (SIGCONT), so nothing is lost at all.
        frozen = aggregators[0]
        frozen_port = frozen.udp_port
        snapshot = [a.hits() for a in aggregators]
        sent_before = dict(sender.sent)
        checks_before = relay_counters(relay).get(
            ("metricsd_statsd_relay_health_checks_total", frozen_port, "failure"), 0)
        os.kill(frozen.daemon.proc.pid, signal.SIGSTOP)
        try:
            stopped = time.monotonic()
            while relay_counters(relay).get(("metricsd_statsd_relay_destination_up", frozen_port, None)) != 0:
                self.assertLess(time.monotonic() - stopped, 10, "the health checks never marked it down")
                sender.send(range(SERIES))
                time.sleep(0.05)
            hang_detection = time.monotonic() - stopped
            self.assertGreaterEqual(relay_counters(relay).get(
                ("metricsd_statsd_relay_health_checks_total", frozen_port, "failure"), 0) - checks_before, 2)
            sender.send(range(SERIES))
        finally:
            os.kill(frozen.daemon.proc.pid, signal.SIGCONT)
        wait_until(lambda: relay_counters(relay).get(("metricsd_statsd_relay_destination_up", frozen_port, None)) == 1,
                   timeout=10, what="the resumed aggregator to be marked up")
        sender.send(range(SERIES))

        def grown():
            now = [a.hits() for a in aggregators]
            return {i: sum(now[a].get(i, 0) - snapshot[a].get(i, 0) for a in range(3)) for i in range(SERIES)}
        want = {i: sender.sent[i] - sent_before[i] for i in range(SERIES)}
        wait_until(lambda: grown() == want, timeout=20,
                   what="every line sent around the hang to be aggregated exactly once")
        print(f"FIGURE statsd_relay_hang_detection_seconds {hang_detection:.3f} "
              f"(health_check_interval 250ms, timeout 200ms, unhealthy_after 2)")

        # Throughput: a burst over the relay's TCP listener (lossless input), timed until the
        # relay has accounted for every line (relayed or dropped, e.g. an aggregator's buffer).
        burst = 200000
        lines = [f"game.burst:1|c|#player:p{i % 5000},zone:{ZONES[i % len(ZONES)]}" for i in range(burst)]
        payload = ("\n".join(lines) + "\n").encode()
        before = relay_counters(relay)
        t0 = time.monotonic()
        host, _, port = relay.statsd["tcp"].rpartition(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(payload)

        def burst_accounted():
            c = relay_counters(relay)
            return (total(c, "metricsd_statsd_relay_lines_total") + total(c, "metricsd_statsd_relay_dropped_total")
                    - total(before, "metricsd_statsd_relay_lines_total")
                    - total(before, "metricsd_statsd_relay_dropped_total"))
        wait_until(lambda: burst_accounted() == burst, timeout=30, interval=0.01,
                   what="the relay to account for the burst")
        seconds = time.monotonic() - t0
        print(f"FIGURE statsd_relay_burst_lines_per_second {burst / seconds:.0f} "
              f"({burst} lines over tcp in {seconds:.2f}s, two cores shared by four daemons)")
        print(f"FIGURE statsd_relay_e2e_seconds {time.monotonic() - started:.1f}")


if __name__ == "__main__":
    unittest.main()
