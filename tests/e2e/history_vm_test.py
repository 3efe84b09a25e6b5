"""Differential test of the history API against a real VictoriaMetrics (1.79, Debian's).

The same generated history (a few series, two weeks of 10 s samples with gaps, integer, float
and infinite values, NaNs) is imported into both through /api/v1/import; then /api/v1/export,
/api/v1/series, /api/v1/labels and /api/v1/label/<name>/values must agree for several
match[]/start/end combinations.

Known, documented differences the comparison allows for:
- VictoriaMetrics drops a NaN on import (it keeps only staleness markers); we read NaN as a
  staleness marker and export it back as NaN. Our export minus its NaNs equals VM's, and our
  NaNs are exactly where the input had them.
- VictoriaMetrics' series/labels/values look at whole UTC days (its per-day index) and default
  to the current day; Prometheus (and we) default to all time and are coarser about the range
  (a series whose data is not known to be outside it is kept). The metadata queries give
  start and end on day boundaries; where the two rules differ, VM's answer must be contained
  in ours.
"""
import gzip
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, free_port, require_tool, stop_process, wait_until  # noqa: E402
from harness import url_request as http  # noqa: E402

DAY_MS = 86400 * 1000
STEP_MS = 10 * 1000
DAYS = 14
# Day 0 starts at UTC midnight DAYS days ago, within the store's 15-day raw retention.
DAY0 = (int(time.time() * 1000) // DAY_MS - DAYS) * DAY_MS
END = DAY0 + DAYS * DAY_MS - 3600 * 1000  # the last hour of today-ish is left empty


def day(n):
    return DAY0 + n * DAY_MS


def generate():
    """{labels tuple: [(t, value text)]}: the history both stores get."""
    rng = random.Random(12)
    series = {}

    def times(start, end, skip=lambda t: False):
        return [t for t in range(start, end, STEP_MS) if not skip(t)]

    walk = 50.0
    points = []
    for t in times(day(0), END):
        walk = min(max(walk + rng.uniform(-1, 1), 0), 100)
        points.append((t, f"{walk:.2f}"))
    series[(("__name__", "hist_gauge"), ("instance", "a"), ("job", "x"))] = points
    # Instance b is gone on days 3-5 (whole UTC days) and for odd hours on day 9.
    points = []
    for t in times(day(0), END, lambda t: day(3) <= t < day(6) or
                   (day(9) <= t < day(10) and (t // 3600000) % 2 == 1)):
        points.append((t, str(rng.randint(0, 1000) / 8)))
    series[(("__name__", "hist_gauge"), ("instance", "b"), ("job", "x"))] = points
    counter, points = 0, []
    for t in times(day(0), END):
        counter += rng.randint(0, 5)
        points.append((t, str(counter)))
    series[(("__name__", "hist_requests_total"), ("code", "200"), ("job", "y"))] = points
    # Appears on day 8 only.
    points = [(t, str(rng.randint(1, 9) * 0.25)) for t in times(day(8), END)]
    series[(("__name__", "hist_late"), ("job", "y"), ("zone", "eu"))] = points
    # Infinities now and then, NaNs now and then (VM drops those).
    points = []
    for i, t in enumerate(times(day(0), END)):
        if i % 997 == 0:
            points.append((t, "+Inf"))
        elif i % 991 == 0:
            points.append((t, "-Inf"))
        elif i % 983 == 0:
            points.append((t, "NaN"))
        else:
            points.append((t, str(i % 100)))
    series[(("__name__", "hist_special"), ("job", "x"), ("kind", "edge"))] = points
    return series


def import_lines(series, chunk=8640):
    """JSON lines, one per day of each series (several lines per series, as backups are)."""
    lines = []
    for labels, points in series.items():
        metric = json.dumps(dict(labels), separators=(",", ":"))
        for i in range(0, len(points), chunk):
            part = points[i:i + chunk]
            lines.append('{"metric":%s,"values":[%s],"timestamps":[%s]}' % (
                metric, ",".join(v for _, v in part), ",".join(str(t) for t, _ in part)))
    random.Random(3).shuffle(lines)  # order does not matter to either
    return ("\n".join(lines) + "\n").encode()


_SPECIAL = re.compile(r'(?<=[\[,])([+-]Inf|NaN)(?=[\],])')


def parse_export(text):
    """{labels: {t: value token}} merging lines of one series; tokens as written."""
    out = {}
    for line in text.decode().splitlines():
        if not line.strip():
            continue
        values_text = re.search(r'"values":\[([^\]]*)\]', line).group(1)
        tokens = values_text.split(",") if values_text else []
        # VM writes +Inf/-Inf/NaN bare; make the line JSON to read the rest.
        obj = json.loads(_SPECIAL.sub('"\\1"', line))
        labels = tuple(sorted(obj["metric"].items()))
        points = out.setdefault(labels, {})
        assert len(tokens) == len(obj["timestamps"]), line[:200]
        for t, token in zip(obj["timestamps"], tokens):
            points[t] = token
    return out


def as_float(token):
    return {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}.get(token) or float(token)


class VictoriaMetrics:
    def __init__(self):
        binary = require_tool("victoria-metrics")
        self.dir = tempfile.TemporaryDirectory(prefix="metricsd-e2e-vm-")
        self.port = free_port()
        self.log = open(os.path.join(self.dir.name, "vm.log"), "w+")
        self.proc = subprocess.Popen(
            [binary, f"-httpListenAddr=127.0.0.1:{self.port}",
             f"-storageDataPath={self.dir.name}/data", "-retentionPeriod=100y",
             "-search.disableCache", "-loggerLevel=WARN"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_until(lambda: http("GET", self.url + "/health")[0] == 200, timeout=30,
                   what="VictoriaMetrics to start")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)
        self.log.close()
        self.dir.cleanup()


def query(params):
    return urllib.parse.urlencode(params, doseq=True)


class HistoryVsVictoriaMetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.series = generate()
        cls.body = import_lines(cls.series)
        cls.nan_times = {labels: {t for t, v in points if v == "NaN"}
                         for labels, points in cls.series.items()}

    def test_same_answers_as_victoriametrics(self):
        with VictoriaMetrics() as vm, Daemon() as d:
            ours = f"http://127.0.0.1:{d.port}"
            status, answer = http("POST", vm.url + "/api/v1/import", self.body)
            self.assertEqual(status, 204, answer)
            # The store opens on its own thread: 503 until then.
            gz = gzip.compress(self.body)
            result = wait_until(
                lambda: (lambda r: r if r[0] != 503 else None)(
                    http("POST", ours + "/api/v1/import", gz, {"Content-Encoding": "gzip"})),
                timeout=30, interval=0.5, what="our import to be accepted")
            self.assertEqual(result[0], 204, result[1][:500])
            http("GET", vm.url + "/internal/force_flush")
            expected_series = len(self.series)
            wait_until(lambda: len(parse_export(http(
                "GET", vm.url + "/api/v1/export?" + query({"match[]": '{__name__=~"hist_.*"}'}))[1]))
                == expected_series, timeout=60, interval=1, what="VictoriaMetrics to show the import")

            def s(ms):
                return str(ms / 1000)

            def rfc(ms):
                return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
                    ".%03dZ" % (ms % 1000)

            # (parameters, whether the case selects anything)
            export_cases = [
                ({"match[]": '{__name__=~"hist_.*"}'}, True),
                ({"match[]": "hist_gauge", "start": s(day(2) + 12345), "end": s(day(7) - 1)},
                 True),
                ({"match[]": ['{job="x"}', "hist_requests_total"], "start": rfc(day(9) + 1800000),
                  "end": rfc(day(9) + 5 * 3600000 + 999)}, True),
                # Instance b's gap: nothing, from both.
                ({"match[]": 'hist_gauge{instance="b"}', "start": s(day(3)),
                  "end": s(day(6) - 1)}, False),
                ({"match[]": '{__name__=~"hist_(late|special)",job!="z"}', "end": s(day(9))},
                 True),
                ({"match[]": 'hist_special', "start": s(day(13)), "end": s(END + DAY_MS)}, True),
            ]
            for params, selects in export_cases:
                with self.subTest(export=params):
                    self.compare_export(vm.url, ours, params, selects)

            # (parameters, exact): exact cases give every selected series data on a day of the
            # range; in the others VM (per-day index) leaves out a series with no data in the
            # range, and we may keep it: our store, like Prometheus with a block overlapping the
            # range, is coarser (imported series always pass the range check), so there VM's
            # answer must be contained in ours.
            meta_cases = [
                ({"match[]": '{__name__=~"hist_.*"}', "start": s(day(0)), "end": s(day(DAYS) - 1)},
                 True),
                ({"match[]": '{job="y"}', "start": s(day(8)), "end": s(day(DAYS) - 1)}, True),
                ({"match[]": ['hist_gauge', 'hist_late'], "start": rfc(day(8)),
                  "end": rfc(day(9) - 1)}, True),
                ({"match[]": '{__name__=~"hist_.*",zone=""}', "start": s(day(9)),
                  "end": s(day(10) - 1)}, True),
                ({"match[]": '{__name__=~"hist_.*"}', "start": s(day(3)), "end": s(day(6) - 1)},
                 False),
                ({"match[]": '{job="y"}', "start": s(day(1)), "end": s(day(3) - 1)}, False),
            ]
            for params, exact in meta_cases:
                for path in ["/api/v1/series", "/api/v1/labels", "/api/v1/label/job/values",
                             "/api/v1/label/__name__/values", "/api/v1/label/instance/values"]:
                    with self.subTest(path=path, params=params):
                        self.compare_metadata(vm.url, ours, path, params, exact)

            # Our answers where VM differs by design: no match[] is an error for series.
            status, answer = http("GET", ours + "/api/v1/series")
            self.assertEqual(status, 400)
            self.assertEqual(json.loads(answer)["errorType"], "bad_data")

    def compare_export(self, vm_url, ours_url, params, selects):
        vm_status, vm_body = http("GET", vm_url + "/api/v1/export?" + query(params))
        self.assertEqual(vm_status, 200, vm_body[:300])
        # POST with a form body: the same answer from us.
        our_status, our_body = http(
            "POST", ours_url + "/api/v1/export", query(params).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(our_status, 200, our_body[:300])
        theirs, mine = parse_export(vm_body), parse_export(our_body)
        self.assertEqual(bool(theirs), selects, "the case is not the one meant")
        self.assertEqual(sorted(mine), sorted(theirs))
        for labels, points in theirs.items():
            ours_points = mine[labels]
            nans = {t for t, token in ours_points.items() if token == "NaN"}
            self.assertEqual(nans, {t for t in self.nan_times[labels] if t in ours_points},
                             labels)
            without_nan = {t: v for t, v in ours_points.items() if v != "NaN"}
            self.assertEqual(sorted(without_nan), sorted(points), labels)
            for t, token in points.items():
                mine_token = without_nan[t]
                if as_float(mine_token) == as_float(token):
                    # Same value, so the same text: Go's 'f' -1 formatting.
                    self.assertEqual(mine_token, token, (labels, t))
                else:
                    self.assertAlmostEqual(as_float(mine_token), as_float(token), delta=1e-9 *
                                           max(1.0, abs(as_float(token))), msg=(labels, t))

    def compare_metadata(self, vm_url, ours_url, path, params, exact):
        vm_status, vm_body = http("GET", vm_url + path + "?" + query(params))
        our_status, our_body = http("GET", ours_url + path + "?" + query(params))
        self.assertEqual((our_status, vm_status), (200, 200), (our_body[:300], vm_body[:300]))
        theirs, mine = json.loads(vm_body), json.loads(our_body)
        self.assertEqual(mine["status"], "success")
        if path == "/api/v1/series":
            theirs = sorted(tuple(sorted(labels.items())) for labels in theirs["data"])
            mine = sorted(tuple(sorted(labels.items())) for labels in mine["data"])
        else:
            theirs, mine = sorted(theirs["data"]), mine["data"]
            self.assertEqual(mine, sorted(mine), "our answer is sorted")
        if exact:
            self.assertEqual(mine, theirs)
        else:
            self.assertLessEqual(set(theirs), set(mine))

if __name__ == "__main__":
    unittest.main(verbosity=2)
