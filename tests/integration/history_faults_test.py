"""The history store's faults against the built daemon (issue 12, "Bad input and faults"): a
corrupt database (random bytes; a valid one with garbage over its middle pages), another schema
version, an unreadable path, a full disk and a read-only filesystem. Each case asserts that the
daemon keeps serving /metrics (promtool-valid) and StatsD, that the fault is reported clearly
(log line or metricsd_history_write_errors_total{reason}), and that history resumes once the
fault clears. A corrupt file is moved aside, never deleted; a file of another version is left
byte for byte as it was.

What history holds is read through GET /api/v1/export when the daemon serves it, else straight
from the SQLite file (chunk ranges and sample counts: every chunk starts with an encoding byte
and a big-endian 16-bit sample count), which needs no decoder; each check prints which it used.
"""
import glob
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402
from harness import Daemon, require_tool, wait_until  # noqa: E402

INTERVAL_MS = 1000
CONFIG = """
host: {enabled: false}
history: {interval: 1s, flush_interval: 1s}
"""

READY = r'msg="history ready"'
OFF = r'msg="history is off: the store cannot open; everything else keeps running"'
MOVED_ASIDE = (r'level=warn msg="history database was corrupt \((?P<why>.*)\); moved aside to '
               r'(?P<path>\S+) and started afresh"')


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def udp_send(d, payload):
    host, _, port = d.statsd["udp"].rpartition(":")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(payload.encode(), (host.strip("[]"), int(port)))


def metric(d, key, default=None):
    return d.samples().get(key, default)


def assert_serving(test, d, tag):
    """/metrics answers 200 and passes promtool; a StatsD counter sent now shows up in it."""
    status, _, body = d.get("/metrics")
    test.assertEqual(status, 200)
    check = subprocess.run([require_tool("promtool"), "check", "metrics"], input=body,
                           capture_output=True, timeout=60)
    # 0: clean, 3: lint findings only (StatsD-made names); 1 would be a parse error.
    test.assertIn(check.returncode, (0, 3), check.stdout + check.stderr)
    findings = (check.stdout + check.stderr).decode()
    test.assertNotIn("metricsd_history", findings)
    name = f"faults_{tag}_{int(time.time() * 1000)}"
    udp_send(d, f"{name}:3|c")
    wait_until(lambda: metric(d, name) == 3, timeout=10, what=f"StatsD counter {name} in /metrics")


def assert_api_unavailable(test, d):
    """Without a store the query API answers 503 (README), never 500 or an empty success."""
    status, _, body = d.get("/api/v1/export?match[]=metricsd_build_info")
    test.assertEqual(status, 503, body[:300])
    test.assertIn(b"history", body)


def wait_history_progress(d, what, timeout=15):
    """samples_appended grows and last_flush_timestamp advances past now."""
    since = time.time()
    appended = metric(d, "metricsd_history_samples_appended_total", 0)
    wait_until(lambda: metric(d, "metricsd_history_samples_appended_total", 0) > appended,
               timeout=timeout, what=f"samples appended ({what})")
    wait_until(lambda: metric(d, "metricsd_history_last_flush_timestamp_seconds", 0) > since,
               timeout=timeout, what=f"a successful flush ({what})")


def write_error_total(d, reasons):
    samples = d.samples()
    return sum(samples.get(f'metricsd_history_write_errors_total{{reason="{r}"}}', 0) for r in reasons)


# --- What history holds -------------------------------------------------------------------------

def export_samples(d, name):
    """[(t_ms, value)] of series `name` from /api/v1/export, None when the API is not there."""
    query = urllib.parse.urlencode({"match[]": name, "start": "0", "end": str(int(time.time()) + 60)})
    status, _, body = d.get(f"/api/v1/export?{query}")
    if status == 404:
        return None
    assert status == 200, (status, body[:300])
    lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    lines = [line for line in lines if line["metric"].get("__name__") == name]
    assert len(lines) <= 1, f"{name} exported {len(lines)} times"
    if not lines:
        return []
    return list(zip(lines[0]["timestamps"], lines[0]["values"]))


def db_runs(directory, key):
    """[(min_t, max_t, count)] of the raw chunks and head of series `key` (bytes), ascending, read
    from a copy of the database (its WAL included), so the daemon's file is never touched."""
    with tempfile.TemporaryDirectory(prefix="metricsd-dbcopy-") as copy:
        for suffix in ("", "-wal"):
            source = os.path.join(directory, "metricsd.db" + suffix)
            if os.path.exists(source):
                shutil.copyfile(source, os.path.join(copy, "metricsd.db" + suffix))
        db = sqlite3.connect(os.path.join(copy, "metricsd.db"))
        try:
            row = db.execute("SELECT id FROM series WHERE key = ?", (key,)).fetchone()
            if row is None:
                return []
            runs = []
            for table in ("chunks", "head"):
                for min_t, max_t, data in db.execute(
                        f"SELECT min_t, max_t, data FROM {table} WHERE series_id = ? AND tier = 0",
                        (row[0],)):
                    runs.append((min_t, max_t, int.from_bytes(data[1:3], "big")))
            return sorted(runs)
        finally:
            db.close()


def runs_of_samples(samples):
    """Exported samples as runs of consecutive interval-spaced samples, for the same checks."""
    runs = []
    for t, _ in samples:
        if runs and t == runs[-1][1] + INTERVAL_MS:
            runs[-1] = (runs[-1][0], t, runs[-1][2] + 1)
        else:
            runs.append((t, t, 1))
    return runs


def history_of(d, directory, name):
    """(source, runs) for series `name`: the export API when served, else the database."""
    samples = export_samples(d, name)
    if samples is not None:
        times = [t for t, _ in samples]
        assert times == sorted(set(times)), f"{name}: exported timestamps not strictly increasing"
        return "export", runs_of_samples(samples)
    return "database", db_runs(directory, name.encode())


def missing_slots(runs, start, end):
    """Interval slots in [start, end] (ms) no run holds, and overlapping runs (duplicates)."""
    held, overlaps, last_end = 0, 0, None
    for min_t, max_t, count in runs:
        if last_end is not None and min_t <= last_end:
            overlaps += 1
        last_end = max_t if last_end is None else max(last_end, max_t)
        lo, hi = max(min_t, start), min(max_t, end)
        if lo > hi:
            continue
        # A run's samples are interval-spaced unless its count says some slots were skipped.
        span = (max_t - min_t) // INTERVAL_MS + 1
        held += (hi - lo) // INTERVAL_MS + 1 - max(0, span - count)
    expected = (end - start) // INTERVAL_MS + 1
    return expected - held, overlaps


_BINARY_COPY = None


def setUpModule():
    # A dozen starts: run a copy, so a rebuild of the binary meanwhile cannot fail one.
    global _BINARY_COPY
    _BINARY_COPY = tempfile.TemporaryDirectory(prefix="metricsd-faults-bin-")
    binary = os.path.join(_BINARY_COPY.name, "metricsd")
    shutil.copy2(harness.BIN, binary)
    harness.BIN = binary


def tearDownModule():
    _BINARY_COPY.cleanup()


class FaultCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="metricsd-faults-")
        self.addCleanup(self.tmp.cleanup)
        self.started = time.monotonic()

    def tearDown(self):
        print(f"{self.id()}: {time.monotonic() - self.started:.1f} s", flush=True)

    def path(self, *parts):
        return os.path.join(self.tmp.name, *parts)

    def daemon(self, storage):
        return Daemon(CONFIG, args=[f"--storage.path={storage}"])

    def previous_run(self, storage, series=0):
        """A database as a previous run leaves it (stopped with SIGTERM, WAL checkpointed)."""
        with self.daemon(storage) as d:
            d.wait_for_log(READY, what="history to open")
            for i in range(0, series, 100):
                udp_send(d, "\n".join(f"prev.gauge_{j}:{j}|g" for j in range(i, min(i + 100, series))))
            if series:
                wait_until(lambda: metric(d, f"prev_gauge_{series - 1}") is not None, timeout=10,
                           what="the previous run's gauges")
            wait_history_progress(d, "previous run")
            self.assertEqual(d.stop(), 0)
        db = sqlite3.connect(os.path.join(storage, "metricsd.db"))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        return os.path.join(storage, "metricsd.db")


class CorruptDatabaseTest(FaultCase):
    def check_moved_aside(self, storage, expected_hash):
        with self.daemon(storage) as d:
            match = d.wait_for_log(MOVED_ASIDE, what="the moved-aside warning")
            d.wait_for_log(READY, what="history to open afresh")
            moved = match.group("path")
            self.assertRegex(os.path.basename(moved), r"^metricsd\.db\.corrupt-\d+$")
            seconds = int(moved.rsplit("-", 1)[1])
            self.assertLess(abs(seconds - time.time()), 120)
            self.assertTrue(os.path.exists(moved), "the corrupt file must be kept, renamed")
            self.assertEqual(sha256(moved), expected_hash, "the corrupt file must be moved unchanged")
            # Its -wal and -shm (when there are) go with it, under the same name.
            aside = glob.glob(os.path.join(storage, "metricsd.db.corrupt-*"))
            self.assertEqual(sorted(p for p in aside if not p.endswith(("-wal", "-shm"))), [moved])
            print(f"moved aside: {match.group('why')}")
            wait_history_progress(d, "after moving aside")
            wait_history_progress(d, "again")
            self.assertGreater(metric(d, "metricsd_history_series"), 0)
            assert_serving(self, d, "corrupt")

    def test_random_bytes_are_moved_aside_and_history_starts_afresh(self):
        storage = self.path("data")
        os.makedirs(storage)
        with open(os.path.join(storage, "metricsd.db"), "wb") as f:
            f.write(os.urandom(64 * 1024))
        self.check_moved_aside(storage, sha256(os.path.join(storage, "metricsd.db")))

    def test_garbage_over_the_middle_pages_of_a_valid_database_is_moved_aside(self):
        storage = self.path("data")
        db_file = self.previous_run(storage, series=1500)
        size = os.path.getsize(db_file)
        pages = size // 4096
        self.assertGreaterEqual(pages, 12, f"the previous run's database is only {size} bytes")
        with open(db_file, "r+b") as f:
            for page in range(pages // 3, 2 * pages // 3):
                f.seek(page * 4096)
                f.write(os.urandom(4096))
        self.check_moved_aside(storage, sha256(db_file))


class SchemaVersionTest(FaultCase):
    def test_another_schema_version_is_refused_and_left_untouched(self):
        storage = self.path("data")
        db_file = self.previous_run(storage)
        db = sqlite3.connect(db_file)
        keys = [row[0] for row in db.execute("SELECT key FROM meta")]
        self.assertIn("schema_version", keys)
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        before = sha256(db_file)
        with self.daemon(storage) as d:
            match = d.wait_for_log(OFF + r'.*err="(?P<err>[^"]*)', what="history refused")
            self.assertIn("schema version 99", match.group("err"))
            self.assertIn("left untouched", match.group("err"))
            self.assertNotIn("metricsd_history_series", d.metrics())
            assert_api_unavailable(self, d)
            assert_serving(self, d, "schema")
            self.assertEqual(d.stop(), 0)
            self.assertFalse(any("moved aside" in line for line in d.lines))
        self.assertEqual(sha256(db_file), before, "a database of another version must stay as it was")
        self.assertEqual(glob.glob(os.path.join(storage, "metricsd.db.corrupt-*")), [])
        wal = db_file + "-wal"
        self.assertTrue(not os.path.exists(wal) or os.path.getsize(wal) == 0,
                        "nothing may be written into the refused database's WAL")


class UnreadablePathTest(FaultCase):
    def check_refused(self, storage, expected_text, tag):
        with self.daemon(storage) as d:
            match = d.wait_for_log(OFF + r'.*err="(?P<err>[^"]*)', what="history off")
            self.assertIn(expected_text, match.group("err"))
            self.assertNotIn("metricsd_history_series", d.metrics())
            assert_api_unavailable(self, d)
            assert_serving(self, d, tag)

    def test_a_path_under_a_regular_file(self):
        regular = self.path("file")
        with open(regular, "w") as f:
            f.write("not a directory\n")
        self.check_refused(os.path.join(regular, "sub"), "Not a directory", "underfile")
        with open(regular) as f:
            self.assertEqual(f.read(), "not a directory\n")
        print("ran: a path under a regular file")

    def test_a_directory_without_permissions(self):
        if os.geteuid() == 0:
            # Root reads a mode 000 directory anyway (CAP_DAC_OVERRIDE): the regular-file case
            # above is what runs as root. Say so rather than skip.
            print("ran as root: mode 000 cannot refuse root; the regular-file case covers it")
            self.assertEqual(os.geteuid(), 0)
            return
        storage = self.path("locked")
        os.makedirs(storage)
        os.chmod(storage, 0)
        self.addCleanup(os.chmod, storage, 0o700)
        self.check_refused(os.path.join(storage, "data"), "Permission denied", "perm")
        print("ran: a mode 000 directory")


class TmpfsMount:
    """A small tmpfs of the test's own, unmounted at the end."""

    def __init__(self, mountpoint, size):
        self.mountpoint = mountpoint
        os.makedirs(mountpoint, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mountpoint],
                                capture_output=True, text=True, timeout=30)
        self.mounted = result.returncode == 0
        self.error = result.stderr.strip()

    def remount(self, options):
        return subprocess.run(["mount", "-o", f"remount,{options}", self.mountpoint],
                              capture_output=True, text=True, timeout=30)

    def unmount(self):
        if self.mounted:
            self.remount("rw")
            subprocess.run(["umount", "-l", self.mountpoint], capture_output=True, timeout=30)
            self.mounted = False


def fill(path):
    """Writes `path` until the filesystem is full; returns the bytes written."""
    written = 0
    block = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                written += f.write(block)
            except OSError:
                try:
                    while f.write(b"\0" * 512):
                        written += 512
                except OSError:
                    return written


class DiskFullTest(FaultCase):
    GAUGES = 40

    def feed(self, d, value):
        udp_send(d, "\n".join(f"faults.disk_{i}:{value}|g" for i in range(self.GAUGES)))

    def check_outage_kept(self, d, storage, outage_start, outage_end):
        """The samples taken while writes failed reached the disk once they worked again."""
        source, runs = history_of(d, storage, "faults_disk_0")
        start, end = int(outage_start * 1000) // 1000 * 1000, int(outage_end * 1000) // 1000 * 1000
        missing, overlaps = missing_slots(runs, start, end)
        print(f"outage {end - start} ms, read through {source}: {missing} slots missing, runs {runs}")
        self.assertEqual(overlaps, 0, f"duplicated samples ({source}): {runs}")
        self.assertLessEqual(missing, 2, f"samples from the outage were lost ({source}): {runs}")

    def test_disk_full_and_read_only_filesystem(self):
        mount = None
        if os.geteuid() == 0 and os.environ.get("METRICSD_TEST_FORCE_PRLIMIT") != "1":
            mount = TmpfsMount(self.path("mnt"), "8m")
            self.addCleanup(mount.unmount)
            if not mount.mounted:
                print(f"mount -t tmpfs refused ({mount.error}): using RLIMIT_FSIZE instead")
                mount = None
        if mount is not None:
            print("mechanism: tmpfs (8 MiB) filled by a file; read-only by remount")
            self.run_on_tmpfs(mount)
        else:
            print("mechanism: RLIMIT_FSIZE lowered on the daemon (SIGXFSZ ignored), then raised")
            self.run_with_file_size_limit()

    def run_on_tmpfs(self, mount):
        storage = os.path.join(mount.mountpoint, "data")
        filler = os.path.join(mount.mountpoint, "filler")
        with self.daemon(storage) as d:
            d.wait_for_log(READY, what="history to open")
            self.feed(d, 1)
            wait_history_progress(d, "before the disk fills")
            errors = write_error_total(d, ("disk_full", "io"))
            outage_start = time.time()
            written = fill(filler)
            print(f"filler: {written} bytes")
            for n in range(4):  # values change, so every flush has work
                self.feed(d, 2 + n)
                time.sleep(0.5)
            wait_until(lambda: write_error_total(d, ("disk_full", "io")) > errors, timeout=20,
                       what="write_errors_total{reason=disk_full|io} to grow")
            full = d.samples()
            print("while full: disk_full", full['metricsd_history_write_errors_total{reason="disk_full"}'],
                  "io", full['metricsd_history_write_errors_total{reason="io"}'])
            assert_serving(self, d, "diskfull")
            self.feed(d, 10)
            time.sleep(3)  # a few more samples taken while the disk is full
            os.remove(filler)
            outage_end = time.time()
            wait_history_progress(d, "after the filler is gone")
            wait_history_progress(d, "after the filler is gone, again")
            errors_after = write_error_total(d, ("disk_full", "io"))
            time.sleep(2.5)
            self.assertEqual(write_error_total(d, ("disk_full", "io")), errors_after,
                             "writes keep failing with the disk free again")
            self.check_outage_kept(d, storage, outage_start + 1, outage_end - 1)
            assert_serving(self, d, "diskfree")

            # A live remount read-only: Linux refuses it while a process holds a file open for
            # writing (EBUSY), which SQLite always does; then the read-only case is at start.
            result = mount.remount("ro")
            if result.returncode == 0:
                print("live remount,ro accepted: counting read_only errors")
                errors = write_error_total(d, ("read_only", "io"))
                wait_until(lambda: write_error_total(d, ("read_only", "io")) > errors, timeout=20,
                           what="write_errors_total{reason=read_only|io} to grow")
                assert_serving(self, d, "ro")
                self.assertEqual(mount.remount("rw").returncode, 0)
                wait_history_progress(d, "after remount,rw")
            else:
                print(f"live remount,ro refused while the daemon writes: {result.stderr.strip()}")
                self.assertIn("busy", result.stderr)
            self.assertEqual(d.stop(), 0)

        # Read-only at start: a clear error, nothing written, everything else serving; once the
        # filesystem is writable again a restart resumes the same history.
        db_file = os.path.join(storage, "metricsd.db")
        before = sha256(db_file)
        self.assertEqual(mount.remount("ro").returncode, 0)
        with self.daemon(storage) as d:
            match = d.wait_for_log(OFF + r'.*err="(?P<err>[^"]*)', what="history refused (read-only)")
            print(f"read-only at start: {match.group('err')}")
            self.assertRegex(match.group("err"), r"(?i)read-only")
            assert_api_unavailable(self, d)
            assert_serving(self, d, "rostart")
        self.assertEqual(sha256(db_file), before)
        self.assertEqual(mount.remount("rw").returncode, 0)
        with self.daemon(storage) as d:
            d.wait_for_log(READY, what="history to open after remount,rw")
            self.assertFalse(any("moved aside" in line for line in d.lines))
            wait_history_progress(d, "after remount,rw")
            self.assertGreaterEqual(metric(d, "metricsd_history_series"), self.GAUGES)

    def run_with_file_size_limit(self):
        storage = self.path("data")
        # An ignored signal stays ignored across exec, so the daemon started through this shell
        # gets EFBIG from a write over the limit instead of being killed by SIGXFSZ. (subprocess
        # resets SIGXFSZ in its children, and the harness takes no preexec_fn.)
        wrapper = self.path("metricsd-ignoring-sigxfsz")
        with open(wrapper, "w") as f:
            f.write(f"#!/bin/sh\ntrap '' XFSZ\nexec '{harness.BIN}' \"$@\"\n")
        os.chmod(wrapper, 0o755)
        real_bin, harness.BIN = harness.BIN, wrapper
        try:
            d = self.daemon(storage)
        finally:
            harness.BIN = real_bin
        with d:
            with open(f"/proc/{d.proc.pid}/status") as f:
                ignored = int(re.search(r"SigIgn:\s*(\w+)", f.read()).group(1), 16)
            self.assertTrue(ignored & (1 << (signal.SIGXFSZ - 1)), "SIGXFSZ is not ignored")
            d.wait_for_log(READY, what="history to open")
            self.feed(d, 1)
            wait_history_progress(d, "before the limit")
            errors = write_error_total(d, ("disk_full", "io"))
            soft, hard = resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE)
            used = max(os.path.getsize(p) for p in glob.glob(os.path.join(storage, "metricsd.db*")))
            outage_start = time.time()
            resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE, (used, hard))
            for n in range(6):
                self.feed(d, 2 + n)
                time.sleep(0.5)
            wait_until(lambda: write_error_total(d, ("disk_full", "io")) > errors, timeout=30,
                       what="write_errors_total{reason=disk_full|io} to grow")
            limited = d.samples()
            print("over the limit: disk_full", limited['metricsd_history_write_errors_total{reason="disk_full"}'],
                  "io", limited['metricsd_history_write_errors_total{reason="io"}'])
            assert_serving(self, d, "fsize")
            resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE, (soft, hard))
            outage_end = time.time()
            wait_history_progress(d, "after the limit is raised")
            wait_history_progress(d, "after the limit is raised, again")
            self.check_outage_kept(d, storage, outage_start + 1, outage_end - 1)
            assert_serving(self, d, "fsizeok")
            self.assertEqual(d.stop(), 0)
        if os.geteuid() == 0:
            # Root writes through file modes: without a mount there is no read-only case to run.
            print("read-only case not run: root without mount permission cannot make a read-only store")
            self.assertEqual(os.geteuid(), 0)
            return
        # Read-only at start (the modes, as a user meets them): refused clearly, file untouched;
        # writable again, a restart resumes the same history.
        db_file = os.path.join(storage, "metricsd.db")
        before = sha256(db_file)
        os.chmod(db_file, 0o444)
        os.chmod(storage, 0o555)
        try:
            with self.daemon(storage) as d:
                match = d.wait_for_log(OFF + r'.*err="(?P<err>[^"]*)', what="history refused (read-only)")
                print(f"read-only at start (modes): {match.group('err')}")
                self.assertRegex(match.group("err"), r"(?i)read-only|not writable")
                assert_serving(self, d, "romodes")
        finally:
            os.chmod(storage, 0o750)
            os.chmod(db_file, 0o644)
        self.assertEqual(sha256(db_file), before)
        with self.daemon(storage) as d:
            d.wait_for_log(READY, what="history to open once writable")
            wait_history_progress(d, "writable again")
            self.assertGreaterEqual(metric(d, "metricsd_history_series"), self.GAUGES)


if __name__ == "__main__":
    unittest.main(verbosity=2)
