"""jitterd_span: application spans into jitterd from Python (docs/spans.md).

A ctypes binding of libjitterd-span (client/span.c): the same rings, the
same registration. Each call crosses ctypes (about a microsecond in
CPython), so this is for tools and test components, not for a hot path
that counts nanoseconds.

    import jitterd_span as js
    js.register(["tick_to_order", ("decode", 20_000)])   # names, or (name, threshold_ns)
    js.register([("order_send", 0, {"venue": "XNAS"}),     # or (name, threshold_ns, labels):
                 "order_send{venue=XLON}"])               # the C form says the same
    with js.span(0):
        work()
    t0 = js.now(); ...; js.record(1, t0, js.now())

The library is found at $JITTERD_SPAN_LIB, beside this file's build tree
(build/client/ of the repository), or where the linker finds
libjitterd-span.so (make install).
"""
import ctypes
import ctypes.util
import contextlib
import os

CLOCK_MONOTONIC = 1
CLOCK_TSC = 2


class _Def(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("threshold_ns", ctypes.c_uint64)]


class _Options(ctypes.Structure):
    _fields_ = [("socket", ctypes.c_char_p), ("clock", ctypes.c_int),
                ("max_threads", ctypes.c_uint), ("slots", ctypes.c_uint),
                ("timeout_ms", ctypes.c_uint)]


def _find():
    env = os.environ.get("JITTERD_SPAN_LIB")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(here, "..", "..", "build", "client", "libjitterd-span.so")
    if os.path.exists(built):
        return built
    found = ctypes.util.find_library("jitterd-span")
    if not found:
        raise OSError("libjitterd-span.so not found: make, make install, or set JITTERD_SPAN_LIB")
    return found


_lib = ctypes.CDLL(_find())
_lib.jd_span_register.argtypes = [ctypes.POINTER(_Def), ctypes.c_uint, ctypes.POINTER(_Options)]
_lib.jd_span_register.restype = ctypes.c_int
_lib.jd_span_error.restype = ctypes.c_char_p
_lib.jd_span_now.restype = ctypes.c_uint64
_lib.jd_span_begin.argtypes = [ctypes.c_uint]
_lib.jd_span_end.argtypes = [ctypes.c_uint]
_lib.jd_span_record.argtypes = [ctypes.c_uint, ctypes.c_uint64, ctypes.c_uint64]
_lib.jd_span_mark.argtypes = [ctypes.c_uint]
_lib.jd_span_dropped.restype = ctypes.c_uint64
_lib.jd_span_thread_init.restype = ctypes.c_int


class RegistrationError(OSError):
    pass


def span_name(name, labels=None):
    """The C library's form of a span with labels: "name{k=v,...}"."""
    if not labels:
        return name
    return "%s{%s}" % (name, ",".join("%s=%s" % kv for kv in labels.items()))


def register(spans, socket=None, clock=0, max_threads=0, slots=0, timeout_ms=0):
    """Register this process: spans are names ("name" or "name{k=v,...}"),
    (name, threshold_ns) or (name, threshold_ns, {label: value}); a span's
    id is its index. Raises RegistrationError with jitterd's reason."""
    defs = (_Def * len(spans))()
    names = []  # kept alive until the call returns
    for i, s in enumerate(spans):
        s = (s,) if isinstance(s, str) else tuple(s)
        name, threshold, labels = (s + (0, None))[:3]
        names.append(span_name(name, labels).encode())
        defs[i].name = names[-1]
        defs[i].threshold_ns = int(threshold)
    opts = _Options(socket.encode() if socket else None, clock, max_threads, slots, timeout_ms)
    err = _lib.jd_span_register(defs, len(spans), ctypes.byref(opts))
    if err:
        raise RegistrationError(-err, _lib.jd_span_error().decode())


def now():
    """The clock the records use: TSC ticks or CLOCK_MONOTONIC ns."""
    return _lib.jd_span_now()


def begin(span_id):
    _lib.jd_span_begin(span_id)


def end(span_id):
    _lib.jd_span_end(span_id)


def record(span_id, t0, t1):
    _lib.jd_span_record(span_id, t0, t1)


def mark(span_id):
    _lib.jd_span_mark(span_id)


def dropped():
    """Records this process dropped (full rings, threads without a ring)."""
    return _lib.jd_span_dropped()


def thread_init():
    """Claim the calling thread's ring now; False when none is free."""
    return _lib.jd_span_thread_init() == 0


@contextlib.contextmanager
def span(span_id):
    begin(span_id)
    try:
        yield
    finally:
        end(span_id)
