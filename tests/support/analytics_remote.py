"""Helpers for comparing query results from two stores (metricsd's history and a
Prometheus-compatible API reached through the remote QueryEngine), reusable by the analytics
e2e tests: run the engine through remote_query_tool, ask metricsd's own API, and compare
results series by series within a tolerance. Standard library only."""
import json
import math
import os
import subprocess
import urllib.parse

TOOL = os.environ.get("REMOTE_QUERY_TOOL", "")


def run_tool(url, query, start, end=None, step=None, max_steps=None, timeout=30, token=None,
             ca_file=None, username=None, password=None):
    """remote_query_tool's (exit code, stdout, stderr); secrets pass through its environment."""
    assert TOOL, "REMOTE_QUERY_TOOL is not set (run through ctest)"
    command = [TOOL, f"--timeout={timeout}"]
    if max_steps is not None:
        command.append(f"--max-steps={max_steps}")
    if ca_file is not None:
        command.append(f"--ca-file={ca_file}")
    if username is not None:
        command.append(f"--username={username}")
    command += [url, query, f"{start:.3f}"]
    if end is not None:
        command += [f"{end:.3f}", f"{step:g}"]
    env = dict(os.environ)
    env.pop("REMOTE_QUERY_BEARER_TOKEN", None)
    env.pop("REMOTE_QUERY_PASSWORD", None)
    if token is not None:
        env["REMOTE_QUERY_BEARER_TOKEN"] = token
    if password is not None:
        env["REMOTE_QUERY_PASSWORD"] = password
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 30, env=env)
    return done.returncode, done.stdout, done.stderr


def remote_query(url, query, start, end=None, step=None, **options):
    """The remote QueryEngine's answer, in the query API's JSON shape (a dict), via the tool.
    Instant at `start` without `end`/`step`; times and step in seconds. `options`: max_steps,
    timeout, token, ca_file, username, password."""
    code, out, err = run_tool(url, query, start, end, step, **options)
    assert code in (0, 1), f"remote_query_tool exit {code}: {err}"
    return json.loads(out)


def api_query(daemon, query, start, end=None, step=None):
    """metricsd's own /api/v1/query or /api/v1/query_range answer (a dict), POSTed as the
    remote engine does."""
    if end is None:
        path, form = "/api/v1/query", {"query": query, "time": f"{start:.3f}"}
    else:
        path, form = "/api/v1/query_range", {"query": query, "start": f"{start:.3f}",
                                             "end": f"{end:.3f}", "step": f"{step:g}"}
    status, _, body = daemon.request("POST", path, body=urllib.parse.urlencode(form),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    answer = json.loads(body)
    assert (status == 200) == (answer["status"] == "success"), (status, answer)
    return answer


def series_of(answer, drop=("job", "instance")):
    """{labels tuple without `drop`: [(t, v), ...]} of a success answer; a vector's samples
    are one-point series, a scalar is the series ()."""
    data = answer["data"]
    kind, result = data["resultType"], data["result"]
    if kind == "scalar":
        return {(): [(float(result[0]), float(result[1]))]}
    out = {}
    for item in result:
        key = tuple(sorted((k, v) for k, v in item["metric"].items() if k not in drop))
        points = item.get("values") or ([item["value"]] if "value" in item else [])
        out.setdefault(key, []).extend((float(t), float(v)) for t, v in points)
    return out


def close(a, b, rel_tol, abs_tol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def compare(ours, theirs, rel_tol=0.0, abs_tol=0.0, skip=lambda t: False):
    """Differences between two series_of() results: series present on one side only, and
    points (not skipped) whose times or values differ beyond the tolerance. Returns
    (differences as strings, points compared)."""
    differences, compared = [], 0
    for key in sorted(set(ours) | set(theirs)):
        if key not in ours or key not in theirs:
            differences.append(f"{dict(key)} only in {'theirs' if key not in ours else 'ours'}")
            continue
        a = {round(t, 3): v for t, v in ours[key] if not skip(t)}
        b = {round(t, 3): v for t, v in theirs[key] if not skip(t)}
        for t in sorted(set(a) | set(b)):
            if t not in a or t not in b:
                differences.append(f"{dict(key)} t={t}: only in {'theirs' if t not in a else 'ours'}")
            elif not close(a[t], b[t], rel_tol, abs_tol):
                differences.append(f"{dict(key)} t={t}: {a[t]} vs {b[t]}")
            else:
                compared += 1
    return differences, compared


def max_relative_difference(ours, theirs, skip=lambda t: False):
    """The largest |a - b| / max(|a|, |b|) over points both sides have (0 when none), to report
    how close two stores came beside the pass/fail of compare()."""
    largest = 0.0
    for key in set(ours) & set(theirs):
        b = {round(t, 3): v for t, v in theirs[key] if not skip(t)}
        for t, a in ours[key]:
            other = b.get(round(t, 3))
            if other is None or skip(t) or math.isnan(a) or math.isnan(other):
                continue
            scale = max(abs(a), abs(other))
            if scale > 0:
                largest = max(largest, abs(a - other) / scale)
    return largest
