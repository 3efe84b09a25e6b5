"""Self-test of the PromQL generator (promql_gen.py) against a real Prometheus 2.42.

promtool 2.42 has no command that only parses, so validity is checked by the real server: every
generated query, as an instant query and as a range query, must not be refused as bad_data (the
answer to an invalid query); most must return data; a seed gives the same queries every time; and
over the seeds every function, aggregation, operator and modifier the generator promises appears.
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from promql_data import series_list, synthetic  # noqa: E402
from promql_gen import MATRIX, SCALAR, STRING, VECTOR, Generator, Schema  # noqa: E402
from promql_servers import PrometheusOnBlocks, query_api  # noqa: E402

SEEDS = [1, 2, 3]
QUERIES_PER_SEED = 400

# Everything the generator must produce at least once over SEEDS (2.42's float functions, the
# aggregations, operators and modifiers).
EXPECTED_TOKENS = """
abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp
clamp_max clamp_min cos cosh count_over_time days_in_month day_of_month day_of_week day_of_year
deg delta deriv exp floor histogram_quantile holt_winters hour idelta increase irate label_join
label_replace last_over_time ln log10 log2 max_over_time min_over_time minute month pi
predict_linear present_over_time quantile_over_time rad rate resets round scalar sgn sin sinh
sort sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time tan tanh time timestamp
vector year
sum min max avg group stddev stdvar count count_values bottomk topk quantile by without
and or unless atan2 bool on ignoring group_left group_right offset start() end()
""".split()
EXPECTED_OPERATORS = ["+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", "=~", "!~",
                      "@", ":"]


class GeneratorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.end = int(time.time()) // 60 * 60 * 1000
        cls.start = cls.end - 3 * 3600 * 1000
        cls.data = synthetic(cls.start, cls.end, 15000, seed=7)
        cls.schema = Schema(series_list(cls.data), windows=["1m", "5m", "15m", "1h"],
                            steps=["", "30s", "1m", "5m"], offsets=["5m", "-10m", "1h"],
                            times=[(cls.start + 3600000) / 1000, (cls.end - 600000) / 1000])

    def generate(self, seed):
        generator = Generator(self.schema, seed)
        return [generator.expression(kinds=(VECTOR,) * 6 + (SCALAR, MATRIX, STRING))
                for _ in range(QUERIES_PER_SEED)]

    def test_reproducible(self):
        self.assertEqual([e.render() for e in self.generate(5)],
                         [e.render() for e in self.generate(5)])
        self.assertNotEqual([e.render() for e in self.generate(5)],
                            [e.render() for e in self.generate(6)])

    def test_covers_the_language(self):
        text = "\n".join(e.render() for seed in SEEDS for e in self.generate(seed))
        words = set(re.findall(r"[a-z_0-9]+\(\)", text)) | set(re.findall(r"[a-z_0-9]+", text))
        missing = [t for t in EXPECTED_TOKENS if t not in words]
        missing += [op for op in EXPECTED_OPERATORS if f" {op} " not in text and
                    f"{op}\"" not in text and f"{op}'" not in text and f"{op}`" not in text
                    and f":{op}" not in text and f"{op}]" not in text]
        self.assertEqual(missing, [], "never generated")

    def test_prometheus_accepts_every_query(self):
        instant = (self.end - 1800000) / 1000
        with PrometheusOnBlocks(self.data) as prometheus:
            answered = with_data = 0
            for seed in SEEDS:
                for expr in self.generate(seed):
                    query = expr.render()
                    status, answer = query_api(prometheus.url, query, time=instant)
                    self.assertNotEqual(answer.get("errorType"), "bad_data",
                                        f"seed {seed}: {query}: {answer.get('error')}")
                    self.assertIn(answer["status"], ("success", "error"), answer)
                    if answer["status"] == "success":
                        answered += 1
                        result = answer["data"]["result"]
                        with_data += bool(result) if isinstance(result, list) else 1
                    if expr.kind in (VECTOR, SCALAR):
                        status, answer = query_api(prometheus.url, query,
                                                   start=instant - 3600, end=instant, step="60")
                        self.assertNotEqual(answer.get("errorType"), "bad_data",
                                            f"seed {seed}: {query}: {answer.get('error')}")
            total = len(SEEDS) * QUERIES_PER_SEED
            # Runtime errors (many-to-many matches, duplicate label sets) are valid PromQL and
            # part of what is compared, but most queries must answer, most with data.
            self.assertGreater(answered, 0.85 * total)
            self.assertGreater(with_data, 0.7 * total)


if __name__ == "__main__":
    unittest.main(verbosity=2)
