"""Random configs get the same verdict from the loader and from the JSON Schema.

Configs are built from config/schema/metricsd.schema.json (generated from the declarations and
checked against `metricsd --print-config-schema` by the ctest config_schema_generated): a base
config that loads, plus random schema-valid values for every key the schema can judge (booleans,
integers and sizes within bounds, enums, durations, numbers, nulls), then mutated once or not:
an unknown key at some depth, a mapping or sequence where a scalar is wanted, a string where an
integer or boolean is wanted, an integer out of bounds, a bad enum value, a bad duration. Each goes
through `metricsd --check-config` and jsonschema's Draft7Validator; the verdicts must agree.
The seed is fixed (printed; METRICSD_PROPERTY_SEED overrides it) and the number of cases bounded.
The hand-written schemas (web-config, rule and mapping files) get a table of cases instead
(IncludedFiles). Disagreements this test found are kept as regression cases in
FormerDisagreements.

Run with Debian's /usr/bin/python3 (python3-jsonschema), not a pyenv python3.

Left out of generated valid configs, because the schema cannot judge them (the loader checks them
at load besides types and bounds), so they keep the base config's values:
- free-form strings: regex syntax (device_exclude, fs_types_exclude, fail_if_body_*regexp,
  mapping match with match_type regex), file existence (config_file, mapping_file, rule_files,
  pidfile, password_file, ca_file, procfs/sysfs/rootfs), listen addresses (listen_address,
  statsd listeners), URL syntax beyond the ^https?:// pattern, label and metric names;
- cross-key checks: probe timeout < interval, the keys each probe type requires or allows (url,
  address, unit, process_id; cache_bust and expect only for ao_dryrun), exactly one of
  udp/tcp/unixgram per listener, basic_auth password vs password_file, bearer_token vs
  bearer_token_file, buckets strictly increasing, a mapping's observer_type/timer_type vs its
  histogram_options/summary_options (a mapping's default observer is a summary), match_type
  regex vs the match's syntax; analytics' method blocks (PromQL keys, steps and windows bounded
  by each other); the StatsD relay's health check timeout vs its interval, the limits' windows
  vs their interval, scaling targets, remote_write endpoints;
- duration bounds other than "greater than 0" (host.interval and probe intervals >= 100ms,
  history's intervals and retentions): no JSON Schema keyword checks them on a string; the
  schema states them as x-minimumMilliseconds/x-maximumMilliseconds annotations, which the
  valid-config generator keeps to.
"""
import copy
import json
import os
import random
import subprocess
import tempfile
import unittest
from pathlib import Path

import jsonschema

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("METRICSD_SOURCE_DIR", HERE.parent.parent)).resolve()
BIN = os.environ.get("METRICSD_BIN", str(ROOT / "build" / "daemon" / "metricsd"))
SCHEMA = json.loads((ROOT / "config" / "schema" / "metricsd.schema.json").read_text())
SEED = int(os.environ.get("METRICSD_PROPERTY_SEED", "20261202"))
# METRICSD_PROPERTY_CASES=VALID,MUTATED: fewer under sanitizers, where each --check-config run
# costs ~20 times as much (the verdicts do not depend on the build; the loader's memory safety
# on such inputs is what the sanitizer run adds).
VALID_CASES, MUTATED_CASES = (int(n) for n in
                              os.environ.get("METRICSD_PROPERTY_CASES", "120,240").split(","))
CHECK_TIMEOUT = 30

# Loads as is; arrays hold one item the random values go into.
BASE = {
    "web": {"listen_address": "127.0.0.1:9102"},
    "host": {"enabled": True, "processes": [{"name": "x", "comm": "x"}]},
    "statsd": {"enabled": True, "listeners": [{"udp": "127.0.0.1:9125"}],
               "mappings": [{"match": "a.*", "name": "a_total"}]},
    "probes": {"targets": [{"type": "http", "url": "http://127.0.0.1:1/"}]},
    "alerting": {"alertmanagers": [{"url": "http://127.0.0.1:9093"}],
                 "webhooks": [{"url": "http://127.0.0.1:1/hook"}]},
}
# Keys (and everything below them) whose values stay the base config's in valid configs:
# cross-key checks (see the docstring). Mutations still reach them.
FIXED = [("probes", "targets", 0, "type"), ("probes", "targets", 0, "unit"),
         ("probes", "targets", 0, "interval"), ("probes", "targets", 0, "timeout"),
         ("probes", "targets", 0, "cache_bust"), ("probes", "targets", 0, "expect"),
         ("probes", "defaults", "interval"), ("probes", "defaults", "timeout"),
         ("probes", "defaults", "buckets"), ("probes", "targets", 0, "buckets"),
         ("statsd", "mappings", 0, "match_type"), ("statsd", "defaults", "match_type"),
         ("statsd", "mappings", 0, "action"),
         # summary observer vs histogram_options, histogram observer vs summary_options
         ("statsd", "mappings", 0, "observer_type"), ("statsd", "defaults", "observer_type"),
         ("statsd", "mappings", 0, "timer_type"), ("statsd", "defaults", "timer_type"),
         # a mapping's default observer is a summary: histogram_options would conflict
         ("statsd", "mappings", 0, "histogram_options"),
         # analytics' methods: PromQL keys, and steps, windows and horizons bounded by each
         # other (leaks.step <= min_duration / 6, critical_within <= warn_within <= horizon, ...)
         ("analytics", "watches"), ("analytics", "source"), ("analytics", "baseline"),
         ("analytics", "regression"), ("analytics", "trends"), ("analytics", "forecast"),
         ("analytics", "capacity"), ("analytics", "leaks"), ("analytics", "bottlenecks"),
         ("analytics", "ux"), ("analytics", "impact"), ("analytics", "cost"),
         ("analytics", "reports"),
         # issue 16: health_check_timeout <= health_check_interval; limits' windows >= interval;
         # scaling targets (PromQL, exactly one of current_replicas/current_expr, min <= max);
         # remote_write (min_shards <= max_shards, auth exclusivity, relabel actions' keys)
         ("statsd", "relay"), ("limits",), ("scaling",), ("remote_write",),
         # issue 17: node_exporter's include and exclude flags exclude each other
         ("host", "netdev", "device_include"), ("host", "arp", "device_include")]
DURATIONS = ["1s", "250ms", "1m30s", "2h", "1d", "15s", "1w", "10m"]
DURATION_MS = {"1s": 1000, "250ms": 250, "1m30s": 90000, "2h": 7200000, "1d": 86400000,
               "15s": 15000, "1w": 604800000, "10m": 600000}
BAD_DURATIONS = ["5 seconds", "1.5s", "-1s", "5", "1x", "s", "10 m", ""]


def resolve(node):
    while "$ref" in node:
        node = SCHEMA["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def types_of(node):
    t = node.get("type", [])
    return set(t if isinstance(t, list) else [t])


def is_duration(node):
    return "pattern" in node and node["pattern"].startswith("^(0|") and "string" in types_of(node)


def slots(node, path, value):
    """(path, schema) of every key below the object `value` (present or not), arrays entered
    through their existing items."""
    node = resolve(node)
    out = []
    if isinstance(value, dict):
        for key, sub in node.get("properties", {}).items():
            out.append((path + (key,), resolve(sub)))
            child = value.get(key)
            if isinstance(child, (dict, list)):
                out += slots(sub, path + (key,), child)
            elif child is None and "object" in types_of(resolve(sub)):
                out += slots(sub, path + (key,), {})
    elif isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            out.append((path + (i,), resolve(node["items"])))
            out += slots(node["items"], path + (i,), item)
    return out


def put(config, path, value):
    node = config
    for key in path[:-1]:
        if isinstance(node, dict) and not isinstance(node.get(key), (dict, list)):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value


def scalar_kind(node):
    """What a leaf wants, or None when the schema cannot judge its values (free strings)."""
    if "enum" in node:
        return "enum"
    if is_duration(node):
        return "duration"
    if "anyOf" in node and any(resolve(a).get("type") == "integer" for a in node["anyOf"]):
        return "size" if any("pattern" in a for a in node["anyOf"]) else None
    t = types_of(node)
    if "integer" in t and "string" not in t:
        return "int"
    if t <= {"boolean", "null"} and "boolean" in t:
        return "bool"
    if "number" in t and "string" not in t and "array" not in t:
        return "number"
    return None


def int_bounds(node):
    if "anyOf" in node:
        node = next(resolve(a) for a in node["anyOf"] if resolve(a).get("type") == "integer")
    return node.get("minimum", 0), node.get("maximum", 1 << 31)


def valid_value(rng, node, kind):
    if rng.random() < 0.1:
        return None
    if kind == "enum":
        return rng.choice([v for v in node["enum"] if v is not None])
    if kind == "duration":
        low = node.get("x-minimumMilliseconds", 0)
        high = node.get("x-maximumMilliseconds", float("inf"))
        return rng.choice([d for d in DURATIONS if low <= DURATION_MS[d] <= high])
    if kind in ("int", "size"):
        low, high = int_bounds(node)
        if kind == "size" and rng.random() < 0.3:
            return rng.choice(["64KiB", "1MiB", "2MB", "1.5MiB"])
        return rng.choice([low, high, rng.randint(low, min(high, low + 1000))])
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "number":
        minimum = node.get("exclusiveMinimum")
        return rng.choice([0.5, 0.25, 0.75]) if minimum is not None else rng.choice([1, 2.5, 0.1])
    raise AssertionError(kind)


def judged_slots(config):
    return [(p, n, scalar_kind(n)) for p, n in slots(SCHEMA, (), config)
            if scalar_kind(n) is not None]


def is_fixed(path):
    return any(path[:len(prefix)] == prefix for prefix in FIXED)


def random_valid(rng):
    config = copy.deepcopy(BASE)
    for path, node, kind in judged_slots(config):
        if is_fixed(path):
            continue
        if rng.random() < 0.3:
            put(config, path, valid_value(rng, node, kind))
    return config


def mutate(rng, config):
    """config with one structural error, and what it is."""
    candidates = judged_slots(config)
    kind = rng.choice(["unknown_key", "container_for_scalar", "string_for_int_or_bool",
                       "out_of_bounds", "bad_enum", "bad_duration"])
    if kind == "unknown_key":
        objects = [p for p, n in slots(SCHEMA, (), config)
                   if "object" in types_of(n) and n.get("additionalProperties") is False]
        path = rng.choice([()] + objects)
        put(config, path + ("bogus_key",), 1)
        return kind, path + ("bogus_key",)
    if kind == "container_for_scalar":  # free strings too: their type excludes containers
        path, node = rng.choice([(p, n) for p, n in slots(SCHEMA, (), config)
                                 if types_of(n) and not types_of(n) & {"object", "array"}])
        put(config, path, rng.choice([{"a": 1}, [1], []]))
        return kind, path
    pool = {"string_for_int_or_bool": [c for c in candidates if c[2] in ("int", "bool")],
            "out_of_bounds": [c for c in candidates if c[2] in ("int", "size")],
            "bad_enum": [c for c in candidates if c[2] == "enum"],
            "bad_duration": [c for c in candidates if c[2] == "duration"]}[kind]
    path, node, leaf = rng.choice(pool)
    if kind == "string_for_int_or_bool":
        # Quoted numbers and booleans too: a string to both the loader and the schema.
        value = rng.choice(["abc", "yes", "12abc", "off", "32", "true"])
    elif kind == "out_of_bounds":
        low, high = int_bounds(node)
        value = rng.choice([low - 1, high + 1] if low > 0 or rng.random() < 0.5 else [high + 1])
    elif kind == "bad_enum":
        value = "bogus_enum"
    elif "not" in node:  # a duration that must be positive
        value = rng.choice(BAD_DURATIONS + ["0s", "0", "0m0s"])
    else:
        value = rng.choice(BAD_DURATIONS)
    put(config, path, value)
    return kind, path


def loader_verdict(tmp, config):
    path = Path(tmp) / "case.yaml"
    path.write_text(json.dumps(config, indent=1))  # JSON is YAML; the types stay exact
    result = subprocess.run([BIN, "--check-config", f"--config.file={path}"],
                            capture_output=True, text=True, timeout=CHECK_TIMEOUT)
    assert result.returncode in (0, 1), result
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def schema_verdict(config):
    errors = sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(config), key=str)
    return not errors, "; ".join(f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                                 for e in errors[:3])


class SameVerdict(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        print(f"property_test: seed {SEED} (METRICSD_PROPERTY_SEED overrides), "
              f"{VALID_CASES} valid and {MUTATED_CASES} mutated cases", flush=True)
        jsonschema.Draft7Validator.check_schema(SCHEMA)
        cls.tmp = tempfile.TemporaryDirectory(prefix="metricsd-property-")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, config, what):
        loader_ok, loader_msg = loader_verdict(self.tmp.name, config)
        schema_ok, schema_msg = schema_verdict(config)
        if loader_ok != schema_ok:
            return (f"{what}: loader {'valid' if loader_ok else 'invalid'} ({loader_msg}), "
                    f"schema {'valid' if schema_ok else 'invalid'} ({schema_msg})\n"
                    f"{json.dumps(config, indent=1)}")
        return None

    def test_base_config_is_valid_for_both(self):
        self.assertIsNone(self.check(copy.deepcopy(BASE), "base"))

    def test_valid_configs(self):
        rng = random.Random(SEED)
        failures = [f for f in (self.check(random_valid(rng), f"valid #{i}")
                                for i in range(VALID_CASES)) if f]
        self.assertEqual(failures, [], "\n\n".join(failures[:5]))

    def test_mutated_configs(self):
        rng = random.Random(SEED + 1)
        failures, kinds = [], {}
        for i in range(MUTATED_CASES):
            config = random_valid(rng)
            kind, path = mutate(rng, config)
            kinds[kind] = kinds.get(kind, 0) + 1
            what = f"mutated #{i} ({kind} at {'.'.join(map(str, path))})"
            failure = self.check(config, what)
            if failure:
                failures.append(failure)
            elif schema_verdict(config)[0]:  # a mutation that breaks nothing tests nothing
                failures.append(f"{what}: still valid\n{json.dumps(config, indent=1)}")
        self.assertEqual(set(kinds), {"unknown_key", "container_for_scalar",
                                      "string_for_int_or_bool", "out_of_bounds", "bad_enum",
                                      "bad_duration"}, kinds)
        self.assertEqual(failures, [], f"{len(failures)} disagreements; first ones:\n\n"
                         + "\n\n".join(failures[:5]))


def included_verdict(tmp, kind, document):
    """The loader's verdict on a web-config, rule or mapping file, loaded through metricsd.yaml."""
    included = Path(tmp) / "included.yaml"
    included.write_text(json.dumps(document, indent=1))
    config = {"web-config": {"web": {"config_file": str(included)}},
              "rules": {"alerting": {"rule_files": [str(included)]}},
              "statsd-mapping": {"statsd": {"mapping_file": str(included)}}}[kind]
    return loader_verdict(tmp, config)


def included_schema_verdict(kind, document):
    schema = json.loads((ROOT / "config" / "schema" / f"{kind}.schema.json").read_text())
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(document))
    return not errors, "; ".join(e.message for e in errors[:3])


RULE = {"alert": "A", "metric": "up", "op": ">", "threshold": 1}
MAPPING = {"match": "a.*", "name": "a"}
# (kind, document): one structural error each, or none; both verdicts must agree.
INCLUDED_CASES = [
    ("web-config", {}),
    ("web-config", {"basic_auth_users": {"u": "$2y$10$" + "a" * 53}}),
    ("web-config", {"basic_auth_users": {"u": "plain"}}),
    ("web-config", {"bogus": 1}),
    ("web-config", {"http_server_config": {"headers": {"X-Bogus": "1"}}}),
    ("web-config", {"http_server_config": {"headers": {"X-Frame-Options": "deny"}}}),
    ("web-config", {"http_server_config": {"http2": "yes"}}),
    ("web-config", {"tls_server_config": {"min_version": "TLS99"}}),
    ("rules", {"groups": []}),
    ("rules", {"groups": [{"name": "g", "rules": [RULE]}]}),
    ("rules", {"groups": [{"name": "g", "rules": [dict(RULE, op="~")]}]}),
    ("rules", {"groups": [{"name": "g", "rules": [dict(RULE, threshold="x")]}]}),
    ("rules", {"groups": [{"name": "g", "rules": [dict(RULE, bogus=1)]}]}),
    ("rules", {"groups": [{"name": "g", "rules": [dict(RULE, value="bogus")]}]}),
    ("rules", {"groups": [{"name": "g", "rules": [dict(RULE, **{"for": "5 m"})]}]}),
    ("rules", {"groups": [{"name": "g", "rules": [dict(RULE, labels={"a": {"b": 1}})]}]}),
    ("rules", {"groups": [{"rules": [RULE]}]}),
    ("statsd-mapping", {"mappings": [MAPPING]}),
    ("statsd-mapping", {"mappings": [dict(MAPPING, bogus=1)]}),
    ("statsd-mapping", {"defaults": {"observer_type": "bogus"}}),
    ("statsd-mapping", {"mappings": [dict(MAPPING, labels={"1bad": "x"})]}),
    ("statsd-mapping", {"mappings": [dict(MAPPING, quantiles=[{"quantile": 1.5}])]}),
    ("statsd-mapping", {"mappings": [dict(MAPPING, scale="x")]}),
    ("statsd-mapping", {"mappings": [dict(MAPPING, ttl=5)]}),
    ("statsd-mapping", {"mappings": [dict(MAPPING, match_metric_type="bogus")]}),
]


class IncludedFiles(unittest.TestCase):
    """The hand-written schemas (web-config, rule and mapping files) against the loader, on a
    table of cases (these formats are not generated from declarations, so no random configs)."""

    def test_same_verdict(self):
        failures = []
        with tempfile.TemporaryDirectory(prefix="metricsd-included-") as tmp:
            for kind, document in INCLUDED_CASES:
                loader = included_verdict(tmp, kind, document)
                schema = included_schema_verdict(kind, document)
                if loader[0] != schema[0]:
                    failures.append(f"{kind} {json.dumps(document)}: loader {loader}, "
                                    f"schema {schema}")
        self.assertEqual(failures, [], "\n".join(failures))


class FormerDisagreements(unittest.TestCase):
    """Cases where the loader and a schema once disagreed (found by this test, then fixed in the
    declarations, the loader or the hand-written schemas): each must now get the same verdict."""

    CASES = [
        # A quoted number or boolean is a string, to the loader (as to Go's YAML) and the schema.
        (None, {"web": {"max_connections": "32"}}, False),
        (None, {"host": {"enabled": "true"}}, False),
        # A duration that must be positive: zero is refused by both.
        (None, {"web": {"read_timeout": "0s"}}, False),
        (None, {"web": {"read_timeout": None}}, True),
        # timer_type is checked even next to observer_type.
        (None, {"statsd": {"defaults": {"observer_type": "summary", "timer_type": "bogus"}}}, False),
        (None, {"statsd": {"defaults": {"ttl": ""}}}, False),
        (None, {"statsd": {"defaults": {"histogram_options": {
            "native_histogram_bucket_factor": "abc"}}}}, False),
        ("web-config", {"rate_limit": {"interval": "0", "burst": -1}}, False),
        ("web-config", {"rate_limit": {"interval": "1s"}}, False),
        ("web-config", {"rate_limit": {"interval": "0m", "burst": 5}}, True),
        ("rules", {"groups": [{"name": "g", "interval": "0", "rules": [RULE]}]}, False),
        ("statsd-mapping", {"defaults": {"ttl": ""}}, False),
        ("statsd-mapping", {"mappings": [{"match": "a.*"}]}, False),
        ("statsd-mapping", {"mappings": [{"match": "a.*", "action": "drop"}]}, True),
        ("statsd-mapping", {"mappings": [dict(MAPPING, match=5)]}, True),
    ]

    def test_same_verdict(self):
        failures = []
        with tempfile.TemporaryDirectory(prefix="metricsd-former-") as tmp:
            for kind, config, valid in self.CASES:
                loader = (included_verdict(tmp, kind, config) if kind
                          else loader_verdict(tmp, config))
                schema = included_schema_verdict(kind, config) if kind else schema_verdict(config)
                if (loader[0], schema[0]) != (valid, valid):
                    failures.append(f"{kind or 'metricsd'} {json.dumps(config)}: want "
                                    f"{'valid' if valid else 'invalid'}; loader {loader}, "
                                    f"schema {schema}")
        self.assertEqual(failures, [], "\n".join(failures))


if __name__ == "__main__":
    unittest.main(verbosity=2)
