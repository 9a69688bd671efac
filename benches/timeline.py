#!/usr/bin/env python3
"""The CPU each thread of a command takes, bucket by bucket (Linux, /proc): shows where a
multi-threaded run keeps both cores busy and where one thread waits for another.

    python3 benches/timeline.py -- ./target/release/trailstore-bench child import-ts /tmp/w1 100000 42
    python3 benches/timeline.py --bucket 0.25 --from-thread tantivy -- CMD ...

Each line is one bucket: its start (seconds since the command began), the CPU-seconds all
threads took in it (at most the bucket times the cores), and the threads that took the most.
Threads of the same name are told apart by the last digits of their id. The sampling itself
takes some CPU, so read shares, not exact figures. Prints the command's own output first.
"""

import argparse
import collections
import os
import subprocess
import sys
import time


def thread_times(pid, hz):
    """CPU-seconds (user + system) of each live thread of `pid`, by (tid, name)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[(tid, name)] = (int(fields[11]) + int(fields[12])) / hz
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bucket", type=float, default=0.1, help="seconds a line (default 0.1)")
    ap.add_argument("--every", type=float, default=0.02, help="seconds between samples")
    ap.add_argument(
        "--from-thread",
        default="",
        help="start printing at the first bucket where a thread of this name ran",
    )
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        ap.error("give the command after --")
    hz = os.sysconf("SC_CLK_TCK")
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    start = time.monotonic()
    buckets = collections.defaultdict(collections.Counter)
    last = {}
    while child.poll() is None:
        now = time.monotonic() - start
        for key, seconds in thread_times(child.pid, hz).items():
            tid, name = key
            label = name if tid == str(child.pid) else f"{name}#{tid[-2:]}"
            buckets[int(now / a.bucket)][label] += seconds - last.get(key, 0.0)
            last[key] = seconds
        time.sleep(a.every)
    sys.stdout.write(child.stdout.read().decode())
    printing = not a.from_thread
    for b in sorted(buckets):
        threads = buckets[b]
        printing = printing or any(a.from_thread in n and v > 0 for n, v in threads.items())
        if not printing:
            continue
        busiest = " ".join(f"{n}:{v:.2f}" for n, v in threads.most_common(4) if v >= 0.005)
        print(f"{b * a.bucket:6.2f}s  cpu {sum(threads.values()):4.2f}  {busiest}")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
