"""A grammar-driven random generator of valid Prometheus 2.42 float PromQL, for differential tests.

Seeded and reproducible: Generator(schema, seed).expression() returns the same trees for the same
schema and seed. The schema is the data the queries will run over (series from /api/v1/series),
so selectors mostly match something and most queries return data.

Expressions are trees of Node objects; render() gives the text (every nested binary expression
and unary minus in parentheses, so the tree never depends on operator precedence) and
subexpressions() the children that are queries on their own, which is what a shrinker needs to
find the smallest disagreeing query.

What is covered: selectors with =, !=, =~, !~ (__name__ included), range selectors, offsets
(negative too: always on in 2.42), @ (timestamps, start(), end()), subqueries with and without a
step, every binary operator (arithmetic, comparison with and without bool, atan2, and/or/unless)
with on/ignoring and group_left/group_right where the grammar allows them, every aggregation
with by/without (before or after the body) and its parameter, every float function of 2.42 with
arguments of the right type (rate/increase/irate/resets over counters, histogram_quantile over
bucket rates summed by le), number literals (hex, exponents, Inf, NaN), string literals.
Native-histogram functions (histogram_count/sum/fraction) are out of scope.

Standard library only.
"""
import random
import re

# --- rendering helpers --------------------------------------------------------------------------

_REGEX_SPECIAL = set("\\.+*?()|[]{}^$")


def regex_escape(text):
    """RE2-safe escape of a literal (Python's re.escape escapes more than RE2 accepts)."""
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)


def string_literal(text, rng=None):
    """A PromQL string literal for `text`: double-quoted, single-quoted or raw (backticks)."""
    style = rng.random() if rng else 0.0
    if style > 0.85 and "`" not in text:
        return "`" + text + "`"
    quote = "'" if style > 0.7 else '"'
    escaped = text.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n")
    return quote + escaped + quote


def format_duration(ms):
    """Prometheus's duration syntax for `ms` (model.Duration.String())."""
    if ms == 0:
        return "0s"
    out, units = "", [("y", 365 * 86400000), ("w", 7 * 86400000), ("d", 86400000),
                      ("h", 3600000), ("m", 60000), ("s", 1000), ("ms", 1)]
    for unit, size in units:
        if ms >= size:
            out += f"{ms // size}{unit}"
            ms %= size
    return out


# --- the tree -------------------------------------------------------------------------------------

VECTOR, SCALAR, MATRIX, STRING = "vector", "scalar", "matrix", "string"


class Node:
    """A PromQL expression. `kind` is its type; render() its text."""
    kind = VECTOR

    def render(self):
        raise NotImplementedError

    def children(self):
        return []

    def subexpressions(self):
        """Every descendant that is a query on its own (any type), nearest first."""
        out = []
        for child in self.children():
            out.append(child)
        for child in self.children():
            out.extend(child.subexpressions())
        return out

    def size(self):
        return 1 + sum(child.size() for child in self.children())

    def __str__(self):
        return self.render()


class Literal(Node):
    def __init__(self, text, kind):
        self.text, self.kind = text, kind

    def render(self):
        return self.text


class Modifiers:
    """offset and @ of a selector or subquery, in either order."""

    def __init__(self, offset=None, at=None, at_first=False):
        self.offset, self.at, self.at_first = offset, at, at_first

    def render(self):
        parts = []
        if self.offset is not None:
            parts.append(f" offset {self.offset}")
        if self.at is not None:
            parts.append(f" @ {self.at}")
        if self.at_first:
            parts.reverse()
        return "".join(parts)


class Selector(Node):
    def __init__(self, name, matchers, modifiers):
        self.name, self.matchers, self.modifiers = name, matchers, modifiers

    def render(self):
        inner = ",".join(f"{label}{op}{value}" for label, op, value in self.matchers)
        text = self.name or ""
        if inner or not self.name:
            text += "{" + inner + "}"
        return text + self.modifiers.render()


class RangeSelector(Node):
    kind = MATRIX

    def __init__(self, selector, window, modifiers):
        self.selector, self.window, self.modifiers = selector, window, modifiers

    def render(self):
        return f"{self.selector.render()}[{self.window}]{self.modifiers.render()}"


class Subquery(Node):
    kind = MATRIX

    def __init__(self, expr, window, step, modifiers):
        self.expr, self.window, self.step, self.modifiers = expr, window, step, modifiers

    def children(self):
        return [self.expr]

    def render(self):
        inner = self.expr.render()
        # A selector with offset/@ or an operator expression needs parentheses before [a:b].
        if isinstance(self.expr, (Binary, Unary)) or (
                isinstance(self.expr, Selector) and self.expr.modifiers.render()):
            inner = f"({inner})"
        return f"{inner}[{self.window}:{self.step}]{self.modifiers.render()}"


class Call(Node):
    def __init__(self, name, args, kind=VECTOR):
        self.name, self.args, self.kind = name, args, kind

    def children(self):
        return [a for a in self.args if a.kind in (VECTOR, SCALAR, MATRIX)]

    def render(self):
        return f"{self.name}(" + ", ".join(a.render() for a in self.args) + ")"


class Aggregation(Node):
    def __init__(self, op, expr, param=None, grouping=None, without=False, after=False):
        self.op, self.expr, self.param = op, expr, param
        self.grouping, self.without, self.after = grouping, without, after

    def children(self):
        return [self.expr] + ([self.param] if self.param and self.param.kind == SCALAR else [])

    def render(self):
        args = ([self.param.render()] if self.param else []) + [self.expr.render()]
        body = f"({', '.join(args)})"
        if self.grouping is None:
            return self.op + body
        clause = ("without" if self.without else "by") + " (" + ", ".join(self.grouping) + ")"
        return f"{self.op} {body} {clause}" if self.after else f"{self.op} {clause} {body}"


class Binary(Node):
    def __init__(self, op, lhs, rhs, kind, bool_=False, matching=None, group=None):
        self.op, self.lhs, self.rhs, self.kind = op, lhs, rhs, kind
        self.bool, self.matching, self.group = bool_, matching, group

    def children(self):
        return [self.lhs, self.rhs]

    def render(self):
        modifier = ""
        if self.bool:
            modifier += " bool"
        if self.matching:
            how, labels = self.matching
            modifier += f" {how} (" + ", ".join(labels) + ")"
        if self.group:
            side, labels = self.group
            modifier += f" {side}" + (" (" + ", ".join(labels) + ")" if labels is not None else "")
        return f"{_operand(self.lhs)} {self.op}{modifier} {_operand(self.rhs)}"


class Unary(Node):
    def __init__(self, op, expr):
        self.op, self.expr, self.kind = op, expr, expr.kind

    def children(self):
        return [self.expr]

    def render(self):
        return f"{self.op}{_operand(self.expr)}"


class Paren(Node):
    def __init__(self, expr):
        self.expr, self.kind = expr, expr.kind

    def children(self):
        return [self.expr]

    def render(self):
        return f"({self.expr.render()})"


def _operand(node):
    text = node.render()
    if isinstance(node, (Binary, Unary)):
        return f"({text})"
    return text


# --- the data the queries run over ---------------------------------------------------------------

MAX_SUBQUERY_STEPS = 120


def _duration_ms(text):
    """ms of a duration like 1h30m, 5m, 10s, 100ms (the units the generator writes)."""
    total = 0
    for number, unit in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", text):
        total += int(number) * {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000,
                                "w": 604800000, "y": 31536000000}[unit]
    return total


class Schema:
    """What the generated queries select from.

    series: label dicts (with __name__) as /api/v1/series answers; counters: names that are
    counters (also every name ending in _total, _count, _sum or _bucket); universe: every metric
    name the queried servers hold, so a __name__ regex is only used when it selects data names and
    nothing else; windows/steps/offsets: duration texts that suit the data's sample interval;
    times: unix seconds usable after @.
    """

    def __init__(self, series, counters=(), universe=(), windows=("30s", "1m", "2m", "5m"),
                 steps=("", "5s", "10s", "15s"), offsets=("10s", "30s", "1m", "-15s"),
                 times=()):
        self.by_name = {}
        for labels in series:
            name = labels["__name__"]
            self.by_name.setdefault(name, []).append(
                {k: v for k, v in labels.items() if k != "__name__"})
        self.names = sorted(self.by_name)
        counter_names = set(counters)
        self.counters = [n for n in self.names if n in counter_names or
                         n.endswith(("_total", "_count", "_sum", "_bucket"))]
        self.gauges = [n for n in self.names if n not in self.counters]
        self.histograms = sorted(n[:-len("_bucket")] for n in self.names
                                 if n.endswith("_bucket") and
                                 all("le" in s for s in self.by_name[n]))
        self.windows, self.steps, self.offsets = list(windows), list(steps), list(offsets)
        self.default_subquery_step_ms = 60000  # Prometheus's default evaluation_interval
        self.times = list(times)
        universe = set(universe) | set(self.names)
        self.name_regexes = self._safe_name_regexes(universe)

    def labels_of(self, name):
        """{label: sorted values} over the series of `name`."""
        out = {}
        for labels in self.by_name[name]:
            for k, v in labels.items():
                out.setdefault(k, set()).add(v)
        return {k: sorted(v) for k, v in out.items()}

    def _safe_name_regexes(self, universe):
        """{regex: names it selects} for prefix regexes that select only data names."""
        names = set(self.names)
        out = {}
        for name in self.names:
            parts = name.split("_")
            for i in range(1, len(parts)):
                prefix = "_".join(parts[:i]) + "_"
                selected = {n for n in universe if n.startswith(prefix)}
                if selected and selected <= names:
                    out[regex_escape(prefix) + ".*"] = sorted(selected)
        return out


# --- the generator -------------------------------------------------------------------------------

_MATH = ["abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "acos", "acosh",
         "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg",
         "rad"]
_OVER_TIME = ["avg_over_time", "min_over_time", "max_over_time", "sum_over_time",
              "count_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
              "present_over_time", "changes", "delta", "idelta", "deriv", "absent_over_time"]
_COUNTER_FUNCS = ["rate", "increase", "irate", "resets"]
_DATE_FUNCS = ["day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute",
               "month", "year"]
_ARITH = ["+", "-", "*", "/", "%", "^", "atan2"]
_COMPARE = ["==", "!=", ">", "<", ">=", "<="]
_SET = ["and", "or", "unless"]
_AGGS = ["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
         "bottomk", "topk", "quantile"]


class Generator:
    """Random valid PromQL over `schema`, reproducible from `seed`."""

    def __init__(self, schema, seed, max_depth=4):
        self.schema, self.rng, self.max_depth = schema, random.Random(seed), max_depth

    # Top level ---------------------------------------------------------------------------------

    def expression(self, kinds=(VECTOR, VECTOR, VECTOR, VECTOR, VECTOR, VECTOR, SCALAR)):
        """One expression whose type is drawn from `kinds` (mostly vectors)."""
        kind = self.rng.choice(list(kinds))
        depth = self.rng.randint(1, self.max_depth)
        if kind == SCALAR:
            return self.scalar(depth)
        if kind == MATRIX:
            return self.matrix(depth)
        if kind == STRING:
            return Literal(string_literal(self.rng.choice(["a", "x y", "q\"uote", "ü"]), self.rng),
                           STRING)
        return self.vector(depth)

    # Leaves ------------------------------------------------------------------------------------

    def number(self):
        r = self.rng.random()
        if r < 0.45:
            return Literal(str(self.rng.choice([0, 1, 2, 3, 5, 10, 100, 1000])), SCALAR)
        if r < 0.75:
            return Literal(repr(round(self.rng.uniform(-5, 50), self.rng.choice([1, 2, 3]))),
                           SCALAR)
        return Literal(self.rng.choice(["0.5", "0.25", "1e3", "2.5e-1", "0x1f", "0X0A", "Inf",
                                        "+Inf", "NaN", "-1", ".5", "1E-2"]), SCALAR)

    def modifiers(self, allow=True):
        if not allow:
            return Modifiers()
        offset = at = None
        if self.rng.random() < 0.15:
            offset = self.rng.choice(self.schema.offsets)
        if self.rng.random() < 0.12:
            choices = ["start()", "end()"]
            if self.schema.times:
                t = self.rng.choice(self.schema.times)
                choices += [_format_time(t), _format_time(t), repr(float(t))]
            at = self.rng.choice(choices)
        return Modifiers(offset, at, self.rng.random() < 0.5)

    def matchers(self, name):
        """(metric name or None, [(label, op, literal)]) for a selector of `name`'s series."""
        rng, labels = self.rng, self.schema.labels_of(name)
        out, selector_name = [], name
        r = rng.random()
        if r < 0.08:
            selector_name = None
            out.append(("__name__", "=", string_literal(name, rng)))
        elif r < 0.14:
            regexes = [rx for rx, names in self.schema.name_regexes.items() if name in names]
            if regexes:
                selector_name = None
                out.append(("__name__", "=~", string_literal(rng.choice(regexes), rng)))
        n = rng.choice([0, 0, 1, 1, 1, 2])
        for label in rng.sample(sorted(labels), min(n, len(labels))):
            values = labels[label]
            op = rng.choice(["=", "=", "!=", "=~", "=~", "!~"])
            if op == "=":
                value = rng.choice(values) if rng.random() < 0.95 else "nope"
            elif op == "!=":
                value = rng.choice(values + [""])
            else:
                picked = rng.sample(values, min(len(values), rng.choice([1, 2])))
                value = "|".join(regex_escape(v) for v in picked)
                if rng.random() < 0.25 and picked[0]:
                    value = regex_escape(picked[0][:1]) + ".*"
                if op == "!~" and len(picked) == len(values) and rng.random() < 0.8:
                    value = regex_escape(values[0])
            out.append((label, op, string_literal(value, rng)))
        if rng.random() < 0.05:
            out.append(("not_a_label", "=", '""'))  # matches series without the label
        if selector_name is None and not out:
            selector_name = name
        return selector_name, out

    def selector(self, names=None, allow_modifiers=True):
        name = self.rng.choice(names or self.schema.names)
        selector_name, matchers = self.matchers(name)
        return Selector(selector_name, matchers, self.modifiers(allow_modifiers))

    # Matrices ----------------------------------------------------------------------------------

    def matrix(self, depth, counters=False):
        """A range vector: a range selector, or (less often) a subquery."""
        rng = self.rng
        names = self.schema.counters if counters and self.schema.counters else None
        if depth > 1 and rng.random() < 0.2:
            inner = self.counter_vector(depth - 1) if counters else self.vector(depth - 1)
            step = rng.choice(self.schema.steps)
            # At most MAX_SUBQUERY_STEPS inner steps per evaluation: the test is about
            # semantics, and a range query multiplies them by its own steps.
            step_ms = _duration_ms(step) if step else self.schema.default_subquery_step_ms
            windows = [w for w in self.schema.windows
                       if _duration_ms(w) // step_ms <= MAX_SUBQUERY_STEPS]
            return Subquery(inner, rng.choice(windows or self.schema.windows[:1]), step,
                            self.modifiers())
        selector = self.selector(names, allow_modifiers=False)
        return RangeSelector(selector, rng.choice(self.schema.windows), self.modifiers())

    def counter_vector(self, depth):
        """A vector whose samples behave like counters (for subqueries under rate())."""
        if depth > 1 and self.rng.random() < 0.3:
            return Aggregation("sum", self.selector(self.schema.counters),
                               grouping=self.grouping_for(self.schema.counters[0]))
        return self.selector(self.schema.counters or None)

    # Scalars -----------------------------------------------------------------------------------

    def scalar(self, depth):
        rng = self.rng
        r = rng.random()
        if depth <= 0 or r < 0.45:
            return self.number()
        if r < 0.6:
            return Call("scalar", [self.vector(depth - 1)], SCALAR)
        if r < 0.68:
            return Call(rng.choice(["time", "pi"]), [], SCALAR)
        if r < 0.78:
            return Unary("-", self.scalar(depth - 1))
        if r < 0.83:
            return Paren(self.scalar(depth - 1))
        op = rng.choice(_ARITH + _COMPARE)
        return Binary(op, self.scalar(depth - 1), self.scalar(depth - 1), SCALAR,
                      bool_=op in _COMPARE)

    def small_scalar(self, depth, low, high):
        """A scalar argument, usually a literal in [low, high]."""
        if depth > 1 and self.rng.random() < 0.1:
            return self.scalar(depth - 1)
        value = round(self.rng.uniform(low, high), 2)
        return Literal(repr(value), SCALAR)

    # Vectors -----------------------------------------------------------------------------------

    def vector(self, depth):
        rng = self.rng
        if depth <= 0:
            return self.selector() if rng.random() < 0.6 else self.range_function(0)
        choice = rng.choices(
            ["selector", "range_function", "function", "aggregation", "binary", "set",
             "histogram", "label", "unary", "paren", "vector_of_scalar"],
            weights=[10, 16, 18, 14, 14, 5, 5, 5, 2, 2, 2])[0]
        return getattr(self, "_" + choice)(depth)

    def _selector(self, depth):
        return self.selector()

    def _range_function(self, depth):
        return self.range_function(depth)

    def range_function(self, depth):
        rng = self.rng
        r = rng.random()
        if r < 0.4 and self.schema.counters:
            return Call(rng.choice(_COUNTER_FUNCS), [self.matrix(depth, counters=True)])
        if r < 0.8:
            return Call(rng.choice(_OVER_TIME), [self.matrix(depth)])
        which = rng.choice(["quantile_over_time", "predict_linear", "holt_winters"])
        if which == "quantile_over_time":
            return Call(which, [self.small_scalar(depth, -0.2, 1.2), self.matrix(depth)])
        if which == "predict_linear":
            return Call(which, [self.matrix(depth), self.small_scalar(depth, -60, 600)])
        return Call(which, [self.matrix(depth), self.small_scalar(depth, 0.05, 0.95),
                            self.small_scalar(depth, 0.05, 0.95)])

    def _function(self, depth):
        rng = self.rng
        inner = self.vector(depth - 1)
        r = rng.random()
        if r < 0.3:
            return Call(rng.choice(_MATH), [inner])
        if r < 0.38:
            args = [inner] + ([self.small_scalar(depth, 0.01, 10)] if rng.random() < 0.6 else [])
            return Call("round", args)
        if r < 0.5:
            which = rng.choice(["clamp", "clamp_max", "clamp_min"])
            if which == "clamp":
                low = self.small_scalar(depth, -10, 50)
                return Call(which, [inner, low, self.small_scalar(depth, -10, 100)])
            return Call(which, [inner, self.small_scalar(depth, -10, 100)])
        if r < 0.65:
            which = rng.choice(_DATE_FUNCS)
            if rng.random() < 0.3:
                return Call(which, [])
            arg = rng.choice([Call("timestamp", [inner]), Call("vector", [Call("time", [],
                                                                              SCALAR)]), inner])
            return Call(which, [arg])
        if r < 0.75:
            return Call(rng.choice(["sort", "sort_desc"]), [inner])
        if r < 0.83:
            return Call("timestamp", [inner])
        if r < 0.93:
            return Call("absent", [inner])
        return Call("absent_over_time", [self.matrix(depth)])

    def grouping_for(self, name, vector=None):
        labels = sorted(self.schema.labels_of(name))
        extra = ["__name__", "nope"] if self.rng.random() < 0.1 else []
        pool = labels + extra
        k = self.rng.randint(0, min(len(pool), 2))
        return self.rng.sample(pool, k)

    def _aggregation(self, depth):
        rng = self.rng
        name = rng.choice(self.schema.names)
        if rng.random() < 0.5:
            inner = self.selector([name])
        else:
            inner = self.vector(depth - 1)
            name = _first_name(inner) or name
        op = rng.choice(_AGGS)
        param = None
        if op in ("topk", "bottomk"):
            param = Literal(str(rng.choice([1, 1, 2, 3, 5])), SCALAR) if rng.random() < 0.9 \
                else self.scalar(depth - 1)
        elif op == "quantile":
            param = self.small_scalar(depth, -0.1, 1.1)
        elif op == "count_values":
            param = Literal(string_literal(rng.choice(["value", "v", "le", "code"]), rng), STRING)
        grouping, without, after = None, False, False
        if rng.random() < 0.75:
            grouping = self.grouping_for(name)
            without = rng.random() < 0.3
            after = rng.random() < 0.3
        return Aggregation(op, inner, param, grouping, without, after)

    def _binary(self, depth):
        rng = self.rng
        r = rng.random()
        op = rng.choice(_ARITH + _COMPARE)
        bool_ = op in _COMPARE and rng.random() < 0.5
        if r < 0.4:  # vector op scalar, or scalar op vector
            vector, scalar = self.vector(depth - 1), self.scalar(depth - 1)
            lhs, rhs = (vector, scalar) if rng.random() < 0.6 else (scalar, vector)
            return Binary(op, lhs, rhs, VECTOR, bool_=bool_)
        lhs, rhs, matching, group = self.matched_pair(depth, allow_group=True)
        return Binary(op, lhs, rhs, VECTOR, bool_=bool_, matching=matching, group=group)

    def matched_pair(self, depth, allow_group):
        """Two vectors with a vector matching that mostly pairs series up."""
        rng = self.rng
        name = rng.choice(self.schema.names)
        labels = sorted(self.schema.labels_of(name))
        r = rng.random()
        if r < 0.35 or not labels:
            # Same series on both sides (one-to-one), maybe transformed.
            lhs = self.same_series(name, depth)
            rhs = self.same_series(name, depth)
            if rng.random() < 0.3:
                return lhs, rhs, ("ignoring", rng.sample(labels, min(1, len(labels)))), None
            return lhs, rhs, None, None
        keep = rng.sample(labels, rng.randint(1, min(2, len(labels))))
        many = self.same_series(name, depth)
        other = rng.choice(self.schema.names)
        one = Aggregation(rng.choice(["sum", "max", "min", "avg", "count"]),
                          self.same_series(other if rng.random() < 0.3 else name, depth),
                          grouping=keep)
        if not allow_group or rng.random() < 0.3:
            a, b = (self.selector([name]), self.selector([name])) if r < 0.5 else (one, Aggregation(
                "sum", self.same_series(name, depth), grouping=keep))
            return a, b, ("on", keep), None
        extra = [l for l in labels if l not in keep]
        copied = rng.sample(extra, min(len(extra), rng.randint(0, 1))) if rng.random() < 0.5 else \
            ([] if rng.random() < 0.5 else None)
        if rng.random() < 0.5:
            return many, one, ("on", keep), ("group_left", copied)
        return one, many, ("on", keep), ("group_right", copied)

    def same_series(self, name, depth):
        """A vector with the series of `name` (possibly transformed, labels kept)."""
        rng = self.rng
        base = self.selector([name])
        r = rng.random()
        if depth <= 1 or r < 0.5:
            return base
        if r < 0.8:
            window = rng.choice(self.schema.windows)
            func = rng.choice(_COUNTER_FUNCS if name in self.schema.counters else _OVER_TIME)
            base.modifiers = Modifiers()
            return Call(func, [RangeSelector(base, window, self.modifiers())])
        return Call(rng.choice(["abs", "ceil", "sqrt", "ln"]), [base])

    def _set(self, depth):
        rng = self.rng
        op = rng.choice(_SET)
        if rng.random() < 0.5:
            lhs, rhs, matching, _ = self.matched_pair(depth, allow_group=False)
        else:
            lhs, rhs, matching = self.vector(depth - 1), self.vector(depth - 1), None
            if rng.random() < 0.3:
                matching = (rng.choice(["on", "ignoring"]), self.grouping_for(
                    rng.choice(self.schema.names)))
        return Binary(op, lhs, rhs, VECTOR, matching=matching)

    def _histogram(self, depth):
        rng = self.rng
        if not self.schema.histograms:
            return self.selector()
        base = rng.choice(self.schema.histograms)
        bucket = base + "_bucket"
        labels = [l for l in self.schema.labels_of(bucket) if l != "le"]
        phi = self.small_scalar(depth, -0.1, 1.1) if rng.random() < 0.2 else \
            Literal(rng.choice(["0.5", "0.9", "0.99", "0.95", "0", "1", "0.75"]), SCALAR)
        selector = self.selector([bucket], allow_modifiers=False)
        r = rng.random()
        if r < 0.2:
            body = Selector(selector.name, selector.matchers, self.modifiers())
            return Call("histogram_quantile", [phi, body])
        rate = Call(rng.choice(["rate", "increase", "irate"]),
                    [RangeSelector(selector, rng.choice(self.schema.windows), self.modifiers())])
        if r < 0.35:
            return Call("histogram_quantile", [phi, rate])
        by = ["le"] + rng.sample(labels, rng.randint(0, min(1, len(labels))))
        if rng.random() < 0.2:
            agg = Aggregation("sum", rate, grouping=[l for l in labels if l not in by],
                              without=True)
        else:
            agg = Aggregation("sum", rate, grouping=by, after=rng.random() < 0.3)
        return Call("histogram_quantile", [phi, agg])

    def _label(self, depth):
        rng = self.rng
        inner = self.vector(depth - 1)
        name = _first_name(inner)
        labels = sorted(self.schema.labels_of(name)) if name else []
        source = rng.choice(labels + ["__name__", "nope"])
        if rng.random() < 0.6:
            regex = rng.choice(["(.*)", "(.)(.*)", ".*", "(.+)_(.*)", "x(.*)", "([a-z]+).*", ""])
            return Call("label_replace", [
                inner, Literal(string_literal(rng.choice(["dst", source, "__name__", "le"])
                                              if source != "__name__" or rng.random() < 0.5
                                              else "dst", rng), STRING),
                Literal(string_literal(rng.choice(["$1", "${1}-$2", "x", "", "$2$1"]), rng),
                        STRING),
                Literal(string_literal(source, rng), STRING),
                Literal(string_literal(regex, rng), STRING)])
        sources = rng.sample(labels + ["__name__"], min(len(labels) + 1, rng.randint(0, 3)))
        return Call("label_join", [inner, Literal(string_literal(
            rng.choice(["joined", "dst"] + labels[:1]), rng), STRING),
            Literal(string_literal(rng.choice(["-", ",", ""]), rng), STRING)] +
            [Literal(string_literal(s, rng), STRING) for s in sources])

    def _unary(self, depth):
        return Unary(self.rng.choice(["-", "+"]), self.vector(depth - 1))

    def _paren(self, depth):
        return Paren(self.vector(depth - 1))

    def _vector_of_scalar(self, depth):
        return Call("vector", [self.scalar(depth - 1)])


def _first_name(node):
    """The metric name of the first selector under `node`, or None."""
    if isinstance(node, Selector):
        if node.name:
            return node.name
        return None
    if isinstance(node, RangeSelector):
        return _first_name(node.selector)
    for child in node.children():
        name = _first_name(child)
        if name:
            return name
    return None


def _format_time(t):
    """Unix seconds as PromQL writes a timestamp after @ (millisecond precision)."""
    ms = int(round(t * 1000))
    return f"{ms // 1000}.{ms % 1000:03d}" if ms % 1000 else str(ms // 1000)


def walk_selectors(node):
    """Every Selector in the tree (for tests that check what queries touch)."""
    if isinstance(node, Selector):
        yield node
    if isinstance(node, RangeSelector):
        yield node.selector
    for child in node.children():
        yield from walk_selectors(child)



_MUTATION_TOKENS = ["(", ")", ",", "{", "}", "[", "]", "[5m]", "[1m:]", '"', "'", "by", "offset",
                    "offset 5m", "@", "@ start()", "bool", "on ()", "group_left", "sum", "rate",
                    "1", "-", "==", "=~", "!", ":", "5m", "and", "or", "#c\n", "0x", "1e", "\\",
                    "ü", "`", "=", "topk", "histogram_quantile(", "label_replace"]


def mutate(text, rng):
    """`text` with one random edit (a character dropped or doubled, a token inserted, the end cut
    off): mostly an invalid query, to compare parse errors and their positions."""
    if not text:
        return "("
    pos = rng.randrange(len(text) + 1)
    r = rng.random()
    if r < 0.3 and pos < len(text):
        return text[:pos] + text[pos + 1:]
    if r < 0.45 and pos < len(text):
        return text[:pos] + text[pos] + text[pos:]
    if r < 0.55:
        return text[:pos]
    token = rng.choice(_MUTATION_TOKENS)
    return text[:pos] + rng.choice(["", " "]) + token + rng.choice(["", " "]) + text[pos:]
