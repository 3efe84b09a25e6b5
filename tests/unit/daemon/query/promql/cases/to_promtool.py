#!/usr/bin/env python3
"""Proves the conformance cases' expected answers are Prometheus 2.42's, not ours.

Every case file (README.md in this directory describes the format) becomes a `promtool test
rules` unit-test file: each segment of `load` blocks (up to a `clear`) is a test group whose
input_series are the loaded series in promtool's own notation (a+bxN, `_`, `stale`), and each
`eval` is a promql_expr_test with its eval_time and exp_samples. A range case becomes one
instant test per step: in 2.42 a range query's value at each step is the instant query's there
(with `@ start()` / `@ end()` replaced by the range's start and end, which is what they mean in
a range query). Then /usr/bin/promtool checks them.

promtool compares values exactly and NaN never equals NaN, while the cases hold values within
1e-9 relative (as our runner compares); so a mismatch promtool reports is re-checked here from
its own "exp:"/"got:" lines with that tolerance, NaN equal to NaN, label sets exact.

Errors: promtool reports a query's error as "err: <message>" (Prometheus's message, position
included), so an `eval_fail` case is checked too: the query must fail, and with an `error:`
line, with exactly that message. promtool sorts results, so `eval_ordered` checks the order only
in our runner; its samples are checked here. The one thing promtool cannot check is a string
result: such cases are counted and printed as skipped.

Usage: to_promtool.py [--promtool PATH] [--keep DIR] [CASE_FILE...]   (default: *.test here)
Exit status 0 when every case agrees with Prometheus.
"""

import argparse
import glob
import json
import math
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 1e-9

_DURATION_UNITS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000,
                   "w": 604800000, "y": 31536000000}
_DURATION_RE = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def parse_duration(text):
    """Prometheus's model.ParseDuration (units in descending order, each once) in ms."""
    text = text.strip()
    if text == "0":
        return 0
    pos, total, last_rank = 0, 0, None
    order = ["y", "w", "d", "h", "m", "s", "ms"]
    for m in _DURATION_RE.finditer(text):
        if m.start() != pos:
            break
        rank = order.index(m.group(2))
        if last_rank is not None and rank <= last_rank:
            raise ValueError("bad duration %r" % text)
        last_rank = rank
        total += int(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError("bad duration %r" % text)
    return total


def format_duration(ms):
    """An eval_time promtool accepts (model.Duration), exact to the millisecond."""
    if ms == 0:
        return "0s"
    if ms % 1000:
        return "%dms" % ms
    return "%ds" % (ms // 1000)


class CaseError(Exception):
    pass


# --- The case format ----------------------------------------------------------------------

_LOAD_RE = re.compile(r"^load\s+(\S+)$")
_EVAL_INSTANT_RE = re.compile(r"^(eval|eval_ordered|eval_fail)\s+instant\s+at\s+(\S+)\s+(.+)$")
_EVAL_RANGE_RE = re.compile(
    r"^(eval|eval_ordered|eval_fail)\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$")
_KNOWN_DIFFERENCE_RE = re.compile(r"^#\s*known difference:")


def split_series_line(line):
    """`metric{a="b"} values` into its label part and its values (text, verbatim)."""
    i = 0
    while i < len(line) and not line[i].isspace() and line[i] != "{":
        i += 1
    if i < len(line) and line[i] == "{":
        in_string, escape = None, False
        while i < len(line):
            c = line[i]
            i += 1
            if in_string:
                if escape:
                    escape = False
                elif c == "\\":
                    escape = True
                elif c == in_string:
                    in_string = None
            elif c in "\"'":
                in_string = c
            elif c == "}":
                break
    return line[:i].strip(), line[i:].strip()


_ITEM_RE = re.compile(
    r"^(?:(_)(?:x(\d+))?|(stale)|([-+]?(?:[0-9.]+(?:[eE][-+]?\d+)?|[iI][nN][fF]|[nN][aA][nN]))"
    r"(?:([-+](?:[0-9.]+(?:[eE][-+]?\d+)?|[iI][nN][fF]|[nN][aA][nN]))?x(\d+))?)$")


def expand_values(text):
    """Prometheus's series notation (parser.ParseSeriesDesc) into a list: float, "stale" or None."""
    out = []
    for item in text.split():
        m = _ITEM_RE.match(item)
        if not m:
            raise CaseError("bad series value %r" % item)
        if m.group(1):
            out.extend([None] * (int(m.group(2)) if m.group(2) else 1))
        elif m.group(3):
            out.append("stale")
        else:
            value = float(m.group(4))
            if m.group(6) is None:
                out.append(value)
                continue
            increment = float(m.group(5)) if m.group(5) else 0.0
            for _ in range(int(m.group(6)) + 1):  # a+bxN is N+1 values, summed as Prometheus does
                out.append(value)
                value += increment
    return out


class Case:
    def __init__(self, path, line, kind, expr, times, fail, ordered):
        self.path, self.line, self.kind, self.expr = path, line, kind, expr
        self.times = times  # eval times in ms (one for instant)
        self.fail, self.ordered = fail, ordered
        self.expected = []  # (labels text, [value per time: float or None])
        self.scalar = False
        self.error = None
        self.error_is_prefix = False
        self.string = None
        self.known_difference = False


class Segment:
    """Series loaded since the last `clear`, and the cases evaluated over them."""

    def __init__(self):
        self.loads = []  # (interval ms, [(labels, values text)])
        self.cases = []


def parse_case_file(path):
    with open(path, encoding="utf-8") as f:
        raw = f.read().split("\n")
    lines = [l.strip() for l in raw]
    segments = [Segment()]
    i = 0
    known_difference = False
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if line.startswith("#"):
            if _KNOWN_DIFFERENCE_RE.match(line):
                known_difference = True
            i += 1
            continue
        where = "%s:%d" % (path, i + 1)
        if line == "clear":
            segments.append(Segment())
            i += 1
            continue
        m = _LOAD_RE.match(line)
        if m:
            series = []
            i += 1
            while i < len(lines) and lines[i] and not lines[i].startswith("#"):
                labels, values = split_series_line(lines[i])
                expand_values(values)
                series.append((labels, values))
                i += 1
            if segments[-1].cases:
                raise CaseError("%s: a load after an eval: start a new segment with clear" % where)
            seen = {tuple(sorted(parse_labels(l).items()))
                    for _, loaded in segments[-1].loads for l, _ in loaded}
            for labels, _ in series:
                key = tuple(sorted(parse_labels(labels).items()))
                if key in seen:
                    # promtool would keep only the last; our runner would merge them.
                    raise CaseError("%s: series %s loaded twice in one segment" % (where, labels))
                seen.add(key)
            segments[-1].loads.append((parse_duration(m.group(1)), series))
            continue
        mi = _EVAL_INSTANT_RE.match(line)
        mr = _EVAL_RANGE_RE.match(line)
        if not mi and not mr:
            raise CaseError("%s: unknown command %r" % (where, line))
        if mi:
            mode, expr = mi.group(1), mi.group(3)
            times = [parse_duration(mi.group(2))]
        else:
            mode, expr = mr.group(1), mr.group(5)
            start, end, step = (parse_duration(mr.group(k)) for k in (2, 3, 4))
            if step <= 0 or end < start:
                raise CaseError("%s: bad range" % where)
            times = list(range(start, end + 1, step))
        case = Case(path, i + 1, "instant" if mi else "range", expr, times,
                    mode == "eval_fail", mode == "eval_ordered")
        case.known_difference, known_difference = known_difference, False
        i += 1
        while i < len(lines) and lines[i] and not lines[i].startswith("#"):
            body = lines[i]
            if case.fail:
                if body.startswith("error:"):
                    case.error = body[len("error:"):].strip()
                elif body.startswith("error_prefix:"):
                    case.error = body[len("error_prefix:"):].strip()
                    case.error_is_prefix = True
                else:
                    raise CaseError("%s:%d: eval_fail takes an error: or error_prefix: line" %
                                    (path, i + 1))
            elif body.startswith("string "):
                case.string = json.loads(body[len("string "):])
            else:
                try:
                    case.expected.append(("{}", [float(body)] * len(times)))
                    case.scalar = True
                except ValueError:
                    labels, values = split_series_line(body)
                    expanded = expand_values(values)
                    if len(expanded) != len(times) or "stale" in expanded:
                        raise CaseError("%s:%d: %d values for %d steps" %
                                        (path, i + 1, len(expanded), len(times)))
                    case.expected.append((labels, expanded))
            i += 1
        segments[-1].cases.append(case)
    return [s for s in segments if s.cases]


# --- promtool's test file -------------------------------------------------------------------

def yaml_float(v):
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    return repr(v)


def input_series(segment):
    """(interval ms, [(labels, values)]) for one test group; mixed intervals go on their gcd."""
    intervals = [interval for interval, _ in segment.loads]
    if not intervals:
        return 60000, []
    if len(set(intervals)) == 1:
        return intervals[0], [s for _, series in segment.loads for s in series]
    gcd = intervals[0]
    for interval in intervals[1:]:
        gcd = math.gcd(gcd, interval)
    out = []
    for interval, series in segment.loads:
        for labels, values in series:
            items = []
            for k, v in enumerate(expand_values(values)):
                if k:
                    items.extend(["_"] * (interval // gcd - 1))
                items.append("_" if v is None else "stale" if v == "stale" else yaml_float(v))
            out.append((labels, " ".join(items)))
    return gcd, out


def substitute_start_end(expr, start, end):
    expr = re.sub(r"@\s*start\s*\(\s*\)", "@ %s" % (start / 1000.0), expr)
    return re.sub(r"@\s*end\s*\(\s*\)", "@ %s" % (end / 1000.0), expr)


class Check:
    """One promql_expr_test and what to make of promtool's verdict on it. A control check
    expects a wrong answer: promtool must report it, which proves it ran the group."""

    def __init__(self, case, expr, time_ms, samples, control=False):
        self.case, self.expr, self.time_ms, self.samples = case, expr, time_ms, samples
        self.control = control


def build_groups(segments):
    """Test groups as (interval, series, [Check]); a group never holds one (expr, time) twice."""
    groups = []
    for segment in segments:
        interval, series = input_series(segment)
        last_sample = 0
        for load_interval, load_series in segment.loads:
            for _, values in load_series:
                last_sample = max(last_sample, (len(expand_values(values)) - 1) * load_interval)
        checks = []
        for case in segment.cases:
            if case.string is not None:
                continue
            for k, t in enumerate(case.times):
                expr = case.expr
                if case.kind == "range":
                    expr = substitute_start_end(expr, case.times[0], case.times[-1])
                samples = [(labels, values[k]) for labels, values in case.expected
                           if values[k] is not None]
                checks.append(Check(case, expr, t, samples))
        # promtool names a failing test by its expression and time only: a group never holds
        # one (expr, time) twice.
        split, current, seen = [], [], set()
        for check in checks:
            key = (check.expr, check.time_ms)
            if key in seen:
                split.append(current)
                current, seen = [], set()
            seen.add(key)
            current.append(check)
        split.append(current)
        # promtool loads samples only up to its last evaluation step (1m apart, up to the
        # largest eval_time): one more test past the last sample loads them all. A control
        # test with a wrong answer proves promtool ran the group.
        horizon = max([last_sample] + [c.time_ms for c in checks])
        horizon = (horizon // 60000 + 1) * 60000
        for group_checks in split:
            n = len(groups) + 1  # numbers the group: its own checks never collide with others'
            group_checks.append(Check(None, "vector(%d)" % n, horizon, [("{}", float(n))]))
            group_checks.append(Check(None, "vector(-%d)" % n, horizon, [("{}", float(n))],
                                      control=True))
            groups.append((interval, series, group_checks))
    return groups


def write_test_file(groups, path):
    out = ["# Generated by to_promtool.py from the conformance cases.", "evaluation_interval: 1m",
           "tests:"]
    for interval, series, checks in groups:
        out.append("  - interval: %s" % format_duration(interval))
        out.append("    input_series:" + ("" if series else " []"))
        for labels, values in series:
            out.append("      - series: %s" % json.dumps(labels))
            out.append("        values: %s" % json.dumps(values))
        out.append("    promql_expr_test:")
        for check in checks:
            out.append("      - expr: %s" % json.dumps(check.expr))
            out.append("        eval_time: %s" % format_duration(check.time_ms))
            out.append("        exp_samples:" + ("" if check.samples else " []"))
            for labels, value in check.samples:
                out.append("          - labels: %s" % json.dumps(labels))
                out.append("            value: %s" % yaml_float(value))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


# --- promtool's verdict ---------------------------------------------------------------------

def go_unquote(text):
    """A Go strconv.Quote'd string (with its quotes) back to the string."""
    assert text[0] == '"' and text[-1] == '"'
    body, out, i = text[1:-1], [], 0
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", '"': '"', "'": "'"}
    raw = bytearray()
    while i < len(body):
        c = body[i]
        if c != "\\":
            raw.extend(c.encode("utf-8"))
            i += 1
            continue
        e = body[i + 1]
        if e in simple:
            raw.extend(simple[e].encode("utf-8"))
            i += 2
        elif e == "x":
            raw.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif e == "u":
            raw.extend(chr(int(body[i + 2:i + 6], 16)).encode("utf-8"))
            i += 6
        elif e == "U":
            raw.extend(chr(int(body[i + 2:i + 10], 16)).encode("utf-8"))
            i += 10
        else:
            raw.extend(chr(int(body[i + 1:i + 4], 8)).encode("latin-1"))
            i += 4
    out.append(raw.decode("utf-8", errors="replace"))
    return "".join(out)


def parse_sample_list(text):
    """promtool's `{a="b", c="d"} 1E+00, {} NaN` (or `nil`) as [(labels dict, value)]."""
    text = text.strip()
    if text == "nil":
        return []
    out, i = [], 0
    label_re = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")\s*(,|\})')
    while i < len(text):
        if text[i] != "{":
            raise ValueError("bad sample list at %r" % text[i:])
        i += 1
        labels = {}
        if text[i] == "}":
            i += 1
        else:
            while True:
                m = label_re.match(text, i)
                if not m:
                    raise ValueError("bad labels at %r" % text[i:])
                labels[m.group(1)] = go_unquote(m.group(2))
                i = m.end()
                if m.group(3) == "}":
                    break
        m = re.compile(r"\s+([^,\s]+)(,\s*)?").match(text, i)
        out.append((labels, float(m.group(1))))
        i = m.end()
    return out


def almost_equal(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b:
        return True
    diff = abs(a - b)
    if a == 0 or b == 0 or math.isinf(a) or math.isinf(b):
        return diff < TOLERANCE * 2.2250738585072014e-308
    return diff / (abs(a) + abs(b)) < TOLERANCE


def samples_agree(expected, got):
    def key(sample):
        return sorted(sample[0].items())
    expected, got = sorted(expected, key=key), sorted(got, key=key)
    return len(expected) == len(got) and all(
        e[0] == g[0] and almost_equal(e[1], g[1]) for e, g in zip(expected, got))


PROMTOOL_NOT_A_VECTOR = "rule result is not a vector or scalar"
RANGE_TYPE_ERROR = re.compile(
    r'^invalid expression type "(string|range vector)" for range query, must be Scalar or instant '
    r'Vector$')
_REPORT_RE = re.compile(r'^    expr: ("(?:[^"\\]|\\.)*"), time: (\S+?),(.*)$', re.S)


def parse_reports(stderr):
    """promtool's failures: {(expr, time ms): ("err", message) or ("diff", exp, got)}."""
    reports, chunks, current = {}, [], None
    for line in stderr.split("\n"):
        if line.startswith("    expr: "):
            current = [line]
            chunks.append(current)
        elif current is not None:
            current.append(line)
        elif line.strip() and line.strip() != "FAILED:":
            # Not about one test (a group that could not load): nothing may pass unseen.
            raise CaseError("promtool said what this script cannot read:\n" + stderr)
    for chunk in chunks:
        m = _REPORT_RE.match("\n".join(chunk).rstrip("\n"))
        if not m:
            raise CaseError("promtool said what this script cannot read:\n" + "\n".join(chunk))
        key = (go_unquote(m.group(1)), parse_duration(m.group(2)))
        rest = m.group(3)
        if rest.startswith(" err: "):
            reports[key] = ("err", rest[len(" err: "):])
            continue
        exp = re.search(r"\n        exp: (.*)\n        got: (.*)$", rest, re.S)
        if not exp:
            raise CaseError("promtool said what this script cannot read:\n" + "\n".join(chunk))
        reports[key] = ("diff", parse_sample_list(exp.group(1)), parse_sample_list(exp.group(2)))
    return reports


def split_files(groups):
    """Test groups spread over promtool files so that no file holds one (expr, time) twice:
    promtool names a failing test only by its expression and time."""
    files = []
    for group in groups:
        keys = {(c.expr, c.time_ms) for c in group[2]}
        for groups_in_file, keys_in_file in files:
            if not keys & keys_in_file:
                groups_in_file.append(group)
                keys_in_file |= keys
                break
        else:
            files.append(([group], set(keys)))
    return [g for g, _ in files]


def run_promtool(groups, path, promtool):
    write_test_file(groups, path)
    proc = subprocess.run([promtool, "test", "rules", path], capture_output=True, text=True,
                          timeout=600)
    reports = parse_reports(proc.stderr)
    if proc.returncode != 0 and not reports:
        print(proc.stdout + proc.stderr)
        return None
    return reports


def judge_range_failure(case, checks, reports):
    """An eval_fail range case fails in Prometheus when any of its steps does: at least one
    step must fail, each failing step with the case's error."""
    errors = []
    for check in checks:
        report = reports.get((check.expr, check.time_ms))
        if report is not None and report[0] == "err":
            errors.append((check, report))  # a step that answers is fine: another one fails
    where = "%s:%d: %s" % (os.path.relpath(case.path), case.line, case.expr)
    if not errors:
        return "%s\n    Prometheus: no error at any step; the case expects one" % where
    for check, report in errors:
        if not error_matches(case, report[1]):
            return "%s at %s\n    expected error: %s\n    Prometheus:     %s" % (
                where, format_duration(check.time_ms), case.error, report[1])
    return None


def error_matches(case, message):
    if case.error is None:
        return True
    if case.kind == "range" and message == PROMTOOL_NOT_A_VECTOR and RANGE_TYPE_ERROR.match(
            case.error):
        # The range API's own check (engine.go NewRangeQuery), which promtool's instant queries
        # never reach; promtool confirms the result is neither vector nor scalar.
        return True
    if case.error_is_prefix:
        return message.startswith(case.error)
    return message == case.error


def judge(check, report):
    """Why promtool's verdict on one check disagrees with the case, or None."""
    if check.control:
        if report is None or report[0] != "diff":
            return "promtool did not report the control check %s: it did not run its group" % (
                check.expr)
        return None
    where = ("%s:%d" % (os.path.relpath(check.case.path), check.case.line)
             if check.case else "(loader)")
    what = "%s at %s: %s" % (where, format_duration(check.time_ms), check.expr)
    if check.case is not None and check.case.fail:
        if report is None or report[0] != "err":
            return "%s\n    Prometheus: no error; the case expects one" % what
        if not error_matches(check.case, report[1]):
            return "%s\n    expected error: %s\n    Prometheus:     %s" % (
                what, check.case.error, report[1])
        return None
    if report is None:
        return None
    if report[0] == "err":
        return "%s\n    Prometheus fails: %s" % (what, report[1])
    expected = [(parse_labels(labels), value) for labels, value in check.samples]
    if samples_agree(expected, report[2]):
        return None
    return "%s\n    expected:   %s\n    Prometheus: %s" % (
        what, format_samples(expected), format_samples(report[2]))


def parse_labels(text):
    """A case's label text (`metric{a="b"}`, `{}`) as a dict, __name__ included."""
    m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)?(\{.*\})?$", text.strip(), re.S)
    if not m:
        raise CaseError("bad labels %r" % text)
    name, body = m.group(1), (m.group(2) or "{}")[1:-1]
    labels = {}
    for lm in re.finditer(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*")\s*,?', body):
        value = go_unquote(lm.group(2))
        if value:  # an empty value is no label, in Prometheus's storage as in our runner
            labels[lm.group(1)] = value
    if name:
        labels["__name__"] = name
    return labels


def run_file(path, promtool, directory):
    segments = parse_case_file(path)
    base = os.path.splitext(os.path.basename(path))[0]
    outcomes = []  # (groups, reports)
    for n, groups in enumerate(split_files(build_groups(segments))):
        reports = run_promtool(groups, os.path.join(directory, "%s_%d_promtool_test.yml" %
                                                    (base, n)), promtool)
        if reports is None:
            return None
        outcomes.append((groups, reports))
    failures, stats = [], {"cases": 0, "checks": 0, "fail_cases": 0, "strings": 0,
                           "known": 0}
    for segment in segments:
        for case in segment.cases:
            stats["cases"] += 1
            stats["known"] += case.known_difference
            if case.string is not None:
                stats["strings"] += 1
            stats["fail_cases"] += case.fail
    range_failures = {}  # eval_fail range case -> its steps' checks and promtool's reports
    for groups, reports in outcomes:
        for _, _, checks in groups:
            for check in checks:
                stats["checks"] += 1
                if check.case is not None and check.case.fail and check.case.kind == "range":
                    entry = range_failures.setdefault(id(check.case), (check.case, [], {}))
                    entry[1].append(check)
                    key = (check.expr, check.time_ms)
                    if key in reports:
                        entry[2][key] = reports[key]
                    continue
                failure = judge(check, reports.get((check.expr, check.time_ms)))
                if failure:
                    failures.append(failure)
    for case, checks, reports in range_failures.values():
        failure = judge_range_failure(case, checks, reports)
        if failure:
            failures.append(failure)
    return stats, failures


def format_samples(samples):
    if not samples:
        return "(none)"
    return ", ".join("%s %r" % (json.dumps(dict(sorted(l.items()))), v) for l, v in samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--promtool", default="/usr/bin/promtool")
    parser.add_argument("--keep", help="write the promtool test files into this directory")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    if not os.access(args.promtool, os.X_OK):
        # Never a silent pass: without the real promtool nothing is proven.
        print("%s not found: install Debian's prometheus package (promtool 2.42)" % args.promtool)
        return 1
    files = args.files or sorted(glob.glob(os.path.join(HERE, "*.test")))
    if not files:
        print("no case files")
        return 1
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        return check_files(files, args.promtool, args.keep)
    with tempfile.TemporaryDirectory(prefix="promql_cases_") as directory:
        return check_files(files, args.promtool, directory)


def check_files(files, promtool, directory):
    totals = {"cases": 0, "checks": 0, "fail_cases": 0, "strings": 0, "known": 0}
    all_failures = []
    for path in files:
        try:
            result = run_file(path, promtool, directory)
        except CaseError as e:
            print("invalid case file: %s" % e)
            return 1
        if result is None:
            print("%s: promtool failed outside the cases" % path)
            return 1
        stats, failures = result
        for k in totals:
            totals[k] += stats[k]
        all_failures.extend(failures)
        print("%-40s %4d cases, %5d promtool checks, %d disagreements" %
              (os.path.basename(path), stats["cases"], stats["checks"], len(failures)))
    for failure in all_failures:
        print("DISAGREES WITH PROMETHEUS: " + failure)
    print("total: %d cases (%d eval_fail checked by their error, %d known differences of our "
          "engine), %d promtool checks; skipped (string results promtool cannot return): %d; "
          "disagreements with Prometheus 2.42: %d" %
          (totals["cases"], totals["fail_cases"], totals["known"], totals["checks"],
           totals["strings"], len(all_failures)))
    return 1 if all_failures else 0


if __name__ == "__main__":
    sys.exit(main())
