"""The kernel's own trace events, as an independent witness (stdlib only).

A private tracefs instance (instances/NAME: its own buffers, events and
filters, so it disturbs no other tracer) records a few tracepoints with
the "mono" trace clock, the clock of time.monotonic_ns(): a test stamps
its scrapes with time.monotonic_ns() and counts the events between the
stamps. Enabling and disabling are synchronous writes, so the recording
surely covers the window between them. The events go through ftrace's own
ring buffer, not BPF: what jitterd's programs miss or miscount, this does
not. Timestamps print in microseconds (the text format's resolution).
"""
import os
import re
import subprocess

import harness

TRACEFS = "/sys/kernel/tracing"

_LINE = re.compile(r"^\s*(?P<comm>.*)-(?P<pid>\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(?P<cpu>\d+)\]\s+"
                   r"(?:\S+\s+)?(?P<sec>\d+)\.(?P<usec>\d{6}): (?P<event>\w+): (?P<fields>.*)$")
_FIELD = re.compile(r"(\w+)=(\S+)")


def mounted():
    """Mount tracefs where it belongs if nobody did (perf does the same)."""
    if not os.path.exists(os.path.join(TRACEFS, "instances")):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], check=True)
    return TRACEFS


class Event:
    __slots__ = ("cpu", "ns", "name", "fields", "comm", "text")

    def __init__(self, cpu, ns, name, fields, comm=None, text=""):
        self.cpu, self.ns, self.name, self.fields = cpu, ns, name, fields
        self.comm = comm  # the task current on that CPU when it fired
        self.text = text  # the fields as printed (for events not in key=value form)


class Trace:
    """Record events ({"sched/sched_switch": "prev_pid == 0", ...}; filter
    None for all hits) from construction to stop()."""

    made = 0

    def __init__(self, events, buffer_kb=8192):
        Trace.made += 1
        self.dir = os.path.join(mounted(), "instances", "jitterd-it-%d-%d" % (os.getpid(), Trace.made))
        if os.path.isdir(self.dir):
            os.rmdir(self.dir)
        os.mkdir(self.dir)
        try:
            self._write("tracing_on", "0")
            self._write("trace_clock", "mono")
            self._write("buffer_size_kb", str(buffer_kb))
            for event, flt in events.items():
                if flt:
                    self._write("events/%s/filter" % event, flt)
                self._write("events/%s/enable" % event, "1")
            self._write("tracing_on", "1")
        except BaseException:
            self.close()
            raise

    def _write(self, name, value):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(value)

    def _read(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read()

    def stop(self):
        self._write("tracing_on", "0")

    def cpus(self):
        return sorted(harness.possible_cpus())

    def overran(self, cpu):
        """Whether this CPU's buffer lost its oldest events to newer ones."""
        stats = dict(line.split(":", 1) for line in self._read("per_cpu/cpu%d/stats" % cpu).splitlines())
        return int(stats["overrun"]) != 0

    def events(self, cpu):
        """This CPU's events in time order. Fails if the buffer overran:
        a count from a trace that lost events would prove nothing."""
        assert not self.overran(cpu), "trace buffer of cpu %d overran" % cpu
        out = []
        with open(os.path.join(self.dir, "per_cpu/cpu%d/trace" % cpu)) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                m = _LINE.match(line)
                assert m, "unparsable trace line: %r" % line
                out.append(Event(int(m["cpu"]), int(m["sec"]) * 10**9 + int(m["usec"]) * 1000,
                                 m["event"], dict(_FIELD.findall(m["fields"])),
                                 m["comm"].strip(), m["fields"]))
        return out

    def close(self):
        try:
            self.stop()
        except OSError:
            pass
        # An instance with enabled events cannot go: switch them off first.
        try:
            self._write("events/enable", "0")
        except OSError:
            pass
        os.rmdir(self.dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
