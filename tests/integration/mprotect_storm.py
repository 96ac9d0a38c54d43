"""A TLB shootdown storm for the integration tests (stdlib only).

    python3 mprotect_storm.py SECONDS SENDER_CPU TOUCHER_CPU

Two threads of one process share a mapping:
  - the toucher (comm "jd-toucher"), pinned to TOUCHER_CPU, reads the
    whole mapping, then a buffer of 16 MiB, over and over (memchr()
    through ctypes, which releases the GIL: most of its time is in the
    long read, so it never waits for the GIL, and stays on its CPU, in
    user mode, with the process's page tables loaded and the mapping's
    pages in its TLB; a CPU that went idle would be flushed lazily,
    without an IPI);
  - the sender (comm "jd-mprotect"), pinned to SENDER_CPU, mprotect()s
    the mapping read-only and back in a loop. Each downgrade must flush
    the toucher's CPU's TLB: a TLB shootdown IPI from flush_tlb_mm_range()
    (tlb_flush with reason TLB_REMOTE_SHOOTDOWN there), unless the
    kernel's hypervisor does the flush for it.
The toucher only reads, so it never faults on the read-only mapping.
Prints {"pid": P, "sender_tid": T, "toucher_tid": U} when both run (then
the storm is on), and {"rounds": N} at the end.
"""
import ctypes
import json
import mmap
import os
import sys
import threading
import time

PAGES = 16
SPIN_BYTES = 16 << 20
PR_SET_NAME = 15

libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.memchr.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
libc.memchr.restype = ctypes.c_void_p
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_ulong,
                       ctypes.c_ulong]


def name_thread(comm):
    libc.prctl(PR_SET_NAME, comm.encode(), 0, 0, 0)


def main():
    seconds, sender_cpu, toucher_cpu = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    size = mmap.PAGESIZE * PAGES
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                  prot=mmap.PROT_READ | mmap.PROT_WRITE)
    m[:] = b"x" * size  # present, written pages: a downgrade must flush them
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    stop = threading.Event()
    touching = threading.Event()
    toucher_tid = []
    spin_buf = ctypes.create_string_buffer(SPIN_BYTES)

    def toucher():
        os.sched_setaffinity(0, {toucher_cpu})
        name_thread("jd-toucher")
        toucher_tid.append(threading.get_native_id())
        touching.set()
        while not stop.is_set():  # 'y' is nowhere: each call reads it all
            libc.memchr(addr, ord("y"), size)
            libc.memchr(spin_buf, ord("y"), SPIN_BYTES)

    os.sched_setaffinity(0, {sender_cpu})
    name_thread("jd-mprotect")
    t = threading.Thread(target=toucher)
    t.start()
    touching.wait()
    print(json.dumps({"pid": os.getpid(), "sender_tid": threading.get_native_id(),
                      "toucher_tid": toucher_tid[0]}), flush=True)
    rounds = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(100):
            if libc.mprotect(addr, size, mmap.PROT_READ) or \
                    libc.mprotect(addr, size, mmap.PROT_READ | mmap.PROT_WRITE):
                sys.exit("mprotect: errno %d" % ctypes.get_errno())
        rounds += 100
    stop.set()
    t.join()
    print(json.dumps({"rounds": rounds}), flush=True)


if __name__ == "__main__":
    main()
