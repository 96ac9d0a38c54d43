# Helpers for the benchmarks in scripts/bench/*.sh (sourced, never run:
# `make bench` runs *.sh only). Each benchmark measures side by side: without
# anything, with the empty calibration programs (build/bench/bpfload
# build/bench/empty_<collector>.bpf.o), and with jitterd.
#
# Sourcing sets: jitterd, bpfload, bench_cpu (0), daemon_cpu (1 when there is
# one), tmp (removed on exit); cleanup also stops what start() started and
# restores kernel.bpf_stats_enabled.

jitterd=build/jitterd
bpfload=build/bench/bpfload
bench_cpu=0
daemon_cpu=$(($(nproc) > 1 ? 1 : 0))
tmp=$(mktemp -d)
pid=
port=
stats_was=

bench_cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	if [ -n "$stats_was" ]; then sysctl -qw kernel.bpf_stats_enabled="$stats_was"; fi
	rm -rf "$tmp"
}
trap bench_cleanup EXIT

# start jitterd CONFIG [VAR=VALUE...] | start empty OBJ... | start cmd READY CMD...:
# run it in the background (bpfload and a command pinned to daemon_cpu;
# jitterd pins itself, daemon.cpus) until stop; waits for its line matching
# READY; sets $port for jitterd.
start() {
	local ready kind=$1
	shift
	: >"$tmp/log"
	case "$kind" in
	jitterd)
		local config=$1
		shift
		env "$@" "$jitterd" --config "$config" --listen 127.0.0.1:0 >"$tmp/log" 2>&1 &
		ready='serving http:'
		;;
	empty)
		taskset -c "$daemon_cpu" "$bpfload" "$@" >"$tmp/log" 2>&1 &
		ready='^ready$'
		;;
	cmd)
		ready=$1
		shift
		taskset -c "$daemon_cpu" "$@" >"$tmp/log" 2>&1 &
		;;
	esac
	pid=$!
	for _ in $(seq 200); do
		if grep -q "$ready" "$tmp/log"; then
			port=$(sed -n 's|.*serving http://.*:\([0-9]*\)/metrics.*|\1|p' "$tmp/log")
			return 0
		fi
		sleep 0.05
	done
	cat "$tmp/log" >&2
	echo "$0: $kind did not start" >&2
	exit 1
}

stop() {
	kill "$pid"
	wait "$pid" || true
	pid=
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }

# The kernel's own per-program statistics, for one measuring step only: they
# cost a clock read per run, which is part of what they report.
stats_on() {
	stats_was=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
}

stats_off() {
	sysctl -qw kernel.bpf_stats_enabled="$stats_was"
	stats_was=
}

# "name runs ns/run" for the empty_* programs that the running bpfload holds
# (read from its fds, so that no other loader's programs are counted), name
# without "empty_".
empty_prog_ns() {
	awk '/^prog_id:/ { print $2 }' /proc/"$pid"/fdinfo/* 2>/dev/null | sort -u |
		while read -r id; do bpftool prog show id "$id" --json; echo; done |
		python3 -c '
import json, sys
for p in (json.loads(l) for l in sys.stdin if l.strip()):
    if p.get("name", "").startswith("empty_") and p.get("run_cnt"):
        print(p["name"][6:], p["run_cnt"], "%.1f" % (p["run_time_ns"] / p["run_cnt"]))'
}

# "probe runs ns/run" from a jitterd scrape taken with the statistics on.
jitterd_prog_ns() {
	python3 - "$1" <<'PY'
import re, sys
runs, secs = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r'jitterd_bpf_program_(runs|run_seconds)_total\{program="([^"]*)"\} (\S+)', line)
    if m:
        (runs if m.group(1) == "runs" else secs)[m.group(2)] = float(m.group(3))
for p in sorted(runs):
    if runs[p]:
        print(p, int(runs[p]), "%.1f" % (secs[p] * 1e9 / runs[p]))
PY
}

# side_by_side ROUNDS MEASURE EMPTY_OBJ JITTERD_CONFIG: rounds of three runs
# of the command MEASURE (which prints one throughput figure): without
# anything, with the empty programs, with jitterd; prints each round and the
# median ratios against "without".
side_by_side() {
	local rounds=$1 measure=$2 empty_obj=$3 config=$4 i without empty with
	printf '%5s %14s %14s %14s %8s %8s\n' round without empty jitterd empty/w jitterd/w
	: >"$tmp/empty_ratios"
	: >"$tmp/jitterd_ratios"
	for i in $(seq "$rounds"); do
		without=$($measure)
		start empty "$empty_obj"
		empty=$($measure)
		stop
		start jitterd "$config"
		with=$($measure)
		stop
		ratio "$empty" "$without" >>"$tmp/empty_ratios"
		echo >>"$tmp/empty_ratios"
		ratio "$with" "$without" >>"$tmp/jitterd_ratios"
		echo >>"$tmp/jitterd_ratios"
		printf '%5d %14s %14s %14s %8s %8s\n' "$i" "$without" "$empty" "$with" \
			"$(ratio "$empty" "$without")" "$(ratio "$with" "$without")"
	done
	echo "median throughput ratio, empty programs / without: $(median <"$tmp/empty_ratios")"
	echo "median throughput ratio, jitterd / without:        $(median <"$tmp/jitterd_ratios")"
}

# side_by_side_cases ROUNDS MEASURE CASE...: rounds of one run of the command
# MEASURE (which prints one throughput figure) per case, the cases in turn
# (alternating, so that a slow spell of a busy machine falls on all of
# them). A case is a function name: it starts what it measures with start(),
# or nothing for "without", which must be the first. Prints each round and,
# per case, the median throughput ratio against "without" (each ratio taken
# within its round).
side_by_side_cases() {
	local rounds=$1 measure=$2 i c first v
	shift 2
	printf '%5s' round
	for c in "$@"; do printf ' %12s' "$c"; done
	echo
	for c in "$@"; do : >"$tmp/ratios_$c"; done
	for i in $(seq "$rounds"); do
		printf '%5d' "$i"
		first=
		for c in "$@"; do
			"$c"
			v=$($measure)
			if [ -n "$pid" ]; then stop; fi
			first=${first:-$v}
			ratio "$v" "$first" >>"$tmp/ratios_$c"
			echo >>"$tmp/ratios_$c"
			printf ' %12s' "$v"
		done
		echo
	done
	echo "median throughput ratio against $1 (same round), of $rounds rounds:"
	for c in "$@"; do
		printf '  %-22s %s\n' "$c" "$(median <"$tmp/ratios_$c")"
	done
}
