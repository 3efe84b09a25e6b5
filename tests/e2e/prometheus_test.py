"""End-to-end: a real Prometheus server scrapes metricsd, and we ask Prometheus what it got."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, free_port, require_tool, stop_process, wait_until  # noqa: E402


class Prometheus:
    """A Prometheus server on 127.0.0.1 scraping `target` every second."""

    def __init__(self, target):
        binary = require_tool("prometheus")
        self.dir = tempfile.TemporaryDirectory(prefix="metricsd-e2e-prom-")
        config = os.path.join(self.dir.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: metricsd\n"
                    f"    static_configs:\n      - targets: ['{target}']\n")
        self.port = free_port()
        self.log = open(os.path.join(self.dir.name, "prometheus.log"), "w+")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{self.port}",
             f"--storage.tsdb.path={self.dir.name}/data", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def query(self, expr):
        url = (f"http://127.0.0.1:{self.port}/api/v1/query?" +
               urllib.parse.urlencode({"query": expr}))
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                answer = json.load(response)
        except OSError:
            return []  # not up yet
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)
        self.log.seek(0)
        sys.stderr.write(self.log.read()[-4000:])
        self.log.close()
        self.dir.cleanup()
        return False


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
