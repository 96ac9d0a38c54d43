#!/usr/bin/env python3
"""The floor plan, checked: which folder of daemon/ may include which
(docs/architecture.md "What each folder may include"). Fails with
file:line on an include that crosses a wall, on a collector that includes
another, on a BPF struct read outside its collector, and on two files that
include each other."""
import os
import re
import sys

ROOT = os.environ.get('JD_ROOT') or os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
# What each folder may include besides itself. `core/config.h` (the config
# every face reads) and bpf/ (headers shared with the BPF programs) are
# open to all; core/ and main.c assemble the daemon from everything.
MAY = {
    'lib': set(),
    'http': {'lib'},
    'probes': {'lib', 'anomaly/signal.h'},
    'collectors': {'lib', 'probes', 'anomaly/signal.h'},
    'anomaly': {'lib', 'probes', 'core/loop.h'},
    'doctor': {'lib', 'core/loop.h'},
    'pcap': {'lib'},
    'core': {'lib', 'http', 'probes', 'anomaly', 'doctor'},
    'main': {'lib', 'http', 'probes', 'anomaly', 'doctor', 'pcap', 'core'},
}
OPEN = {'core/config.h'}
# The layout of the rings that span publishers share with the daemon
# (client/, libjitterd-span): only the spans collector reads it.
CLIENT_SHARED = {'collectors/spans.h': 'client/jitterd_span_ring.h'}
# The headers shared with the BPF programs: a collector's own (bpf/<name>.h)
# is its own business; besides those, only these are read in user space.
BPF_SHARED = {'lib': {'bpf/hist_slots.h'}, 'probes': {'bpf/event.h'}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(rel):
    parts = rel.split('/')
    return 'main' if len(parts) == 1 else parts[0]


def main():
    daemon = os.path.join(ROOT, 'daemon')
    errors = []
    edges = {}
    for dirpath, _, files in os.walk(daemon):
        for name in sorted(files):
            if not name.endswith(('.c', '.h')):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, daemon)
            src = folder_of(rel)
            with open(path, encoding='utf-8') as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    inc = m.group(1)
                    if inc.startswith('bpf/'):
                        own = src == 'collectors' and inc == 'bpf/' + os.path.splitext(name)[0] + '.h'
                        if not own and inc not in BPF_SHARED.get(src, ()):
                            errors.append('daemon/%s:%d: %s/ may not include "%s": a collector\'s BPF '
                                          'structs are its own (docs/architecture.md)' % (rel, lineno, src, inc))
                        continue
                    if inc.startswith('client/'):
                        if CLIENT_SHARED.get(rel) != inc:
                            errors.append('daemon/%s:%d: "%s" is the spans collector\'s (docs/architecture.md)'
                                          % (rel, lineno, inc))
                        continue
                    if inc.endswith('.skel.h'):
                        continue
                    if '/' not in inc:
                        errors.append('daemon/%s:%d: include "%s" by its folder ("lib/x.h")'
                                      % (rel, lineno, inc))
                        continue
                    dst = inc.split('/')[0]
                    edges.setdefault(rel, set()).add(inc)
                    if src == 'collectors' and dst == src and \
                            os.path.splitext(os.path.basename(inc))[0] != os.path.splitext(name)[0]:
                        errors.append('daemon/%s:%d: a collector includes no other collector ("%s")'
                                      % (rel, lineno, inc))
                        continue
                    if dst == src or inc in OPEN:
                        continue
                    if dst not in MAY[src] and inc not in MAY[src]:
                        errors.append('daemon/%s:%d: %s/ may not include "%s" (docs/architecture.md)'
                                      % (rel, lineno, src, inc))
    for a, incs in edges.items():
        for b in incs:
            if a in edges.get(b, ()) and a < b:
                errors.append('daemon/%s and daemon/%s include each other' % (a, b))
    if not edges:
        errors.append('%s: no daemon sources found' % daemon)
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
