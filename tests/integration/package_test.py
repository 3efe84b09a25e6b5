"""The .deb CPack builds (`--target package`), taken apart without installing it: the paths
Debian expects, the conffile, maintainer scripts, a unit whose ExecStart is the packaged binary
and whose capabilities match, a man page that documents every flag `metricsd --help` lists,
and the packaged binary accepting the packaged config. CI also installs it with dpkg -i and
runs lintian (.ci/run). Needs CPACK (cpack) and PACKAGE_CONFIG (build/CPackConfig.cmake)."""
import gzip
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import BIN, require_tool  # noqa: E402

CPACK = os.environ.get("CPACK", "")
PACKAGE_CONFIG = os.environ.get("PACKAGE_CONFIG", "")

EXPECTED_FILES = [
    "./usr/sbin/metricsd",
    "./lib/systemd/system/metricsd.service",
    "./usr/lib/sysusers.d/metricsd.conf",
    "./usr/lib/tmpfiles.d/metricsd.conf",
    "./usr/lib/sysctl.d/50-metricsd.conf",
    "./etc/metricsd/metricsd.yaml",
    "./usr/share/man/man8/metricsd.8.gz",
    "./usr/share/doc/metricsd/copyright",
    "./usr/share/doc/metricsd/changelog.gz",
    "./usr/share/doc/metricsd/README.md",
]


def run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=240, **kwargs)


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert CPACK and PACKAGE_CONFIG, "CPACK and PACKAGE_CONFIG must be set (ctest sets them)"
        require_tool("dpkg-deb")
        cls.tmp = tempfile.TemporaryDirectory(prefix="metricsd-package-")
        out = os.path.join(cls.tmp.name, "out")
        run(CPACK, "--config", PACKAGE_CONFIG, "-B", out)
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        cls.deb = os.path.join(out, debs[0])
        cls.root = os.path.join(cls.tmp.name, "root")
        cls.control = os.path.join(cls.tmp.name, "control")
        run("dpkg-deb", "-x", cls.deb, cls.root)
        run("dpkg-deb", "-e", cls.deb, cls.control)
        cls.listing = run("dpkg-deb", "-c", cls.deb).stdout

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def read(self, path):
        with open(os.path.join(self.root, path.lstrip("./")), encoding="utf-8") as f:
            return f.read()

    def test_files_are_where_debian_looks(self):
        paths = {line.split()[-1] for line in self.listing.splitlines()}
        for path in EXPECTED_FILES:
            self.assertIn(path, paths, self.listing)
        # Nothing under /usr/local, nothing installed as another owner than root.
        self.assertNotIn("/usr/local", self.listing)
        for line in self.listing.splitlines():
            self.assertTrue(line.split()[1].startswith("root/root"), line)

    def test_control_conffile_and_maintainer_scripts(self):
        with open(os.path.join(self.control, "conffiles"), encoding="utf-8") as f:
            self.assertEqual(f.read().split(), ["/etc/metricsd/metricsd.yaml"])
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(self.control, script)
            self.assertTrue(os.access(path, os.X_OK), script)
            run("sh", "-n", path)  # parses
        with open(os.path.join(self.control, "postinst"), encoding="utf-8") as f:
            postinst = f.read()
        for step in ("systemd-sysusers", "systemd-tmpfiles", "daemon-reload", "deb-systemd-helper"):
            self.assertIn(step, postinst)
        control = run("dpkg-deb", "-f", self.deb).stdout
        self.assertRegex(control, r"(?m)^Package: metricsd$")
        self.assertRegex(control, r"(?m)^Depends: .*libc6")  # shlibdeps ran

    def test_unit_runs_the_packaged_binary_with_matching_capabilities(self):
        unit = self.read("lib/systemd/system/metricsd.service")
        exec_start = re.search(r"(?m)^ExecStart=(\S+)", unit).group(1)
        self.assertEqual(exec_start, "/usr/sbin/metricsd")
        self.assertTrue(os.access(os.path.join(self.root, exec_start.lstrip("/")), os.X_OK))
        self.assertRegex(unit, r"(?m)^LimitNOFILE=65536$")
        self.assertRegex(unit, r"(?m)^RuntimeDirectory=metricsd$")
        self.assertRegex(unit, r"(?m)^#?MemoryMax=")
        self.assertRegex(unit, r"(?m)^PrivateUsers=no$")
        bounding = re.search(r"(?m)^CapabilityBoundingSet=(.*)$", unit).group(1).split()
        ambient = re.search(r"(?m)^AmbientCapabilities=(.*)$", unit).group(1).split()
        self.assertEqual(sorted(bounding), ["CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"])
        self.assertEqual(sorted(ambient), sorted(bounding))

    def test_man_page_documents_every_flag_of_help(self):
        with gzip.open(os.path.join(self.root, "usr/share/man/man8/metricsd.8.gz"), "rt") as f:
            page = f.read()
        self.assertRegex(page, r"(?m)^\.TH METRICSD 8 ")
        self.assertRegex(page, r"(?m)^metricsd \\- \S")
        help_text = run(BIN, "--help").stdout
        flags = set(re.findall(r"(?m)^\s{1,6}(?:-\w, )?(--[a-z][a-z.-]*)", help_text))
        flags |= set(re.findall(r", (--[a-z][a-z.-]*)=", help_text))
        self.assertIn("--check-config", flags)
        for flag in flags:
            self.assertIn(flag.replace("-", "\\-"), page, f"{flag} missing from the man page")
        # Built into the package from the same binary: a flag the man page lists is real.
        for flag in re.findall(r"\\-\\-([a-z][a-z.\\-]*)", page):
            self.assertIn("--" + flag.replace("\\-", "-"), help_text)

    def test_packaged_binary_accepts_packaged_config_and_is_stripped(self):
        binary = os.path.join(self.root, "usr/sbin/metricsd")
        config = os.path.join(self.root, "etc/metricsd/metricsd.yaml")
        result = subprocess.run([binary, "--check-config", f"--config.file={config}"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        sections = run("readelf", "-S", "-W", binary).stdout
        self.assertNotIn(".debug_info", sections)


if __name__ == "__main__":
    unittest.main()
