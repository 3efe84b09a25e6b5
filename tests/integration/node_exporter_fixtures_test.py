"""metricsd on node_exporter 1.5's own end-to-end fixtures (tests/fixtures/node_exporter, copied
from node_exporter v1.5.0 with its expected output, e2e-output.txt): every family a collector
serves there has node_exporter's HELP, TYPE, series and values.

The daemon runs with the options node_exporter's end-to-end-test.sh passes (see
node_exporter-end-to-end-test.sh beside the fixtures). Families are compared per collector, so a
failure names the collector and the family; the few deliberate differences are listed in
KNOWN_DIFFERENCES with their reason (and in the README).

Run one collector while working on it: node_exporter_fixtures_test.py -k arp
"""
import math
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import Daemon, wait_until  # noqa: E402

FIXTURES = os.path.join(os.environ.get("METRICSD_SOURCE_DIR",
                                       os.path.join(os.path.dirname(__file__), "..", "..")),
                        "tests", "fixtures", "node_exporter")

# The families each collector serves (node_exporter's collector/*_linux.go), as a regex.
COLLECTOR_FAMILIES = {
    "arp": r"node_arp_",
    "bcache": r"node_bcache_",
    "bonding": r"node_bonding_",
    "btrfs": r"node_btrfs_",
    "conntrack": r"node_nf_conntrack_",
    "cpu": r"node_cpu_(seconds_total|guest_seconds_total|core_throttles_total|"
           r"package_throttles_total|isolated|info|flag_info|bug_info)$",
    "cpufreq": r"node_cpu_(frequency|scaling)_",
    "diskstats": r"node_disk_",
    "dmi": r"node_dmi_",
    "edac": r"node_edac_",
    "entropy": r"node_entropy_",
    "fibrechannel": r"node_fibrechannel_",
    "filefd": r"node_filefd_",
    "hwmon": r"node_hwmon_",
    "infiniband": r"node_infiniband_",
    "ipvs": r"node_ipvs_",
    "loadavg": r"node_load(1|5|15)$",
    "mdadm": r"node_md_",
    "meminfo": r"node_memory_(?!numa_)",
    "netclass": r"node_network_(address_assign_type|carrier|carrier_changes_total|"
                r"carrier_up_changes_total|carrier_down_changes_total|device_id|dormant|flags|"
                r"iface_id|iface_link|iface_link_mode|info|mtu_bytes|name_assign_type|"
                r"net_dev_group|protocol_type|speed_bytes|transmit_queue_length|up)$",
    "netdev": r"node_network_(receive|transmit)_.*_total$",
    "netstat": r"node_netstat_",
    "nfs": r"node_nfs_",
    "nfsd": r"node_nfsd_",
    "nvme": r"node_nvme_",
    "os": r"node_os_",
    "powersupplyclass": r"node_power_supply_",
    "pressure": r"node_pressure_",
    "rapl": r"node_rapl_",
    "schedstat": r"node_schedstat_",
    "selinux": r"node_selinux_",
    "sockstat": r"node_sockstat_",
    "softnet": r"node_softnet_",
    "stat": r"node_(boot_time_seconds|context_switches_total|forks_total|intr_total|"
            r"procs_blocked|procs_running|softirqs_total)$",
    "tapestats": r"node_tape_",
    "textfile": r"(node_textfile_|testmetric)",
    "thermal_zone": r"node_(thermal_zone_|cooling_device_)",
    "time": r"node_time_clocksource_",
    "udp_queues": r"node_udp_queues$",
    "vmstat": r"node_vmstat_",
    "xfs": r"node_xfs_",
    "zfs": r"node_zfs_",
}

# node_exporter's end-to-end-test.sh leaves these out (they change from run to run).
SKIP = re.compile(r"^(go_|node_exporter_build_info|node_scrape_collector_duration_seconds|process_|"
                  r"node_textfile_mtime_seconds|node_time_(zone|seconds)|"
                  r"node_network_(receive|transmit)_(bytes|packets)_total)")

# Families (a regex) -> why metricsd differs on purpose. Each is listed in the README as well.
KNOWN_DIFFERENCES = {
    r"node_network_(receive|transmit)_.*_total$":
        "netdev: node_exporter 1.5 reads its own network namespace over netlink, so its e2e "
        "output holds the test machine's lo, not a fixture; metricsd reads <procfs>/net/dev "
        "(the fixtures have none), which is right for a container watching the host",
}


def known_difference(family):
    return any(re.match(pattern, family) for pattern in KNOWN_DIFFERENCES)

# What end-to-end-test.sh passes to node_exporter, as metricsd config.
CONFIG = f"""
host:
  interval: 1s
  procfs: {FIXTURES}/proc
  sysfs: {FIXTURES}/sys
  rootfs: {FIXTURES}
  udev_data: {FIXTURES}/udev/data
  collectors: {{filesystem: false, timex: false, uname: false}}
  textfile: {{directory: {FIXTURES}/textfile/two_metric_files}}
  arp: {{device_exclude: nope}}
  netclass: {{ignored_devices: "(dmz|int)", ignore_invalid_speed: true}}
  netdev: {{device_include: lo}}
  bcache: {{priority_stats: true}}
  cpu: {{info: true, bugs_include: "^(cpu_meltdown|spectre_.*|mds)$",
         flags_include: "^(aes|avx.?|constant_tsc)$"}}
  stat: {{softirq: true}}
"""

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """family -> {"help", "type", "series": {(name, labels): value}}"""
    families, current = {}, None
    # Not splitlines(): label values may hold \x1c and other characters it splits on.
    for line in text.split("\n"):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            name, rest = parts[2], parts[3] if len(parts) > 3 else ""
            current = families.setdefault(name, {"help": None, "type": None, "series": {}})
            current["help" if line.startswith("# HELP ") else "type"] = rest
            continue
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        name, labels = match.group(1), frozenset(_LABEL.findall(match.group(3) or ""))
        family = name if name in families else re.sub(r"_(sum|count|bucket)$", "", name)
        families.setdefault(family, {"help": None, "type": None, "series": {}})
        families[family]["series"][(name, labels)] = float(match.group(4))
    return families


def same_value(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def describe(key):
    name, labels = key
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels)) + "}"


def family_differences(family, theirs, ours):
    """A list of human-readable differences between node_exporter's family and ours."""
    if ours is None:
        return [f"{family}: missing"]
    if theirs is None:
        return [f"{family}: not served by node_exporter on its fixtures"]
    problems = []
    for field in ("help", "type"):
        if theirs[field] != ours[field]:
            problems.append(f"{family}: {field} {ours[field]!r}, node_exporter {theirs[field]!r}")
    for key, value in sorted(theirs["series"].items(), key=lambda kv: describe(kv[0])):
        if key not in ours["series"]:
            problems.append(f"{family}: missing series {describe(key)} {value!r}")
        elif not same_value(ours["series"][key], value):
            problems.append(f"{family}: {describe(key)} is {ours['series'][key]!r}, "
                            f"node_exporter {value!r}")
    for key in sorted(set(ours["series"]) - set(theirs["series"]), key=describe):
        problems.append(f"{family}: extra series {describe(key)}")
    return problems


class NodeExporterFixturesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(FIXTURES, "e2e-output.txt")) as f:
            cls.theirs = {name: family for name, family in parse(f.read()).items()
                          if not SKIP.match(name)}
        with Daemon(CONFIG) as daemon:
            # The first poll has run once the host collectors' success series are all there.
            def polled():
                text = daemon.metrics()
                return text if 'metricsd_collector_success{collector="zfs"}' in text else None
            text = wait_until(polled, timeout=30, what="the first host poll")
        # node_exporter's run named its fixtures relatively (collector/fixtures/...): paths in
        # HELP (textfile) and labels (rapl's path) read the same once ours are named so too.
        text = text.replace(FIXTURES, "collector/fixtures")
        cls.ours = {name: family for name, family in parse(text).items()
                    if name.startswith("node_") or name.startswith("testmetric")}

    def check_collector(self, collector):
        pattern = re.compile(COLLECTOR_FAMILIES[collector])
        theirs = {f for f in self.theirs if pattern.match(f)}
        ours = {f for f in self.ours if pattern.match(f) and not SKIP.match(f)}
        self.assertTrue(theirs, f"node_exporter serves no {collector} family on its fixtures")
        problems = []
        for family in sorted(theirs | ours):
            if known_difference(family):
                continue
            problems += family_differences(family, self.theirs.get(family), self.ours.get(family))
        self.assertEqual(problems, [], f"{collector}: {len(problems)} differences:\n" +
                         "\n".join(problems[:60]))

    def test_every_family_belongs_to_a_collector(self):
        patterns = [re.compile(p) for p in COLLECTOR_FAMILIES.values()]
        orphans = sorted(f for f in self.ours
                         if not SKIP.match(f) and not any(p.match(f) for p in patterns))
        self.assertEqual(orphans, [])

    def test_known_differences_are_still_different(self):
        # A listed difference that no longer exists should leave the list (and the README).
        for pattern in KNOWN_DIFFERENCES:
            families = [f for f in self.theirs if re.match(pattern, f)]
            self.assertTrue(families, pattern)
            for family in families:
                self.assertTrue(family_differences(family, self.theirs.get(family),
                                                   self.ours.get(family)), family)


def _add_collector_tests():
    for collector in COLLECTOR_FAMILIES:
        def test(self, collector=collector):
            self.check_collector(collector)
        setattr(NodeExporterFixturesTest, f"test_{collector}", test)


_add_collector_tests()

if __name__ == "__main__":
    unittest.main(verbosity=2)
