"""A real Prometheus server on 127.0.0.1 (ephemeral port) scraping one target every second,
for the e2e tests; standard library only. Stopped by its context manager."""
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

from harness import free_port, require_tool, stop_process


class Prometheus:
    """Scrapes `target` (HOST:PORT) as job "metricsd"; `scrape_extra` is YAML added to the
    scrape config, indented four spaces (e.g. scheme, tls_config, basic_auth); `rules`, the
    text of a rule file evaluated every second."""

    def __init__(self, target, scrape_extra="", rules=None):
        binary = require_tool("prometheus")
        self.dir = tempfile.TemporaryDirectory(prefix="metricsd-e2e-prom-")
        rule_files = ""
        if rules is not None:
            rule_file = os.path.join(self.dir.name, "rules.yml")
            with open(rule_file, "w") as f:
                f.write(rules)
            rule_files = f"rule_files: ['{rule_file}']\n"
        config = os.path.join(self.dir.name, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n" + rule_files +
                    "scrape_configs:\n  - job_name: metricsd\n" + scrape_extra +
                    f"    static_configs:\n      - targets: ['{target}']\n")
        self.port = free_port()
        self.log = open(os.path.join(self.dir.name, "prometheus.log"), "w+")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{self.port}",
             f"--storage.tsdb.path={self.dir.name}/data", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def get(self, path, **params):
        """The `data` of an API answer, or None while Prometheus is not up yet."""
        url = f"http://127.0.0.1:{self.port}{path}?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                answer = json.load(response)
        except OSError:
            return None
        assert answer["status"] == "success", answer
        return answer["data"]

    def query(self, expr):
        data = self.get("/api/v1/query", query=expr)
        return data["result"] if data else []

    def targets(self):
        data = self.get("/api/v1/targets", state="active")
        return data["activeTargets"] if data else []

    def target(self):
        """The metricsd target once it has been scraped at least once, else None."""
        for target in self.targets():
            if target["labels"].get("job") == "metricsd" and \
                    target["lastScrape"] != "0001-01-01T00:00:00Z":
                return target
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)
        self.log.seek(0)
        sys.stderr.write(self.log.read()[-4000:])
        self.log.close()
        self.dir.cleanup()
        return False
