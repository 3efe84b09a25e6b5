"""End-to-end: a real Prometheus scrapes metricsd over HTTPS with basic auth, the way a locked
down game server is scraped (exporter-toolkit web-config on our side, `scheme: https`,
`tls_config.ca_file` and `basic_auth` on Prometheus's side). The target must be "up"; with a
wrong password it must be down with a 401."""
import os
import sys
import tempfile
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, self_signed_cert, wait_until  # noqa: E402
from prometheus_server import Prometheus  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402

PASSWORD = "scrape-me"


def prometheus_over_https(target, ca_file, password):
    """A real Prometheus scraping `target` with `scheme: https`, the CA and basic auth."""
    return Prometheus(target, "    scheme: https\n"
                      f"    tls_config:\n      ca_file: {ca_file}\n"
                      f"    basic_auth:\n      username: prometheus\n      password: '{password}'\n")


class PrometheusHttpsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="metricsd-e2e-https-")
        self.cert, _ = self_signed_cert(self.tmp.name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
        self.web_config = os.path.join(self.tmp.name, "web.yml")
        with open(self.web_config, "w") as f:
            f.write("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
                    f"basic_auth_users:\n  prometheus: '{hashed}'\n")

    def tearDown(self):
        self.tmp.cleanup()

    def test_prometheus_scrapes_over_https_with_basic_auth(self):
        with Daemon("host: {enabled: false}\n",
                    args=[f"--web.config.file={self.web_config}"]) as d, \
                prometheus_over_https(f"127.0.0.1:{d.port}", self.cert, PASSWORD) as prom:
            target = wait_until(prom.target, timeout=60, interval=0.5,
                                what="Prometheus to scrape metricsd")
            self.assertEqual(target["health"], "up", target)
            self.assertEqual(target["scrapeUrl"], f"https://127.0.0.1:{d.port}/metrics")
            up = wait_until(lambda: prom.query('up{job="metricsd"}'), timeout=30, interval=0.5,
                            what="up in Prometheus")
            self.assertEqual(up[0]["value"][1], "1", up)
            info = wait_until(lambda: prom.query("metricsd_build_info"), timeout=30,
                              interval=0.5, what="metricsd_build_info in Prometheus")
            self.assertEqual(info[0]["value"][1], "1")
            # Scrapes after the first are answered from the cache of successful checks: they
            # must keep succeeding (and counting), not just the first.
            scrapes = wait_until(
                lambda: [r for r in prom.query(
                    'metricsd_http_requests_total{handler="/metrics",code="200"}')
                    if float(r["value"][1]) >= 3],
                timeout=30, interval=0.5, what="three authorised scrapes")
            self.assertTrue(scrapes)

    def test_a_wrong_password_is_a_down_target_with_401(self):
        with Daemon("host: {enabled: false}\n",
                    args=[f"--web.config.file={self.web_config}"]) as d, \
                prometheus_over_https(f"127.0.0.1:{d.port}", self.cert, "wrong") as prom:
            target = wait_until(prom.target, timeout=60, interval=0.5,
                                what="Prometheus to try metricsd")
            self.assertEqual(target["health"], "down", target)
            self.assertIn("401", target["lastError"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
