"""A spinning workload thread and a task that intrudes on its CPU (stdlib only).

    python3 intruder_load.py NAME CPU spin|intrude SECONDS

Names itself NAME (prctl PR_SET_NAME: its comm), pins itself to CPU and
either spins for SECONDS once a line comes on its stdin (a busy-polling
strategy thread that never sleeps) or, for SECONDS, runs 0.3 ms and sleeps 1 ms in turn (a task
pinned next to it: each wake-up takes the CPU from the spinner). Prints
"ready" once named and pinned.
"""
import ctypes
import os
import sys
import time

PR_SET_NAME = 15


def main():
    name, cpu, mode, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    ctypes.CDLL(None).prctl(PR_SET_NAME, name.encode(), 0, 0, 0)
    os.sched_setaffinity(0, {cpu})
    print("ready", flush=True)
    if mode == "spin":
        # Spin only once told: a daemon started meanwhile finds the thread
        # without sharing the CPU with it (in a TCG guest one host thread
        # runs every vCPU, and a spinning one halves the others' speed).
        sys.stdin.readline()
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if mode == "intrude":
            until = time.monotonic() + 0.0003
            while time.monotonic() < until:
                pass
            time.sleep(0.001)


if __name__ == "__main__":
    main()
