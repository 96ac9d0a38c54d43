"""Context switches of both kinds for the integration tests (stdlib only).

    python3 ctxsw_load.py CPU SECONDS

Pins itself to CPU and forks, all on that CPU and alive until SECONDS
have passed (no thread or process exits early, so /proc/PID/task/*/status
keeps every switch they made):
  - two busy processes: runnable all the time, they take the CPU from each
    other when their slices end: involuntary switches (nonvoluntary_ctxt_switches);
  - a pipe ping-pong between two processes, each blocking in read(): two
    voluntary switches a round (voluntary_ctxt_switches).
Processes, not threads: Python threads would queue on the GIL (a futex
wait, voluntary), not on the CPU. The ping-pong sleeps a little each
round so that the two kinds come in clearly different numbers (a test
that swapped them must not pass by chance). Prints one line of JSON
({"pids": [...]}) once everything runs, then waits for SECONDS.
"""
import json
import os
import sys
import time

from runq_load import hog  # runq_load.py, beside this script


def pingpong(until):
    """Parent and child pass a byte; the parent naps 200 us each round."""
    a_r, a_w = os.pipe()
    b_r, b_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        while os.read(a_r, 1) == b"x":
            os.write(b_w, b"x")
        os._exit(0)
    while time.monotonic() < until:
        os.write(a_w, b"x")
        os.read(b_r, 1)
        time.sleep(0.0002)
    os.write(a_w, b"q")
    os.waitpid(pid, 0)
    os._exit(0)


def main():
    cpu, seconds = int(sys.argv[1]), float(sys.argv[2])
    os.sched_setaffinity(0, {cpu})
    until = time.monotonic() + seconds
    pids = [os.getpid()]
    for fn in (hog, hog, pingpong):
        pid = os.fork()
        if pid == 0:
            fn(until)
        pids.append(pid)
    # The ping-pong's child: its own fork, reported by the parent's
    # children list once it exists.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open("/proc/%d/task/%d/children" % (pids[-1], pids[-1])) as f:
            kids = [int(p) for p in f.read().split()]
        if kids:
            break
        time.sleep(0.01)
    print(json.dumps({"pids": pids + kids}), flush=True)
    for pid in pids[1:]:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
