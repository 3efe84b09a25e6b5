"""Differential test of metricsd's PromQL engine against a real Prometheus 2.42 on identical data.

1. A metricsd records about a minute of generated data every second (history.interval 1s): host
   collectors (node_cpu_*, node_load*, node_procs_*, ...) and StatsD counters, gauges, timers
   and histograms (as classic histograms), some series coming and going: a StatsD series that
   stops expires after its ttl (metricsd writes a staleness marker) and, when it comes back,
   starts again from zero (a counter reset). Six hours of synthetic series at 15 s (promql_data)
   are imported into it as well, for windows longer than the recording.
2. Every sample is read back through /api/v1/export, the daemon's own metricsd_*/process_*
   families left out (a second daemon has its own).
3. Staleness markers: the export writes them as NaN, and OpenMetrics cannot carry them, so a
   block built by promtool would have none. To compare like with like, the exported samples minus
   the NaNs (no data here is a real NaN; the generator sends none) are imported into a second,
   fresh metricsd (/api/v1/import), and the same samples are written as OpenMetrics, turned into
   blocks by `promtool tsdb create-blocks-from openmetrics` and served by Prometheus. Both
   engines then hold exactly the same samples, checked before any query (every raw sample of
   every series, from both). Staleness itself is proven by the conformance suite, which
   promtool test rules checks.
4. For each seed (SEEDS, or METRICSD_PROMQL_SEED=1,2,3), QUERIES_PER_SEED random valid queries
   (promql_gen) run as instant queries at several instants and as range queries over several
   ranges and steps against both /api/v1/query and /api/v1/query_range. The answers must agree
   (promql_compare): the same error or none (errorType and HTTP status; the message too for parse
   errors), the same resultType, the same label sets, the same timestamps, values within 1e-9
   relative (NaN equals NaN, infinities by sign). Instant vectors are compared without order
   unless the query's top level is sort() or sort_desc() (then by value: ties in any order).
   Two rules where Prometheus itself is not exact: which of equal values topk/bottomk keep comes
   from a Go map's order in a range query (Prometheus answers differently from run to run), so
   metricsd agrees if one of up to TIE_RETRIES of Prometheus's answers is its own, or if both
   hold the same values at every step (the ties broken differently); and
   count_values' labels (values written as text) agree as values do, since Go's math.Tan, Sin,
   Cos... differ from glibc's in the last bit. MUTATED_PER_SEED generated queries
   with one random edit (mostly invalid) must get the same parse error, message included.
   Each disagreement is shrunk to the smallest subexpression that still disagrees and printed with
   the seed, the instant or range, and both answers; the test fails on any disagreement not in
   KNOWN_DIFFERENCES.

METRICSD_PROMQL_SELF_CHECK=1 compares a second Prometheus on the same blocks with the first
instead of metricsd: it must find nothing, which shows the comparison itself is sound.
"""
import os
import random
import re
import socket
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, wait_until  # noqa: E402
from promql_compare import (brief, compare, normalize, same_values_per_step,  # noqa: E402
                             shrink)
from promql_data import synthetic  # noqa: E402
from promql_gen import (MATRIX, SCALAR, STRING, VECTOR, Call, Generator, Node,  # noqa: E402
                        Schema, mutate)
from promql_servers import (PrometheusOnBlocks, export_lines, http, parse_export,  # noqa: E402
                            query_api)

SEEDS = [11, 22, 33, 44, 55]
QUERIES_PER_SEED = 70
MUTATED_PER_SEED = 25
TIE_RETRIES = 10
# Longer than either engine's query.timeout (2m): a slow query answers with its timeout error.
CLIENT_TIMEOUT = 180
RECORD_SECONDS = 70

# Disagreements accepted, each as (regex over the shrunk query, why it is not a bug). Keep empty
# unless a difference is deliberate and documented in the README's Query section.
KNOWN_DIFFERENCES = []

RECORDER_CONFIG = """
host:
  interval: 1s
  collectors: {cpu: true, diskstats: false, filefd: false, filesystem: false, loadavg: true,
               meminfo: false, netdev: false, netstat: false, pressure: false, sockstat: false,
               stat: true, time: false, uname: false, vmstat: false}
statsd:
  defaults:
    observer_type: histogram
    ttl: 4s
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
history:
  interval: 1s
  flush_interval: 1s
"""

# The second daemon only answers queries over what is imported: no collectors, and its own
# families sampled as rarely as the config allows (they are never selected anyway).
REPLAY_CONFIG = """
host:
  enabled: false
history:
  interval: 1h
  flush_interval: 1s
"""

OWN_FAMILIES = re.compile(r"^(metricsd|process)_")
COUNTERS = ["app_requests", "app_jobs", "app_bytes"]


def seeds():
    text = os.environ.get("METRICSD_PROMQL_SEED", "")
    return [int(s) for s in text.split(",") if s.strip()] or SEEDS


class StatsdTraffic(threading.Thread):
    """StatsD lines for `seconds`: steady counters, gauges, timers and histograms; a counter and a
    gauge that stop for a while (longer than the ttl) and come back."""

    def __init__(self, address, seconds, seed=5):
        super().__init__(daemon=True)
        host, _, port = address.rpartition(":")
        self.address, self.seconds, self.rng = (host, int(port)), seconds, random.Random(seed)
        self.stop_event = threading.Event()

    def run(self):
        rng, started = self.rng, time.monotonic()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        temperature = {"r1": 20.0, "r2": -3.0}
        while not self.stop_event.is_set():
            elapsed = time.monotonic() - started
            if elapsed > self.seconds:
                break
            lines = []
            for code, route in (("200", "/a"), ("200", "/b"), ("500", "/a")):
                lines.append(f"app_requests:{rng.randint(0, 5)}|c|#code:{code},route:{route}")
                lines.append(f"app_latency:{rng.expovariate(30) * 1000:.3f}|ms|#route:{route}")
            lines.append(f"app_bytes:{rng.randint(100, 5000)}|c|@0.5")
            lines.append(f"app_payload:{rng.expovariate(5):.4f}|h|#kind:json")
            for room in temperature:
                temperature[room] += rng.uniform(-0.5, 0.5)
                # A gauge with a sign is a delta in StatsD: set 0, then the (maybe negative) value.
                lines.append(f"app_temperature:0|g|#room:{room}")
                lines.append(f"app_temperature:{temperature[room]:+.2f}|g|#room:{room}")
            # Gone from 20 s to 35 s: expires (ttl 4s), then comes back from zero.
            if not 20 <= elapsed < 35:
                lines.append(f"app_jobs:{rng.randint(1, 3)}|c|#queue:q1")
                lines.append(f"app_queue_depth:{rng.randint(0, 40)}|g|#queue:q1")
            # Only in the second half: a series that appears late.
            if elapsed >= self.seconds / 2:
                lines.append("app_jobs:1|c|#queue:q2")
            sock.sendto("\n".join(lines).encode(), self.address)
            time.sleep(0.2)
        sock.close()


class Text(Node):
    """A query known only as text (a mutated one): nothing to shrink."""
    kind = VECTOR

    def __init__(self, text):
        self.text = text

    def render(self):
        return self.text


def without_staleness(series):
    return {labels: [(t, v) for t, v in points if v == v] for labels, points in series.items()}


def export_all(port):
    query = urllib.parse.urlencode({"match[]": '{__name__=~".+"}'})
    status, body = http("GET", f"http://127.0.0.1:{port}/api/v1/export?{query}")
    assert status == 200, (status, body[:300])
    return parse_export(body)


class PromqlDifferentialTest(unittest.TestCase):
    def test_same_answers_as_prometheus(self):
        recorded, universe, start_ms, end_ms = self.record()
        samples = without_staleness({k: v for k, v in recorded.items()
                                     if not OWN_FAMILIES.match(dict(k)["__name__"])})
        samples = {k: v for k, v in samples.items() if v}
        with Daemon(REPLAY_CONFIG) as replay, PrometheusOnBlocks(samples) as prometheus:
            replay.wait_for_log("history ready", timeout=30)
            status, body = http("POST", f"http://127.0.0.1:{replay.port}/api/v1/import",
                                export_lines(samples))
            self.assertEqual(status, 204, body[:300])
            self.check_same_samples(replay.port, prometheus.url, samples, end_ms)
            ours = f"http://127.0.0.1:{replay.port}"
            if os.environ.get("METRICSD_PROMQL_SELF_CHECK"):
                # The harness checked on itself: a second Prometheus on the same samples must
                # agree with the first on everything (no false positives in the comparison).
                with PrometheusOnBlocks(samples) as twin:
                    failures = []
                    for seed in seeds():
                        failures += self.run_seed(seed, twin.url, prometheus.url, samples,
                                                  universe, start_ms, end_ms)
                    self.assertEqual(failures, [])
                    return
            status, answer = query_api(ours, "1")
            self.assertEqual(status, 200, f"metricsd has no working /api/v1/query: {answer}")
            failures = []
            for seed in seeds():
                failures += self.run_seed(seed, ours, prometheus.url, samples, universe,
                                          start_ms, end_ms)
            self.print_slowest()
            if failures:
                # The data is recorded live: keep it, so that a repro can be replayed.
                path = os.path.join(tempfile.gettempdir(),
                                    f"metricsd-promql-diff-{os.getpid()}.jsonl")
                with open(path, "wb") as f:
                    f.write(export_lines(samples))
                print(f"the samples both servers held: {path} (VictoriaMetrics JSON lines)")
            self.assertEqual(failures, [], f"{len(failures)} disagreement(s), repros above")

    def setUp(self):
        self.timings = []

    def print_slowest(self):
        """The queries metricsd took longest on, against Prometheus's time (a hint, not a
        check: performance is measured by tests/bench/compare_prometheus_query.py)."""
        total_ours = sum(t[0] for t in self.timings)
        total_theirs = sum(t[1] for t in self.timings)
        print(f"{len(self.timings)} requests each: metricsd {total_ours:.1f}s, "
              f"Prometheus {total_theirs:.1f}s in all; metricsd's slowest:")
        for ours, theirs, text, case in sorted(self.timings, key=lambda t: -t[0])[:3]:
            print(f"  {ours:.2f}s (Prometheus {theirs:.2f}s) {text} {case}")

    # 1-2: the data -------------------------------------------------------------------------

    def record(self):
        """({labels: [(ms, value)]} exported, every metric name, start and end of the recording
        in ms)."""
        with Daemon(RECORDER_CONFIG) as recorder:
            recorder.wait_for_log("history ready", timeout=30)
            start_ms = int(time.time() * 1000)
            long_range = synthetic(start_ms - 6 * 3600 * 1000, start_ms + RECORD_SECONDS * 1000,
                                   15000, seed=3)
            status, body = http("POST", f"http://127.0.0.1:{recorder.port}/api/v1/import",
                                export_lines(long_range))
            self.assertEqual(status, 204, body[:300])
            traffic = StatsdTraffic(recorder.statsd["udp"], RECORD_SECONDS)
            traffic.start()
            traffic.join(RECORD_SECONDS + 10)
            traffic.stop_event.set()
            # The last series expire (ttl 4s) and their staleness markers are written.
            time.sleep(6)
            end_ms = int(time.time() * 1000)
            exported = export_all(recorder.port)
            # A sampler pass may land between reading the clock and the export: the data ends
            # at its newest sample, not at the clock.
            end_ms = max([end_ms] + [t for points in exported.values() for t, _ in points])
        universe = {dict(k)["__name__"] for k in exported}
        names = {dict(k)["__name__"] for k, points in exported.items()
                 if any(v != v for _, v in points)}
        self.assertIn("app_jobs", names, "the counter that went away has a staleness marker")
        for name in ("app_requests", "app_latency_bucket", "app_temperature", "node_load1",
                     "app_payload_bucket", "syn_requests_total"):
            self.assertIn(name, universe)
        return exported, universe, start_ms, end_ms

    def check_same_samples(self, our_port, prometheus_url, samples, end_ms):
        """Both servers hold exactly `samples`: every raw sample of every series."""
        wanted = {labels: [(t, v) for t, v in points] for labels, points in samples.items()}
        ours = wait_until(lambda: (lambda got: got if len(got) == len(wanted) else None)(
            {k: v for k, v in export_all(our_port).items()
             if not OWN_FAMILIES.match(dict(k)["__name__"])}),
            timeout=30, interval=0.5, what="the import to show every series")
        self.assertEqual(ours, wanted, "metricsd holds what was imported")
        status, answer = query_api(prometheus_url, '{__name__=~".+"}[8h]',
                                   time=(end_ms + 1) / 1000)
        self.assertEqual(answer["status"], "success", answer)
        theirs = {tuple(sorted(s["metric"].items())): [(round(float(t) * 1000), float(v))
                                                       for t, v in s["values"]]
                  for s in answer["data"]["result"]}
        differing = sorted(k for k in set(theirs) | set(wanted) if theirs.get(k) != wanted.get(k))
        self.assertEqual(differing, [], "Prometheus's blocks hold what was exported; first: " +
                         "; ".join(f"{k}: theirs {len(theirs.get(k, []))} samples "
                                   f"{(theirs.get(k) or [None])[:1]}..{(theirs.get(k) or [None])[-1:]}, "
                                   f"wanted {len(wanted.get(k, []))} "
                                   f"{(wanted.get(k) or [None])[:1]}..{(wanted.get(k) or [None])[-1:]}"
                                   for k in differing[:3]))

    # 4: the queries --------------------------------------------------------------------------

    def run_seed(self, seed, ours, theirs, samples, universe, start_ms, end_ms):
        rng = random.Random(seed)
        first = start_ms / 1000
        last = end_ms / 1000
        at_times = [round(first + 20.5, 3), round(last - 5, 3), round(first - 3 * 3600, 3)]
        schema = Schema([dict(k) for k in samples], counters=COUNTERS, universe=universe,
                        windows=["5s", "10s", "30s", "1m", "2m", "5m", "15m", "1h"],
                        steps=["", "1s", "5s", "10s", "1m"],
                        offsets=["3s", "10s", "30s", "-5s", "-20s", "5m", "1h"], times=at_times)
        generator = Generator(schema, seed)
        instants = [first + rng.uniform(5, 60), last - rng.uniform(0, 3), last + 30,
                    first - rng.uniform(600, 5 * 3600)]
        ranges = [(first + 5, last + 10, rng.choice(["1", "2", "3.5", "5"])),
                  (first - 5 * 3600, last, rng.choice(["60", "90", "120"]))]
        failures, tally = [], {"compared": 0, "with data": 0, "errors": 0}
        for _ in range(QUERIES_PER_SEED):
            expr = generator.expression(kinds=(VECTOR,) * 8 + (SCALAR, SCALAR, MATRIX, STRING))
            cases = [{"time": round(t, 3)} for t in instants]
            if expr.kind in (VECTOR, SCALAR) or rng.random() < 0.1:
                cases += [{"start": round(a, 3), "end": round(b, 3), "step": s}
                          for a, b, s in ranges]
            for case in cases:
                failure = self.compare_one(seed, expr, case, ours, theirs, tally)
                if failure:
                    failures.append(failure)
                    break  # one repro per query is enough
        # The comparison means something only if most answers hold data.
        self.assertGreater(tally["with data"], 0.5 * tally["compared"], tally)
        # Broken queries: the same parse error, message and position, from both.
        broken = {"compared": 0, "with data": 0, "errors": 0}
        for _ in range(MUTATED_PER_SEED):
            text = mutate(generator.expression().render(), rng)
            for case in ({"time": round(instants[0], 3)},
                         {"start": round(ranges[0][0], 3), "end": round(ranges[0][1], 3),
                          "step": ranges[0][2]}):
                failure = self.compare_one(seed, Text(text), case, ours, theirs, broken)
                if failure:
                    failures.append(failure)
                    break
        print(f"seed {seed}: {tally['compared']} answers compared, {tally['with data']} with "
              f"data, {tally['errors']} errors; {broken['compared']} answers to edited queries, "
              f"{broken['errors']} errors", flush=True)
        return failures

    def ask_both(self, text, case, ours, theirs):
        started = time.monotonic()
        mine = query_api(ours, text, timeout=CLIENT_TIMEOUT, **case)
        middle = time.monotonic()
        other = query_api(theirs, text, timeout=CLIENT_TIMEOUT, **case)
        self.timings.append((middle - started, time.monotonic() - middle, text, case))
        return mine, other

    def disagreement(self, expr, case, ours, theirs):
        text = expr.render()
        mine, other = self.ask_both(text, case, ours, theirs)
        ordered = "start" not in case and isinstance(expr, Call) and \
            expr.name in ("sort", "sort_desc")
        # count_values turns values into labels; values may differ in the last bit (Go's
        # math.Tan, Sin, Cos... are not glibc's), so such labels agree as values do.
        numeric_labels = "count_values" in text
        reason = compare(normalize(*mine), normalize(*other), ordered, numeric_labels)
        # Which of equal values topk/bottomk keep depends on their input's order, which in a
        # range query Prometheus 2.42 takes from a Go map (rangeEval's seriess): it answers such
        # a query differently from run to run. metricsd agrees if Prometheus gives its answer
        # in one of a few runs.
        retries = TIE_RETRIES if re.search(r"\b(topk|bottomk)\b", text) else 0
        while reason and retries:
            retries -= 1
            again = query_api(theirs, text, timeout=CLIENT_TIMEOUT, **case)
            if compare(normalize(*mine), normalize(*again), ordered, numeric_labels) is None:
                return None, mine, again
        # With many equal values a few runs may not show metricsd's pick: then the same values
        # at every step (the ties broken elsewhere) is agreement.
        if reason and re.search(r"\b(topk|bottomk)\b", text) and \
                same_values_per_step(normalize(*mine), normalize(*other)):
            return None, mine, other
        return reason, mine, other

    def compare_one(self, seed, expr, case, ours, theirs, tally):
        reason, mine, other = self.disagreement(expr, case, ours, theirs)
        tally["compared"] += 1
        answer = other[1]
        if answer.get("status") != "success":
            tally["errors"] += 1
        elif answer["data"]["resultType"] in ("scalar", "string") or answer["data"]["result"]:
            tally["with data"] += 1
        if reason is None:
            return None

        def still_disagrees(node):
            if "start" in case and node.kind not in (VECTOR, SCALAR):
                return False
            if node.kind == STRING:
                return False
            return self.disagreement(node, case, ours, theirs)[0] is not None

        small = shrink(expr, still_disagrees)
        if small is not expr:
            reason, mine, other = self.disagreement(small, case, ours, theirs)
        text = small.render()
        for pattern, _why in KNOWN_DIFFERENCES:
            if re.search(pattern, text):
                return None
        where = (f"at time={case['time']}" if "time" in case else
                 f"over start={case['start']} end={case['end']} step={case['step']}")
        print(f"\nDISAGREEMENT (seed {seed}) {where}: {reason}\n"
              f"  query:      {text}\n"
              f"  found in:   {expr.render()}\n"
              f"  metricsd:   HTTP {mine[0]} {brief(mine[1])}\n"
              f"  Prometheus: HTTP {other[0]} {brief(other[1])}\n", flush=True)
        return (seed, text, where, reason)


if __name__ == "__main__":
    unittest.main(verbosity=2)
