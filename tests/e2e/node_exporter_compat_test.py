"""metricsd beside the real node_exporter (Debian 12's 1.5) on this host: same families, types,
label names, series and stable values for the collectors metricsd implements."""
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from exposition import Exposition  # noqa: E402
from harness import Daemon, free_port, require_tool, wait_until  # noqa: E402

# Every collector node_exporter 1.5 enables by default on Linux (metricsd has each).
COLLECTORS = ["arp", "bcache", "bonding", "btrfs", "conntrack", "cpu", "cpufreq", "diskstats",
              "dmi", "edac", "entropy", "fibrechannel", "filefd", "filesystem", "hwmon",
              "infiniband", "ipvs", "loadavg", "mdadm", "meminfo", "netclass", "netdev",
              "netstat", "nfs", "nfsd", "nvme", "os", "powersupplyclass", "pressure", "rapl",
              "schedstat", "selinux", "sockstat", "softnet", "stat", "tapestats", "textfile",
              "thermal_zone", "time", "timex", "udp_queues", "uname", "vmstat", "xfs", "zfs"]
# node_exporter's own health and build families; metricsd reports health as
# metricsd_collector_* and its build as metricsd_build_info.
NOT_COMPARED = ("node_scrape_collector_", "node_exporter_build_info")


class NodeExporter:
    def __init__(self):
        binary = require_tool("prometheus-node-exporter")
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        args = [binary, "--collector.disable-defaults", f"--web.listen-address=127.0.0.1:{self.port}"]
        args += [f"--collector.{c}" for c in COLLECTORS]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def scrape(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as r:
            return r.read().decode()

    def try_scrape(self):
        try:
            return self.scrape()
        except OSError:
            return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()
        return False


def node_families(exposition):
    return {f for f in exposition.types if f.startswith("node_") and not f.startswith(NOT_COMPARED)}


class NodeExporterCompatTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with NodeExporter() as ne, Daemon("host:\n  interval: 1s\n") as d:
            ne_text = wait_until(ne.try_scrape, timeout=30, what="node_exporter to answer")
            cls.ours = Exposition(d.metrics())
            cls.theirs = Exposition(ne_text)

    def test_every_family_has_the_same_type_and_label_names(self):
        missing, wrong_type, wrong_labels = [], [], []
        for family in sorted(node_families(self.theirs)):
            if family not in self.ours.types:
                missing.append(family)
            elif self.ours.types[family] != self.theirs.types[family]:
                wrong_type.append((family, self.theirs.types[family], self.ours.types[family]))
            elif self.ours.label_names.get(family) != self.theirs.label_names.get(family):
                wrong_labels.append((family, self.theirs.label_names.get(family),
                                     self.ours.label_names.get(family)))
        self.assertEqual(missing, [])
        self.assertEqual(wrong_type, [])
        self.assertEqual(wrong_labels, [])
        self.assertGreater(len(node_families(self.theirs)), 100)

    def test_at_least_95_percent_of_series_have_identical_label_sets(self):
        theirs = {key for key in self.theirs.series
                  if key[0].startswith("node_") and not key[0].startswith(NOT_COMPARED)}
        found = theirs & set(self.ours.series)
        missing = sorted(theirs - found)
        self.assertGreaterEqual(len(found) / len(theirs), 0.95,
                                f"{len(found)}/{len(theirs)}; missing: {missing[:20]}")

    def test_stable_values_are_equal(self):
        for name in ("node_memory_MemTotal_bytes", "node_memory_SwapTotal_bytes",
                     "node_boot_time_seconds", "node_filefd_maximum"):
            theirs, ours = self.theirs.value(name), self.ours.value(name)
            self.assertIsNotNone(theirs, name)
            self.assertAlmostEqual(ours, theirs, delta=abs(theirs) * 1e-12 + 1e-9, msg=name)
        sizes = [(key, v) for key, v in self.theirs.series.items()
                 if key[0] == "node_filesystem_size_bytes"]
        self.assertTrue(sizes)
        for key, value in sizes:
            self.assertEqual(self.ours.series.get(key), value, key)
        uname = [key for key in self.theirs.series if key[0] == "node_uname_info"]
        self.assertEqual(len(uname), 1)
        self.assertIn(uname[0], self.ours.series)


if __name__ == "__main__":
    unittest.main(verbosity=2)
