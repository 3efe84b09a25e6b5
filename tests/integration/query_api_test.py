"""The PromQL query API against the built daemon over real sockets (issue 13): the requests
Grafana 9/10's Prometheus data source sends on "Save & test" (pkg/tsdb/prometheus: an instant
`1+1` at time 4 as a form POST, then /api/v1/status/buildinfo for its heuristics) and when a
dashboard opens (labels and label values with start/end, series, metadata, query_range as a
form POST, exemplars) answer in Prometheus 2.42's shapes; queries over metricsd's own series
return what history sampled; a parse error is a 400 with its position; a query past
query.timeout is Prometheus's 503; and basic auth and TLS guard these routes like every other.
Expected answers are Prometheus's (web/api/v1/api.go, and the real 2.42 binary's answers to
the same requests)."""
import base64
import http.client
import json
import os
import signal
import ssl
import sys
import tempfile
import time
import unittest
import urllib.parse
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, self_signed_cert, wait_until  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402  (libcrypt's bcrypt, the same library metricsd verifies with)

CONFIG = "host: {enabled: false}\nhistory: {interval: 1s}\n"
READY = r'msg="history ready"'
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post_form(d, path, params):
    return d.request("POST", path, body=urllib.parse.urlencode(params), headers=FORM)


def get(d, path, params):
    return d.get(path + "?" + urllib.parse.urlencode(params, doseq=True))


def answer(test, response, status=200):
    code, headers, body = response
    test.assertEqual(code, status, body)
    test.assertEqual(headers.get("content-type"), "application/json", body)
    return json.loads(body)


class QueryApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(CONFIG)
        cls.daemon.wait_for_log(READY, timeout=30, what="history to open")
        cls.started = time.time()

        # A few samples of the daemon's own series (history.interval is 1s).
        def sampled():
            _, _, body = get(cls.daemon, "/api/v1/query_range",
                             {"query": "metricsd_build_info", "start": cls.started - 1,
                              "end": time.time(), "step": "1"})
            result = json.loads(body).get("data", {}).get("result", [])
            return result and len(result[0].get("values", [])) >= 3
        wait_until(sampled, timeout=30, interval=0.5, what="three sampled points")

    @classmethod
    def tearDownClass(cls):
        cls.daemon.__exit__(None, None, None)

    def test_grafana_save_and_test(self):
        # The health check: instant `1+1` over [1s, 4s], the form POSTed (httpMethod POST).
        body = answer(self, post_form(self.daemon, "/api/v1/query", {"query": "1+1", "time": "4"}))
        self.assertEqual(body, {"status": "success",
                                "data": {"resultType": "scalar", "result": [4, "2"]}})
        # The same with GET (httpMethod GET).
        body = answer(self, get(self.daemon, "/api/v1/query", {"query": "1+1", "time": "4"}))
        self.assertEqual(body["data"]["result"], [4, "2"])
        # Heuristics: build info without "features" makes Grafana take us for Prometheus.
        body = answer(self, self.daemon.get("/api/v1/status/buildinfo"))
        self.assertEqual(body["status"], "success")
        self.assertEqual(sorted(body["data"]), ["branch", "buildDate", "buildUser", "goVersion",
                                                "revision", "version"])
        self.assertRegex(body["data"]["version"], r"^\d+\.\d+\.\d+")

    def test_grafana_dashboard_requests(self):
        now = time.time()
        window = {"start": f"{now - 3600:.3f}", "end": f"{now:.3f}"}
        labels = answer(self, get(self.daemon, "/api/v1/labels", window))
        self.assertEqual(labels["status"], "success")
        self.assertIn("__name__", labels["data"])
        self.assertEqual(labels["data"], sorted(labels["data"]))

        names = answer(self, get(self.daemon, "/api/v1/label/__name__/values", window))["data"]
        self.assertIn("metricsd_build_info", names)
        self.assertEqual(names, sorted(names))

        series = answer(self, get(self.daemon, "/api/v1/series",
                                  {"match[]": "metricsd_build_info", **window}))["data"]
        self.assertEqual(len(series), 1, series)
        self.assertEqual(series[0]["__name__"], "metricsd_build_info")
        self.assertIn("version", series[0])

        # match[] goes through the PromQL selector parser, errors with its position (the real
        # Prometheus 2.42's answer to the same request).
        code, _, body = get(self.daemon, "/api/v1/series", {"match[]": "up{", **window})
        self.assertEqual(code, 400, body)
        self.assertEqual(json.loads(body), {
            "status": "error", "errorType": "bad_data",
            "error": 'invalid parameter "match[]": 1:4: parse error: unexpected end of input '
                     'inside braces'})

        metadata = answer(self, self.daemon.get("/api/v1/metadata"))["data"]
        self.assertEqual(metadata["metricsd_build_info"],
                         [{"type": "gauge", "help": metadata["metricsd_build_info"][0]["help"],
                           "unit": ""}])
        limited = answer(self, get(self.daemon, "/api/v1/metadata", {"limit": "1"}))["data"]
        self.assertEqual(len(limited), 1)

        # A panel's range query, POSTed as a form with Grafana's float seconds.
        params = {"query": "metricsd_build_info", "start": f"{self.started:.3f}",
                  "end": f"{time.time():.3f}", "step": "1"}
        body = answer(self, post_form(self.daemon, "/api/v1/query_range", params))
        self.assertEqual(body["data"]["resultType"], "matrix")
        (result,) = body["data"]["result"]
        self.assertEqual(result["metric"]["__name__"], "metricsd_build_info")
        self.assertGreaterEqual(len(result["values"]), 2)
        for t, v in result["values"]:
            self.assertIsInstance(t, (int, float))
            self.assertEqual(v, "1")
        steps = [t for t, _ in result["values"]]
        self.assertEqual(steps, sorted(steps))

        exemplars = answer(self, post_form(self.daemon, "/api/v1/query_exemplars",
                                           {"query": "metricsd_build_info", **window}))
        self.assertEqual(exemplars, {"status": "success", "data": []})

    def test_queries_over_own_series(self):
        body = answer(self, get(self.daemon, "/api/v1/query", {"query": "metricsd_build_info"}))
        (sample,) = body["data"]["result"]
        self.assertEqual(sample["value"][1], "1")
        self.assertAlmostEqual(sample["value"][0], time.time(), delta=30)

        body = answer(self, get(self.daemon, "/api/v1/query",
                                {"query": 'count({__name__=~"metricsd_.+"}) > 5'}))
        self.assertEqual(body["data"]["resultType"], "vector")
        self.assertEqual(len(body["data"]["result"]), 1, body)

        body = answer(self, get(self.daemon, "/api/v1/format_query",
                                {"query": "sum(rate(x[5m]))by(a)"}))
        self.assertEqual(body, {"status": "success", "data": "sum by (a) (rate(x[5m]))"})

    def test_errors_as_prometheus(self):
        code, _, body = get(self.daemon, "/api/v1/query", {"query": "sum("})
        self.assertEqual(code, 400)
        self.assertEqual(json.loads(body), {
            "status": "error", "errorType": "bad_data",
            "error": 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis'})
        code, _, body = get(self.daemon, "/api/v1/query_range",
                            {"query": "1", "start": "1", "end": "20000", "step": "1"})
        self.assertEqual(code, 400)
        self.assertEqual(json.loads(body)["error"],
                         "exceeded maximum resolution of 11,000 points per timeseries. Try "
                         "decreasing the query resolution (?step=XX)")
        code, _, body = get(self.daemon, "/api/v1/query_range",
                            {"query": "1", "start": "1", "end": "2", "step": "0"})
        self.assertEqual(code, 400)
        self.assertEqual(json.loads(body)["error"],
                         'invalid parameter "step": zero or negative query resolution step widths '
                         'are not accepted. Try a positive integer')


class QueryTimeoutTest(unittest.TestCase):
    def test_query_timeout_is_prometheus_503(self):
        with Daemon(CONFIG + "query: {timeout: 20ms}\n") as d:
            d.wait_for_log(READY, timeout=30, what="history to open")
            # 3.6 million subquery steps: far beyond 20 ms, within max_samples.
            code, _, body = get(d, "/api/v1/query",
                                {"query": "sum_over_time(vector(1)[1h:1ms])", "time": "1000000"})
            self.assertEqual(code, 503, body)
            self.assertEqual(json.loads(body), {
                "status": "error", "errorType": "timeout",
                "error": "query timed out in expression evaluation"})
            # The daemon is unharmed: a small query still answers.
            code, _, body = get(d, "/api/v1/query", {"query": "1", "time": "1"})
            self.assertEqual(code, 200, body)

            # A reload applies a new query.timeout; then 600,001 subquery steps (both ends of
            # the range included, as Prometheus 2.42 answers) finish.
            d.write_config(CONFIG + "query: {timeout: 2m}\n")
            start = len(d.lines)
            d.send_signal(signal.SIGHUP)
            d.wait_for_log(r'msg="config reloaded"', start=start, what="the reload")
            code, _, body = get(d, "/api/v1/query",
                                {"query": "sum_over_time(vector(1)[10m:1ms])", "time": "1000000"})
            self.assertEqual(code, 200, body)
            self.assertEqual(json.loads(body)["data"]["result"],
                             [{"metric": {}, "value": [1000000, "600001"]}])


def bcrypt(password, cost=10):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))
    return "$2y$" + hashed[4:]


class QueryAuthTlsTest(unittest.TestCase):
    def test_basic_auth_and_tls_guard_the_query_api(self):
        with tempfile.TemporaryDirectory(prefix="metricsd-query-tls-") as directory:
            cert, _ = self_signed_cert(directory)
            web_config = os.path.join(directory, "web.yml")
            with open(web_config, "w") as f:
                f.write("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
                        f"basic_auth_users:\n  grafana: {bcrypt('secret')}\n")
            with Daemon(CONFIG, args=[f"--web.config.file={web_config}"]) as d:
                context = ssl.create_default_context(cafile=cert)

                def request(method, path, body=None, auth=None):
                    headers = dict(FORM) if body is not None else {}
                    if auth:
                        headers["Authorization"] = "Basic " + base64.b64encode(
                            auth.encode()).decode()
                    conn = http.client.HTTPSConnection("127.0.0.1", d.port, context=context,
                                                       timeout=10)
                    try:
                        conn.request(method, path, body=body, headers=headers)
                        response = conn.getresponse()
                        return response.status, response.read()
                    finally:
                        conn.close()

                form = urllib.parse.urlencode({"query": "1+1", "time": "4"})
                for path in ("/api/v1/query", "/api/v1/query_range", "/api/v1/format_query",
                             "/api/v1/metadata", "/api/v1/status/buildinfo",
                             "/api/v1/query_exemplars"):
                    self.assertEqual(request("GET", path)[0], 401, path)
                    self.assertEqual(request("GET", path, auth="grafana:wrong")[0], 401, path)
                status, body = request("POST", "/api/v1/query", body=form, auth="grafana:secret")
                self.assertEqual(status, 200, body)
                self.assertEqual(json.loads(body)["data"], {"resultType": "scalar",
                                                            "result": [4, "2"]})
                status, body = request("GET", "/api/v1/status/buildinfo", auth="grafana:secret")
                self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main()
