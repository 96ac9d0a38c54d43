#!/usr/bin/env bash
# jitterd pcap's speed, beside tshark's, on the same synthetic captures.
#
#   For 1 M and 10 M packets (build/bench/pcapgen: a UDP feed with A/B legs
#   and sequence numbers, 8 TCP sessions, unclassified noise), read from the
#   page cache:
#   - jitterd pcap with every analysis on (config/pcap-example.yaml:
#     classes, sequence numbers, the A/B feed; microbursts; TCP RTT and
#     request->response; trigger->response), --json to /dev/null: the best
#     of ROUNDS runs, packets/s, peak RSS (GNU time's %M);
#   - tshark computing the comparable statistics in one pass:
#     conversations (conv,udp and conv,tcp), throughput per 1 ms
#     (io,stat,0.001) and its TCP analysis (ack_rtt, retransmissions,
#     out-of-order: on by default), the expert summary; one run, its
#     packets/s and peak RSS, and the ratio. tshark keeps state per packet
#     (gigabytes at 10 M): it runs at 10 M only with PCAP_BENCH_TSHARK_10M=1.
#   - many cores: the 10 M file cut in two (editcap -c), both halves read at
#     once (xargs -P 2, each --threads 1) and the reports merged (jitterd
#     pcap merge): elapsed.
#   - one file read ahead on a thread of its own: the 10 M file plain and
#     gzip-compressed (gzip -6), --threads 1 and --threads $(nproc) (the
#     default) in turn, ROUNDS times each: the best elapsed of each, CPU
#     seconds, packets/s and the ratio, side by side in one run; and (with
#     perf) the CPU seconds of the busiest thread, whose ratio is the
#     speed-up an idle machine would see.
#
# Usage: scripts/bench/pcap.sh [ROUNDS]     (`make bench` builds pcapgen)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
jitterd=build/jitterd
gen=build/bench/pcapgen
cfg=config/pcap-example.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$gen" ] || make -s "$gen"

# run OUT CMD...: elapsed seconds, peak RSS (KiB) and CPU seconds into OUT
run() {
	local out=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$out" "$@" >/dev/null 2>"$tmp/err" || {
		cat "$tmp/err" >&2
		return 1
	}
}

# threads_table N FILE...: each file with --threads 1 and --threads $(nproc),
# alternating, best of $rounds by elapsed; the table into $tmp/threads
# busiest FILE THREADS: CPU seconds of the busiest thread of one run (perf
# task-clock samples, 100 us each), "-" without perf
busiest() {
	command -v perf >/dev/null || {
		echo -
		return
	}
	perf record -q -e task-clock -c 100000 -o "$tmp/perf" "$jitterd" pcap --threads "$2" \
		--config "$cfg" --burst-packets 400 --trigger md-feed-a:order-entry --json "$1" \
		>/dev/null 2>&1 || {
		echo -
		return
	}
	perf report -i "$tmp/perf" --stdio --sort pid -F sample,pid 2>/dev/null |
		awk '/jitterd/ && $1 > m { m = $1 } END { printf "%.2f", m / 1e4 }'
}

# threads_table N FILE...: each file with --threads 1 and --threads $(nproc),
# alternating, best of $rounds by elapsed, and the busiest thread's CPU
# (the least of $rounds); the table into $tmp/threads
threads_table() {
	local n=$1 f t i s rss u sy c
	local -A best cpu hot
	shift
	for i in $(seq "$rounds"); do
		for f in "$@"; do
			cat "$f" >/dev/null
			for t in 1 "$(nproc)"; do
				run "$tmp/t" "$jitterd" pcap --threads "$t" --config "$cfg" \
					--burst-packets 400 --trigger md-feed-a:order-entry --json "$f"
				read -r s rss u sy <"$tmp/t"
				if [ -z "${best[$f/$t]:-}" ] ||
					awk -v a="$s" -v b="${best[$f/$t]}" 'BEGIN { exit !(a < b) }'; then
					best[$f/$t]=$s
					cpu[$f/$t]=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')
				fi
				c=$(busiest "$f" "$t")
				if [ -z "${hot[$f/$t]:-}" ] || [ "${hot[$f/$t]}" = - ] ||
					awk -v a="$c" -v b="${hot[$f/$t]}" 'BEGIN { exit !(a < b) }'; then
					hot[$f/$t]=$c
				fi
			done
		done
	done
	{
		printf '%-8s %-6s %8s %8s %9s %8s %8s %9s %7s %9s %9s %7s\n' packets input "1 thr s" \
			"CPU s" Mpkt/s "$(nproc) thr s" "CPU s" Mpkt/s speedup "1: hot s" \
			"$(nproc): hot s" "CPU sp."
		for f in "$@"; do
			local a=${best[$f/1]} b=${best[$f/$(nproc)]} ha=${hot[$f/1]} hb=${hot[$f/$(nproc)]}
			printf '%-8s %-6s %8s %8s %9s %8s %8s %9s %7s %9s %9s %7s\n' "$n" \
				"$(case $f in *.gz) echo gzip ;; *) echo plain ;; esac)" \
				"$a" "${cpu[$f/1]}" "$(awk -v n="$n" -v s="$a" 'BEGIN { printf "%.2f", n / s / 1e6 }')" \
				"$b" "${cpu[$f/$(nproc)]}" "$(awk -v n="$n" -v s="$b" 'BEGIN { printf "%.2f", n / s / 1e6 }')" \
				"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')" "$ha" "$hb" \
				"$(awk -v a="$ha" -v b="$hb" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }')"
		done
	} >"$tmp/threads"
}

printf '%-8s %8s %8s %9s %9s %8s %9s %9s %10s %8s\n' packets seconds "CPU s" Mpkt/s \
	"Mpkt/CPUs" "RSS MiB" "tshark s" "t. CPU s" "t. RSS MiB" ratio
for n in 1000000 10000000; do
	f=$tmp/gen-$n.pcap
	"$gen" "$n" "$f" 2>/dev/null
	cat "$f" >/dev/null # into the page cache
	best=
	for _ in $(seq "$rounds"); do
		run "$tmp/t" "$jitterd" pcap --config "$cfg" --burst-packets 400 \
			--trigger md-feed-a:order-entry --json "$f"
		read -r s rss u sy <"$tmp/t"
		if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$s
			best_rss=$rss
			best_cpu=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')
		fi
	done
	ts=- trss=- tcpu=- ratio=-
	if [ "$n" -le 1000000 ] || [ "${PCAP_BENCH_TSHARK_10M:-0}" = 1 ]; then
		run "$tmp/t" tshark -r "$f" -q -z conv,udp -z conv,tcp -z io,stat,0.001 -z expert
		read -r ts trss u sy <"$tmp/t"
		tcpu=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')
		ratio=$(awk -v a="$ts" -v b="$best" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 0.001) }')
		trss=$((trss / 1024))
	fi
	printf '%-8s %8s %8s %9s %9s %8s %9s %9s %10s %8s\n' "$n" "$best" "$best_cpu" \
		"$(awk -v n="$n" -v s="$best" 'BEGIN { printf "%.2f", n / (s > 0 ? s : 0.001) / 1e6 }')" \
		"$(awk -v n="$n" -v s="$best_cpu" 'BEGIN { printf "%.2f", n / (s > 0 ? s : 0.001) / 1e6 }')" \
		"$((best_rss / 1024))" "$ts" "$tcpu" "$trss" "$ratio"
	if [ "$n" = 10000000 ]; then # many cores: the file in two halves, xargs -P 2, then merge
		editcap -c $((n / 2)) "$f" "$tmp/half.pcap" >/dev/null
		cat "$tmp"/half_*.pcap >/dev/null
		/usr/bin/time -f '%e' -o "$tmp/t" sh -c "ls '$tmp'/half_*.pcap | xargs -P 2 -I{} \
			sh -c '$jitterd pcap --quiet --threads 1 --config $cfg --burst-packets 400 \
				--trigger md-feed-a:order-entry --json {} > {}.json' &&
			$jitterd pcap merge '$tmp'/half_*.json > /dev/null"
		multi=$(cat "$tmp/t")
		rm -f "$tmp"/half_*
		gzip -6 -c "$f" >"$f.gz"
		threads_table "$n" "$f" "$f.gz"
		rm -f "$f.gz"
	fi
	rm -f "$f"
done
echo "(jitterd pcap: best of $rounds by elapsed time; Mpkt/CPUs: packets per CPU second (user+sys),"
echo " what a busy machine measures best; ratio: tshark elapsed / jitterd elapsed)"
[ -z "${multi:-}" ] || printf '10 M packets as 2 files on 2 cores (xargs -P 2, then jitterd pcap merge): %s s, %.2f M packets/s\n' \
	"$multi" "$(awk -v s="$multi" 'BEGIN { printf "%.2f", 10 / (s > 0 ? s : 0.001) }')"
if [ -s "$tmp/threads" ]; then
	echo
	echo "one file, read ahead (--threads $(nproc), the default) against --threads 1:"
	cat "$tmp/threads"
	echo "(best of $rounds each, run in turn; speedup: 1-thread elapsed / $(nproc)-thread elapsed;"
	echo " hot s: CPU seconds of the busiest thread (perf task-clock), the least of $rounds runs;"
	echo " CPU sp.: their ratio, the speed-up an idle machine would see, measurable on a busy one)"
fi
