"""End-to-end: a real Prometheus server scrapes metricsd, and we ask Prometheus what it got."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, wait_until  # noqa: E402
from prometheus_server import Prometheus  # noqa: E402


class PrometheusScrapeTest(unittest.TestCase):
    def test_prometheus_scrapes_metricsd(self):
        with Daemon("web:\n  max_connections: 16\n") as d, \
                Prometheus(f"127.0.0.1:{d.port}") as prom:
            up = wait_until(lambda: prom.query('up{job="metricsd"}'), timeout=60, interval=0.5,
                            what="Prometheus to scrape metricsd")
            self.assertEqual(up[0]["value"][1], "1", up)
            info = wait_until(lambda: prom.query("metricsd_build_info"), timeout=30,
                              interval=0.5, what="metricsd_build_info in Prometheus")
            self.assertEqual(info[0]["value"][1], "1")
            self.assertIn("version", info[0]["metric"])
            self.assertEqual(info[0]["metric"]["job"], "metricsd")
            # Prometheus's own scrape requests reached our handler counter.
            scrapes = wait_until(
                lambda: prom.query('metricsd_http_requests_total{handler="/metrics",code="200"}'),
                timeout=30, interval=0.5, what="request counter")
            self.assertGreaterEqual(float(scrapes[0]["value"][1]), 1)
            samples = prom.query("scrape_samples_scraped{job=\"metricsd\"}")
            self.assertGreater(float(samples[0]["value"][1]), 20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
