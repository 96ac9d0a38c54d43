"""IPIs and TLB shootdowns for the integration tests (stdlib only).

    python3 ipi_load.py SECONDS [CPU_A CPU_B]

Two threads of one process, each pinned to its own CPU (by default the
first two CPUs this process may use):
  - a spinner that keeps the process's mm loaded on its CPU: it runs
    memset() over a large buffer through ctypes, which releases the GIL, so
    it stays on the CPU instead of queueing for the GIL;
  - a sender that, in a loop, calls membarrier(PRIVATE_EXPEDITED) (an IPI
    to every other CPU that runs this process: call_function_single with
    one such CPU, call_function with more) and mprotect()s a mapping of
    touched pages read-only and back (a TLB shootdown of the other CPU:
    tlb_flush with reason TLB_REMOTE_SHOOTDOWN there, inside a
    call_function(_single) IPI).
Halfway through, the two swap CPUs, so that both CPUs receive. Prints the
sender's rounds as one line of JSON ({"rounds": N}) at the end.
"""
import ctypes
import json
import mmap
import os
import sys
import threading
import time

SYS_membarrier = 324  # x86_64
MEMBARRIER_CMD_PRIVATE_EXPEDITED = 1 << 3
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4
PAGES = 16
SPIN_BYTES = 32 << 20

libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
libc.syscall.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_uint, ctypes.c_int]


def main():
    seconds = float(sys.argv[1])
    if len(sys.argv) > 3:
        cpus = [int(sys.argv[2]), int(sys.argv[3])]
    else:
        cpus = sorted(os.sched_getaffinity(0))[:2]
    if len(cpus) < 2:
        sys.exit("ipi_load.py needs two CPUs")
    page = mmap.PAGESIZE
    m = mmap.mmap(-1, page * PAGES, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    m[:] = b"x" * (page * PAGES)  # present pages: a downgrade must flush them
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    spin_buf = ctypes.create_string_buffer(SPIN_BYTES)
    if libc.syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0):
        sys.exit("membarrier register: errno %d" % ctypes.get_errno())
    start = time.monotonic()
    half, stop = start + seconds / 2, start + seconds

    def spinner():
        pinned = None
        while time.monotonic() < stop:
            want = cpus[1] if time.monotonic() < half else cpus[0]
            if want != pinned:
                os.sched_setaffinity(0, {want})
                pinned = want
            libc.memset(spin_buf, 1, SPIN_BYTES)

    t = threading.Thread(target=spinner)
    t.start()
    rounds = 0
    pinned = None
    while time.monotonic() < stop:
        want = cpus[0] if time.monotonic() < half else cpus[1]
        if want != pinned:
            os.sched_setaffinity(0, {want})
            pinned = want
        libc.syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0)
        libc.mprotect(addr, page * PAGES, mmap.PROT_READ)
        libc.mprotect(addr, page * PAGES, mmap.PROT_READ | mmap.PROT_WRITE)
        rounds += 1
    t.join()
    print(json.dumps({"rounds": rounds}), flush=True)


if __name__ == "__main__":
    main()
