"""The Grafana dashboards shipped under config/grafana/ (issue 15), proven query by query.

A metricsd runs the shipped example workload (tests/support/game_workload.py: the game's StatsD
through the shipped mapping, the game's shipped alerting rules, an HTTP probe target) plus AO
probes against tests/support/fake_ao_server over TLS (an AO dry-run, an AO unit, and an HTTPS
target whose certificate gives probe_ssl_earliest_cert_expiry). A real Prometheus 2.42 scrapes
metricsd's /metrics every 5 s while metricsd's own history samples every 5 s. After the
workload, every target expression of every panel of every dashboard is run through
/api/v1/query_range over the workload window (step 5 s) on both, with `$__rate_interval`
replaced by 1m on both sides, and must:

 (a) parse and evaluate on both (status "success"; else the engine's error is shown);
 (b) return data on both, except the few panels in ALLOWED_EMPTY, each tied to a file of this
     host whose absence is the only reason they may be empty (checked against the host);
 (c) give the same result on both:
     - the same set of series label sets, taken over the whole window. Prometheus adds `job`
       and `instance` to every scraped series; metricsd's history keeps its own series as
       /metrics serves them, without those two labels (a `metricsd_build_info` is
       {compiler, revision, version}), so both are dropped on the Prometheus side (and on
       metricsd's, should they appear) before comparing;
     - the same values at a common timestamp T near the end (10 s before it), within a
       tolerance. Why values may differ at all: the two stores sample the same process at
       different instants. metricsd's history samples on round multiples of its 5 s interval
       (daemon/storage/history_service.cpp: NextSlot); Prometheus scrapes on a phase of its
       own (from a hash of the target). So the queries are evaluated half-way between two of
       metricsd's sample slots (T = k * 5 s + 2.5 s): a 1m window then holds 12 samples on
       both sides (had T fallen on a slot, metricsd's window would hold 13 samples over 60 s
       and Prometheus's 12 over 55 s, and their extrapolations would differ by up to a
       sample's worth: 9-18 % on counters that step every 10-15 s, seen in a first version).
       What one engine saw at its sample instant, the other saw at an instant up to 5 s
       earlier or later; so a value of one engine at T must lie within the range of the
       other's values at T-10 s .. T+10 s (five steps; a span longer than the period of the
       slowest counter used in a rate, the 15 s of a rule group), widened by a relative
       tolerance by kind of expression:
         * exact (1e-9): neither a rate nor a quantile nor a jittering gauge: gauges, sums and
           ratios of gauges, time() - a timestamp (both evaluate time() at the same T). The
           host collectors publish a snapshot every 5 s that both read, and probe results
           change every 10 s, so each side's value is one the other also had in its bracket;
         * noisy (0.05): gauges that change between any two reads, so that one side may see
           a value the other never sampled: game_players, which the workload re-sends every
           few lines within 2 % of each region's level (largest seen 0.018); metricsd's own
           process_resident_memory_bytes and process_open_fds, read afresh at each read of
           /metrics (a probe's connection in flight is one descriptor of some 40); the
           history's sizes, which change at each flush as well as at each sampling pass;
         * rate (0.05): rates, increases and *_over_time: each side's window starts and ends
           at different instants of StatsD traffic that never stops, so a few events fall in
           one window and not the other (largest seen: 0.010, battles by outcome);
         * quantile (0.10): histogram_quantile, which interpolates within a bucket and so
           amplifies those few events in the sparse buckets (largest seen: 0.018, DB p95).
         * periodic (0.10): rates of counters that step every 10 s (probes) or 15 s (rule
           groups). One such counter counts 5 or 6 (3 or 4) steps in a 55 s window depending
           on where the window falls, and the bracket's five shifts, 5 s apart, see both
           counts. But a sum over targets that step on phases of their own ("Probes run")
           can reach a combination of counts that none of the other side's shifts had: a step
           or two of some 22 (largest seen: 0.045).
       The largest deviation seen per kind is printed, so a tolerance that has grown too
       generous shows in the log.
     A counter that steps less often than every 20 s (metricsd_analytics_refreshes_total,
     every 5m) would not fit that bracket; the dashboards show such a family as
     time() - its last timestamp instead of as a rate.

Also checked without any engine: each dashboard is valid JSON in Grafana's model (schemaVersion
36 or later, no __inputs, a `datasource` template variable of type "datasource" querying
"prometheus"), every panel and every target has the datasource {"type": "prometheus", "uid":
"${datasource}"}, no expression is empty, and every panel has a unit.
"""
import glob
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, self_signed_cert, url_request, wait_until  # noqa: E402
from prometheus_server import Prometheus  # noqa: E402
import game_workload  # noqa: E402

SOURCE_DIR = os.environ.get("METRICSD_SOURCE_DIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DASHBOARDS = sorted(glob.glob(os.path.join(SOURCE_DIR, "config", "grafana", "*.json")))
FAKE = os.environ.get("FAKE_AO_SERVER", "")
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

SANITIZED = any(name in os.environ for name in ("ASAN_OPTIONS", "TSAN_OPTIONS"))
SLOWDOWN = 5 if SANITIZED else 1
STEP = 5                 # seconds: the scrape interval, the history interval, the query step
RATE_INTERVAL = "1m"     # what $__rate_interval becomes on both sides
WORKLOAD_SECONDS = 80    # T - 1m .. T + 10 s lies inside it
LINES_PER_SECOND = 400
COMPARE_BACK = 10        # T is this many seconds before the window's end
BRACKET = 10             # the other engine's values from T - BRACKET to T + BRACKET

TOLERANCE = {"exact": 1e-9, "noisy": 0.05, "rate": 0.05, "quantile": 0.10, "periodic": 0.10}
# Counters of periodic events: probes (every 10 s per target), rule evaluations (15 s).
PERIODIC = re.compile(r"\b(metricsd_probes_total|metricsd_probe_skipped_total|"
                      r"metricsd_rule_evaluation|ao_dryrun_requests_total|ao_dryrun_gas_used_total)")
# Gauges that jitter from one read to the next (see the docstring).
NOISY = re.compile(r"\bgame_players\b|\bprocess_(resident_memory_bytes|open_fds)\b|"
                   r"\bmetricsd_history_(bytes|disk_bytes|chunks)\b")

# Panels that may legitimately be empty on some hosts: (a regex on the expression, a file of the
# host); such a query may return nothing ONLY when that file is absent, and must return data
# where it exists.
ALLOWED_EMPTY = [
    # Pressure stall information needs a kernel with CONFIG_PSI (and not booted psi=0).
    (r"node_pressure_cpu_", "/proc/pressure/cpu"),
    (r"node_pressure_io_", "/proc/pressure/io"),
    (r"node_pressure_memory_", "/proc/pressure/memory"),
]

PID = "Q9x-process_IDxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"


def load_dashboards():
    boards = {}
    for path in DASHBOARDS:
        with open(path) as f:
            boards[os.path.basename(path)] = json.load(f)
    return boards


def all_targets(boards):
    """(dashboard, panel title, refId, expr as written) for every target of every panel."""
    out = []
    for name, board in boards.items():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                out.append((name, panel["title"], target["refId"], target["expr"]))
    return out


def concrete(expr):
    return expr.replace("$__rate_interval", RATE_INTERVAL)


def tolerance_class(expr):
    if PERIODIC.search(expr):
        return "periodic"
    if NOISY.search(expr):
        return "noisy"
    if "histogram_quantile" in expr:
        return "quantile"
    if re.search(r"\b(rate|irate|increase|delta|deriv|[a-z]+_over_time)\(", expr):
        return "rate"
    return "exact"


def allowed_empty(expr):
    """The reason `expr` may be empty on this host, or None."""
    for pattern, path in ALLOWED_EMPTY:
        if re.search(pattern, expr) and not os.path.exists(path):
            return f"{path} is absent on this host"
    return None


def series_key(metric):
    return tuple(sorted((k, v) for k, v in metric.items() if k not in ("job", "instance")))


def to_float(text):
    return float(text)  # Prometheus's "NaN", "+Inf", "-Inf" parse as floats


class FakeAo:
    """tests/support/fake_ao_server with TLS: an AO CU (dry-run, unit health) and an HTTPS page."""

    def __init__(self, cert, key):
        assert FAKE, "FAKE_AO_SERVER is not set (run through ctest)"
        self.proc = subprocess.Popen([FAKE, "--tls", cert, key], stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])
        self.url = f"https://127.0.0.1:{self.port}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        return False


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query_range(base, expr, start, end):
    """(result list, None) or (None, error text) of /api/v1/query_range on `base`."""
    params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": STEP})
    status, body = url_request("GET", f"{base}/api/v1/query_range?{params}")
    if status is None:
        return None, "no answer"
    try:
        answer = json.loads(body)
    except ValueError:
        return None, f"HTTP {status}: {body[:300]!r}"
    if status != 200 or answer.get("status") != "success":
        return None, f"HTTP {status}: {answer.get('errorType')}: {answer.get('error')}"
    if answer["data"]["resultType"] != "matrix":
        return None, f"resultType {answer['data']['resultType']}"
    return answer["data"]["result"], None


def by_series(result):
    """{label key: {timestamp: value}}; two series with equal keys are an error (None)."""
    out = {}
    for series in result:
        key = series_key(series["metric"])
        if key in out:
            return None
        out[key] = {round(float(t) * 1000): to_float(v) for t, v in series["values"]}
    return out


def deviation(value, others):
    """How far `value` lies outside the range of `others` (NaN-aware), relative to their size;
    0 inside. None when `others` is empty."""
    if not others:
        return None
    if math.isnan(value):
        return 0.0 if any(math.isnan(o) for o in others) else math.inf
    numbers = [o for o in others if not math.isnan(o)]
    if not numbers:
        return math.inf
    low, high = min(numbers), max(numbers)
    if low <= value <= high:
        return 0.0
    if math.isinf(value) or math.isinf(low) or math.isinf(high):
        return math.inf
    distance = low - value if value < low else value - high
    scale = max(abs(value), abs(low), abs(high))
    return distance / scale if scale else 0.0


def compare(ours, theirs, t):
    """(largest deviation, the series keys by decreasing deviation, problems) between the two
    at T, each side's value against the other's bracket; a problem is a series with a value at
    T on one side and none around T on the other."""
    deviations, problems = {}, []
    for a, b, a_name, b_name in ((ours, theirs, "metricsd", "Prometheus"),
                                 (theirs, ours, "Prometheus", "metricsd")):
        for key, values in a.items():
            if t not in values:
                continue
            other = b.get(key, {})
            bracket = [v for ts, v in other.items() if abs(ts - t) <= BRACKET * 1000]
            d = deviation(values[t], bracket)
            if d is None:
                problems.append(f"{dict(key)}: {a_name} has {values[t]} at T, {b_name} nothing "
                                f"within {BRACKET} s")
                continue
            deviations[key] = max(d, deviations.get(key, 0.0))
    keys = sorted(deviations, key=lambda k: -deviations[k])
    return (deviations[keys[0]] if keys else 0.0), keys, problems


def describe(ours, theirs, t, keys):
    """The values around T of the series `keys` (the first three) on both sides."""
    lines = []
    for key in keys[:3]:
        o = {(ts - t) / 1000: v for ts, v in ours.get(key, {}).items() if abs(ts - t) <= BRACKET * 1000}
        p = {(ts - t) / 1000: v for ts, v in theirs.get(key, {}).items() if abs(ts - t) <= BRACKET * 1000}
        lines.append(f"    {dict(key)}\n      metricsd   {o}\n      Prometheus {p}")
    return "\n".join(lines)


class DashboardFilesTest(unittest.TestCase):
    def test_every_dashboard_is_grafana_json_with_the_datasource_variable(self):
        self.assertEqual({os.path.basename(p) for p in DASHBOARDS},
                         {"host.json", "game.json", "probes.json", "metricsd.json"})
        uids = set()
        for name, board in load_dashboards().items():
            with self.subTest(dashboard=name):
                self.assertGreaterEqual(board["schemaVersion"], 36)
                self.assertNotIn("__inputs", board)
                self.assertNotIn(board["uid"], uids)
                uids.add(board["uid"])
                variables = board["templating"]["list"]
                self.assertEqual([(v["name"], v["type"], v["query"]) for v in variables],
                                 [("datasource", "datasource", "prometheus")])
                self.assertTrue(board["panels"])
                ids = [p["id"] for p in board["panels"]]
                self.assertEqual(len(ids), len(set(ids)), "panel ids are unique")
                for panel in board["panels"]:
                    where = f"{name}: {panel['title']}"
                    self.assertIn(panel["type"], {"timeseries", "stat", "table", "heatmap"}, where)
                    self.assertEqual(panel.get("datasource"), DATASOURCE, where)
                    self.assertTrue(panel["fieldConfig"]["defaults"].get("unit"), where)
                    self.assertTrue(panel["targets"], where)
                    for target in panel["targets"]:
                        self.assertEqual(target.get("datasource"), DATASOURCE, where)
                        self.assertTrue(target.get("expr", "").strip(), f"{where}: empty expr")
                        self.assertNotRegex(target["expr"], r"\$(?!__rate_interval\b)",
                                            f"{where}: only $__rate_interval is substituted")


class DashboardQueriesTest(unittest.TestCase):
    def test_every_query_parses_returns_data_and_agrees_with_prometheus(self):
        boards = load_dashboards()
        targets = all_targets(boards)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="metricsd-grafana-") as tmp:
            cert, key = self_signed_cert(tmp)
            with FakeAo(cert, key) as fake, game_workload.ProbeTarget() as web:
                port = free_udp_port()
                config = game_workload.metricsd_config(port, os.path.join(tmp, "history"),
                                                       web.url)
                # The AO probes and an HTTPS target, every 10 s like the workload's own target.
                config += (
                    f"    - {{name: battle-info, type: ao_dryrun, url: '{fake.url}', "
                    f"process_id: '{PID}', action: Info, interval: 10s, timeout: 2s, "
                    f"tls: {{ca_file: '{cert}'}}}}\n"
                    f"    - {{name: cu, type: ao_unit, unit: cu, url: '{fake.url}', "
                    f"interval: 10s, timeout: 2s, tls: {{ca_file: '{cert}'}}}}\n"
                    f"    - {{name: game-tls, type: http, url: '{fake.url}/ok', "
                    f"interval: 10s, timeout: 2s, tls: {{ca_file: '{cert}'}}}}\n")
                with Daemon(config, args=[f"--statsd.listen-udp=127.0.0.1:{port}"]) as d:
                    d.wait_for_log("history ready", timeout=30 * SLOWDOWN, what="the history store")
                    ours_base = f"http://127.0.0.1:{d.port}"
                    with Prometheus(f"127.0.0.1:{d.port}",
                                    scrape_extra="    scrape_interval: 5s\n"
                                                 "    scrape_timeout: 4s\n") as prom:
                        theirs_base = f"http://127.0.0.1:{prom.port}"
                        wait_until(prom.target, timeout=30 * SLOWDOWN, interval=0.5,
                                   what="Prometheus scraping metricsd")
                        sent = game_workload.send_udp(port, WORKLOAD_SECONDS, LINES_PER_SECOND)
                        # Both have sampled the workload's end before the window closes.
                        time.sleep(STEP + 1)
                        # Half-way between two of metricsd's sample slots (see the docstring).
                        end = (int(time.time()) - 1) // STEP * STEP - STEP / 2
                        start = end - (WORKLOAD_SECONDS - STEP) // STEP * STEP
                        t = round((end - COMPARE_BACK) * 1000)
                        sys.stderr.write(f"grafana_dashboards: {sent} StatsD lines in "
                                         f"{WORKLOAD_SECONDS} s; {len(targets)} queries over "
                                         f"{end - start} s, compared at T = end - "
                                         f"{COMPARE_BACK} s\n")
                        failures, worst, empty_allowed = [], {}, []
                        for board, title, ref, expr in targets:
                            where = f"{board} / {title} / {ref}: {expr}"
                            query = concrete(expr)
                            ours, our_error = query_range(ours_base, query, start, end)
                            theirs, their_error = query_range(theirs_base, query, start, end)
                            if our_error or their_error:
                                failures.append(f"{where}\n    metricsd: {our_error or 'ok'}\n"
                                                f"    Prometheus: {their_error or 'ok'}")
                                continue
                            if not ours or not theirs:
                                reason = allowed_empty(expr)
                                if reason and not ours and not theirs:
                                    empty_allowed.append(f"{where} ({reason})")
                                    continue
                                failures.append(f"{where}\n    no data: metricsd {len(ours)} "
                                                f"series, Prometheus {len(theirs)}")
                                continue
                            ours_s, theirs_s = by_series(ours), by_series(theirs)
                            if ours_s is None or theirs_s is None:
                                failures.append(f"{where}\n    two series with the same labels "
                                                "once job and instance are dropped")
                                continue
                            if set(ours_s) != set(theirs_s):
                                only_ours = [dict(k) for k in set(ours_s) - set(theirs_s)]
                                only_theirs = [dict(k) for k in set(theirs_s) - set(ours_s)]
                                failures.append(f"{where}\n    different series: only metricsd "
                                                f"{only_ours[:5]}, only Prometheus "
                                                f"{only_theirs[:5]}")
                                continue
                            kind = tolerance_class(expr)
                            deviation_at_t, keys, problems = compare(ours_s, theirs_s, t)
                            previous = worst.get(kind, (0.0, ""))
                            if deviation_at_t >= previous[0]:
                                worst[kind] = (deviation_at_t, where)
                            if problems or deviation_at_t > TOLERANCE[kind]:
                                failures.append(
                                    f"{where}\n    {kind}: deviation {deviation_at_t:.4g} > "
                                    f"{TOLERANCE[kind]} at T={t / 1000} {problems[:3]}\n"
                                    + describe(ours_s, theirs_s, t, keys))
        for kind, (value, where) in sorted(worst.items()):
            sys.stderr.write(f"grafana_dashboards: largest {kind} deviation {value:.4g} "
                             f"(tolerance {TOLERANCE[kind]}): {where}\n")
        for line in empty_allowed:
            sys.stderr.write(f"grafana_dashboards: allowed empty: {line}\n")
        sys.stderr.write(f"grafana_dashboards: {len(targets) - len(failures)}/{len(targets)} "
                         f"queries agree; {time.monotonic() - started:.0f} s\n")
        self.assertFalse(failures, f"{len(failures)} of {len(targets)} queries failed:\n" +
                         "\n".join(failures))


if __name__ == "__main__":
    unittest.main(verbosity=2)
