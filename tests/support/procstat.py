"""What /proc says about a process: CPU seconds and resident memory, for the benchmarks."""
import os


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15)


def sched_seconds(pid):
    """On-CPU time of every live thread, in ns resolution (/proc/PID/task/*/schedstat): the
    tick-based utime+stime moves in 10 ms steps, coarse for a process using ~1 ms a second."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass  # the thread just exited
    return total / 1e9


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def rss_kib(pid):
    return rss_bytes(pid) // 1024
