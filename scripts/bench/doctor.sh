#!/usr/bin/env bash
# What a doctor run costs: the daemon runs the same checks every
# doctor.interval on its housekeeping CPU. First those checks in process
# (build/bench/doctor_run: what the daemon pays), then `jitterd doctor
# --json` (every check, plus process start and linking) RUNS times: the
# median wall and CPU (user + sys) milliseconds of one run.
#
# Usage: scripts/bench/doctor.sh [RUNS]    (any user; `make bench` builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-21}
build/bench/doctor_run 200
wall=() cpu=()
for _ in $(seq "$runs"); do
	# %e wall seconds, %U + %S CPU seconds, from GNU time's rusage of the child
	out=$({ /usr/bin/env TIMEFORMAT='%R %U %S' bash -c 'time build/jitterd doctor --json >/dev/null'; } 2>&1)
	read -r r u s <<<"$out"
	wall+=("$r")
	cpu+=("$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] * 1000 }'; }
echo "== jitterd doctor --json, $runs runs on $(uname -r), $(nproc) CPUs"
echo "median wall $(median "${wall[@]}") ms, median CPU $(median "${cpu[@]}") ms per run"
