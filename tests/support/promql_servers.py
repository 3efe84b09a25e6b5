"""Two ends of a PromQL differential test, standard library only:

- samples as VictoriaMetrics JSON lines (metricsd's /api/v1/export and /api/v1/import) and as
  OpenMetrics text (promtool tsdb create-blocks-from openmetrics);
- a real Prometheus 2.42 started on blocks built by promtool from such samples;
- the query API client both ends share (/api/v1/query, /api/v1/query_range).

Every process is stopped by its context manager and every wait is bounded.
"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

from harness import free_port, require_tool, stop_process, wait_until
from harness import url_request as http

# --- samples --------------------------------------------------------------------------------------

_SPECIAL = re.compile(r'(?<=[\[,])([+-]Inf|NaN)(?=[\],])')


def parse_export(body):
    """{labels tuple (sorted, __name__ included): [(ms, float)]} from JSON lines, lines of one
    series merged and sorted by time. NaN (metricsd's and VictoriaMetrics' staleness marker)
    stays a float NaN."""
    out = {}
    text = body.decode() if isinstance(body, bytes) else body
    for line in text.splitlines():
        if not line.strip():
            continue
        obj = json.loads(_SPECIAL.sub('"\\1"', line))
        labels = tuple(sorted(obj["metric"].items()))
        values = [float(v) for v in obj["values"]]  # float("+Inf"), float("NaN") read the words
        out.setdefault(labels, []).extend(zip(obj["timestamps"], values))
    for points in out.values():
        points.sort(key=lambda p: p[0])
    return out


def _value_text(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    text = repr(v)  # shortest text that reads back as exactly v
    return text[:-2] if text.endswith(".0") else text


def export_lines(series):
    """VictoriaMetrics JSON lines for {labels tuple: [(ms, float)]} (what /api/v1/import reads)."""
    lines = []
    for labels, points in series.items():
        if not points:
            continue
        metric = json.dumps(dict(labels), separators=(",", ":"))
        for i in range(0, len(points), 10000):
            part = points[i:i + 10000]
            lines.append('{"metric":%s,"values":[%s],"timestamps":[%s]}' % (
                metric, ",".join(_value_text(v) for _, v in part),
                ",".join(str(t) for t, _ in part)))
    return ("\n".join(lines) + "\n").encode()


def _escape_label_value(value):
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def write_openmetrics(series, path):
    """OpenMetrics text of {labels tuple: [(ms, float)]}: no TYPE lines (every family unknown,
    which promtool stores as is), one family's series together, timestamps in seconds with
    millisecond precision, values written so they read back exactly, then # EOF."""
    by_name = {}
    for labels, points in series.items():
        name = dict(labels)["__name__"]
        by_name.setdefault(name, []).append((labels, points))
    with open(path, "w") as f:
        for name in sorted(by_name):
            for labels, points in sorted(by_name[name]):
                inner = ",".join(f'{k}="{_escape_label_value(v)}"' for k, v in labels
                                 if k != "__name__")
                key = f"{name}{{{inner}}}" if inner else name
                for t, v in points:
                    f.write(f"{key} {_value_text(v)} {t // 1000}.{t % 1000:03d}\n")
        f.write("# EOF\n")


# --- HTTP -----------------------------------------------------------------------------------------

def query_api(base_url, query, time=None, start=None, end=None, step=None, timeout=120):
    """(HTTP status, decoded JSON answer or None) of an instant query (time) or a range query
    (start, end, step), sent as a POST form as Grafana does."""
    if start is None:
        path, params = "/api/v1/query", {"query": query}
        if time is not None:
            params["time"] = _seconds(time)
    else:
        path, params = "/api/v1/query_range", {"query": query, "start": _seconds(start),
                                               "end": _seconds(end), "step": step}
    status, body = http("POST", base_url + path, urllib.parse.urlencode(params).encode(),
                        {"Content-Type": "application/x-www-form-urlencoded"}, timeout=timeout)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"status": "invalid", "body": body[:500].decode(errors="replace")}


def _seconds(t):
    """Unix seconds as the API reads them, exact to the millisecond."""
    if isinstance(t, str):
        return t
    ms = int(round(t * 1000))
    return f"{ms // 1000}.{ms % 1000:03d}"


# --- Prometheus on blocks ---------------------------------------------------------------------

class PrometheusOnBlocks:
    """A real Prometheus 2.42 serving `series` ({labels: [(ms, float)]}) from blocks that
    promtool built from OpenMetrics. No scrape configs; the default evaluation_interval (1m, the
    default subquery step) and lookback delta (5m). Use as a context manager."""

    def __init__(self, series, extra_args=()):
        prometheus, promtool = require_tool("prometheus"), require_tool("promtool")
        self.dir = tempfile.TemporaryDirectory(prefix="metricsd-promql-prom-")
        data = os.path.join(self.dir.name, "data")
        om = os.path.join(self.dir.name, "samples.om")
        write_openmetrics(series, om)
        build = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", om, data],
                               capture_output=True, text=True, timeout=600)
        if build.returncode != 0:
            raise AssertionError(f"promtool create-blocks-from failed: {build.stderr[-2000:]}")
        os.remove(om)
        config = os.path.join(self.dir.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  evaluation_interval: 1m\n")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.dir.name, "prometheus.log"), "w+")
        self.proc = subprocess.Popen(
            [prometheus, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{self.port}",
             f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=3650d",
             "--log.level=warn"] + list(extra_args),
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: http("GET", self.url + "/-/ready", timeout=2)[0] == 200,
                       timeout=60, interval=0.2, what="Prometheus to be ready")
        except AssertionError:
            self.__exit__()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)
        if exc and exc[0] is not None:
            self.log.seek(0)
            sys.stderr.write(self.log.read()[-4000:])
        self.log.close()
        self.dir.cleanup()
        return False
