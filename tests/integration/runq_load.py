"""Run-queue load for the integration tests (stdlib only).

    python3 runq_load.py CPU HOGS SLEEP_US SECONDS [NAME]

Pins itself to CPU, starts a sleeper thread that wakes every SLEEP_US and
forks HOGS busy processes (threads would only queue on Python's GIL, not on
the CPU) that stay runnable on the same CPU, so every one of them waits
for it. Prints one line of JSON ({"pids": [...]}) once everything runs, and
exits after SECONDS. With NAME, renames its main thread to NAME first
(prctl PR_SET_NAME): the task_rename path. The tests run it through a
symlink whose name is the comm they match (the exec path).
"""
import ctypes
import json
import os
import sys
import threading
import time


def rename(name):
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NAME = 15
    if libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")


def hog(until):
    n = 0
    while True:
        n += 1
        if n % 10000 == 0 and time.monotonic() > until:
            os._exit(0)


def sleeper(period, until):
    while time.monotonic() < until:
        time.sleep(period)


def main():
    cpu, hogs, sleep_us, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    if len(sys.argv) > 5:
        rename(sys.argv[5])
    os.sched_setaffinity(0, {cpu})
    until = time.monotonic() + seconds
    pids = [os.getpid()]
    for _ in range(hogs):
        pid = os.fork()
        if pid == 0:
            hog(until)
        pids.append(pid)
    t = threading.Thread(target=sleeper, args=(sleep_us / 1e6, until), daemon=True)
    t.start()
    print(json.dumps({"pids": pids}), flush=True)
    t.join()
    for pid in pids[1:]:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
