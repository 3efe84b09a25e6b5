"""Comparing two PromQL HTTP APIs' answers (Prometheus's JSON shapes), and shrinking a
disagreeing generated expression to its smallest disagreeing subexpression. Standard library only.
"""
import json
import math

RELATIVE_TOLERANCE = 1e-9
# Below this, two values count as equal whatever their ratio: sums that cancel to zero in one
# engine leave ~1e-16 of rounding in another (float addition is not associative), and the issue's
# 1e-9 relative bound has no meaning for a value that is all rounding.
ABSOLUTE_TOLERANCE = 1e-12


def values_agree(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    difference = abs(a - b)
    return difference <= ABSOLUTE_TOLERANCE or \
        difference <= RELATIVE_TOLERANCE * max(abs(a), abs(b))


def _labels(metric):
    return tuple(sorted(metric.items()))


def normalize(status, answer):
    """A comparable form of one answer: ("error", errorType, message, HTTP status) or
    ("success", resultType, result) with series keyed by their label sets."""
    if not isinstance(answer, dict) or answer.get("status") != "success":
        answer = answer if isinstance(answer, dict) else {}
        return ("error", answer.get("errorType"), answer.get("error", answer.get("body")), status)
    data = answer["data"]
    kind, result = data["resultType"], data["result"]
    if kind in ("scalar", "string"):
        return ("success", kind, (result[0], result[1]))
    rows = []
    for series in result:
        labels = _labels(series["metric"])
        if kind == "vector":
            rows.append((labels, [(series["value"][0], series["value"][1])]))
        else:
            # None: a series without "values" (a shape difference compare() reports).
            values = series.get("values")
            rows.append((labels, None if values is None else [(t, v) for t, v in values]))
    return ("success", kind, rows)


def _float_labels(key):
    """`key` with label values that are numbers rounded to 12 significant digits."""
    out = []
    for name, value in key:
        try:
            out.append((name, f"{float(value):.12g}"))
        except ValueError:
            out.append((name, value))
    return tuple(out)


def compare(mine, theirs, ordered=False, numeric_labels=False):
    """None if the two normalized answers agree, else a one-line reason. numeric_labels: label
    values that are numbers (count_values writes values as labels) agree as values do."""
    if numeric_labels and mine[0] == theirs[0] == "success" and mine[1] == theirs[1] and \
            mine[1] in ("vector", "matrix"):
        rounded_mine = [(_float_labels(k), p) for k, p in mine[2]]
        rounded_theirs = [(_float_labels(k), p) for k, p in theirs[2]]
        # Only where rounding keeps every label set apart (values a few ulps apart may be
        # distinct labels of one answer).
        if all(len({k for k, _ in rows}) == len(rows)
               for rows in (rounded_mine, rounded_theirs)) and \
                len({k for k, _ in mine[2]}) == len(mine[2]):
            mine = mine[:2] + (rounded_mine,)
            theirs = theirs[:2] + (rounded_theirs,)
    if mine[0] != theirs[0]:
        return f"one errs, the other does not: {mine[:3]!r} vs {theirs[:3]!r}"[:600]
    if mine[0] == "error":
        if mine[1] != theirs[1]:
            return f"errorType {mine[1]} vs {theirs[1]}"
        if mine[3] != theirs[3]:
            return f"HTTP status {mine[3]} vs {theirs[3]}"
        if mine[1] == "bad_data" and mine[2] != theirs[2]:
            return f"error {mine[2]!r} vs {theirs[2]!r}"
        return None
    if mine[1] != theirs[1]:
        return f"resultType {mine[1]} vs {theirs[1]}"
    if mine[1] in ("scalar", "string"):
        (t1, v1), (t2, v2) = mine[2], theirs[2]
        if t1 != t2:
            return f"time {t1} vs {t2}"
        if mine[1] == "string":
            return None if v1 == v2 else f"string {v1!r} vs {v2!r}"
        return None if values_agree(float(v1), float(v2)) else f"value {v1} vs {v2}"
    rows_mine, rows_theirs = mine[2], theirs[2]
    keys_mine, keys_theirs = [k for k, _ in rows_mine], [k for k, _ in rows_theirs]
    if len(set(keys_mine)) != len(keys_mine):
        return "metricsd answers one label set twice"
    if sorted(keys_mine) != sorted(keys_theirs):
        only_mine = sorted(set(keys_mine) - set(keys_theirs))[:3]
        only_theirs = sorted(set(keys_theirs) - set(keys_mine))[:3]
        return (f"label sets differ ({len(keys_mine)} vs {len(keys_theirs)}): only metricsd "
                f"{_show(only_mine)}, only Prometheus {_show(only_theirs)}")
    if ordered:
        # sort()/sort_desc() order by value; series with equal values may come in any order.
        order_mine = [float(points[0][1]) for _, points in rows_mine]
        order_theirs = [float(points[0][1]) for _, points in rows_theirs]
        if not all(values_agree(a, b) for a, b in zip(order_mine, order_theirs)):
            return f"order differs under sort()/sort_desc(): {order_mine[:8]} vs {order_theirs[:8]}"
    theirs_by_key = dict(rows_theirs)
    for key, points in rows_mine:
        other = theirs_by_key[key]
        if points is None or other is None:
            if points is not other:
                return f'{_show([key])}: "values" missing from one answer'
            continue
        if [t for t, _ in points] != [t for t, _ in other]:
            missing = sorted(set(t for t, _ in other) - set(t for t, _ in points))[:3]
            extra = sorted(set(t for t, _ in points) - set(t for t, _ in other))[:3]
            return (f"{_show([key])}: timestamps differ ({len(points)} vs {len(other)} points; "
                    f"only Prometheus {missing}, only metricsd {extra})")
        for (t, v1), (_, v2) in zip(points, other):
            if not values_agree(float(v1), float(v2)):
                return f"{_show([key])} at {t}: {v1} vs {v2}"
    return None


def same_values_per_step(mine, theirs):
    """True if two successful vector/matrix answers hold, at every timestamp, the same values
    (as a multiset, labels aside): what topk/bottomk answers agree on when ties are broken
    differently."""
    if not (mine[0] == theirs[0] == "success" and mine[1] == theirs[1] and
            mine[1] in ("vector", "matrix")):
        return False

    def by_step(rows):
        steps = {}
        for _, points in rows:
            for t, v in points or []:
                steps.setdefault(t, []).append(float(v))
        return {t: sorted(vs, key=lambda v: (math.isnan(v), v)) for t, vs in steps.items()}

    a, b = by_step(mine[2]), by_step(theirs[2])
    return a.keys() == b.keys() and all(
        len(a[t]) == len(b[t]) and all(values_agree(x, y) for x, y in zip(a[t], b[t]))
        for t in a)


def _show(keys):
    return ", ".join("{" + ",".join(f'{k}="{v}"' for k, v in key) + "}" for key in keys) or "-"


def shrink(node, disagrees, budget=60):
    """The smallest subexpression of `node` (or `node`) for which disagrees(expr) is true,
    trying at most `budget` candidates, smallest first."""
    candidates = sorted(node.subexpressions(), key=lambda n: (n.size(), len(n.render())))
    seen = set()
    for candidate in candidates:
        text = candidate.render()
        if text in seen:
            continue
        seen.add(text)
        if len(seen) > budget:
            break
        if disagrees(candidate):
            return candidate
    return node


def brief(answer, limit=1500):
    """An answer as compact JSON, cut at `limit` characters."""
    text = json.dumps(answer, separators=(",", ":"))
    return text if len(text) <= limit else text[:limit] + "..."
