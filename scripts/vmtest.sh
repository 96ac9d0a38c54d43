#!/usr/bin/env bash
# Run jitterd's integration tests inside other kernels, under qemu (TCG).
#
#   scripts/vmtest.sh all                 the matrix: 6.1 and 6.12, generic and PREEMPT_RT,
#                                         and 6.12-isolated
#   scripts/vmtest.sh 6.1-rt ...          one or more of 6.1-cloud 6.1-rt 6.12-cloud 6.12-rt
#                                         6.12-isolated
#   scripts/vmtest.sh linux-image-6.1.0-56-cloud-amd64-unsigned
#
# For each kernel: `apt-get download` the Debian package (cached in
# .cache/vmtest/kernels/), take its vmlinuz, boot it with an initramfs of
# busybox, build/jitterd, python3, pytest and tests/integration/ (tests/vmtest/init
# is its PID 1), and print what the guest reports: `jitterd --probes`, then
# one PASS/FAIL line per test with the kernel and the attach type each probe
# used. Exits non-zero if a test fails, a guest does not finish within
# VMTEST_TIMEOUT seconds of CPU time (or prints nothing for that long, wall
# time), or (for `all`) an attach type that works on some
# kernel was not used by any passing test (tests/vmtest/matrix.py).
#
# Environment: VMTEST_TIMEOUT (900 s of CPU per kernel), VMTEST_LOAD_SCALE (scales
# the tests' load sizes in the guest, default 1; tolerances do not change),
# VMTEST_K (comma-separated pytest -k expressions, joined with "or"),
# VMTEST_SHOW=1 (the report has what passing tests printed, too: pytest -rP),
# VMTEST_MEM (1G), VMTEST_JOBS (guests side by side, 2).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=.cache/vmtest
TIMEOUT=${VMTEST_TIMEOUT:-900}
SCALE=${VMTEST_LOAD_SCALE:-1}
MEM=${VMTEST_MEM:-1G}
JOBS=${VMTEST_JOBS:-2}
# Longest first (the PREEMPT_RT guests take 430-520 s here, the others
# 290 s, the isolated one 30 s), so that the two guests side by side end
# close together.
MATRIX="6.1-rt 6.12-rt 6.12-cloud 6.1-cloud 6.12-isolated"
# A variant: the 6.12 cloud kernel booted with CPU 1 isolated, running only
# the tests that judge isolation (jitterd doctor's) or need a nohz_full CPU
# (test_noise's tick dependency, not applicable elsewhere); the other guests
# run the doctor's without it. Kept to one kernel and those tests: it adds
# one short guest.
ISOLATED_KOPT="isolcpus=1 nohz_full=1 rcu_nocbs=1"
ISOLATED_K="doctor,tick_kept"
# Host programs the tests call, copied into the guest with their libraries.
TOOLS="python3 bpftool setpriv unshare ss ip tc bash chrt"
# Debian's pytest in the guest: the python3 modules it imports.
PYTEST_MODULES="pytest _pytest pluggy iniconfig packaging attr py.py"
# Kernel modules the guest loads (with what they depend on) where the kernel
# has them as modules: tc's tbf and netem qdiscs (test_softirq, test_netlat),
# veth pairs (test_netlat's send side), the htb qdisc and the u32 classifier
# (test_netlat's TCP head-of-line blocking) and a virtio disk with ext4 for tests
# that need real device interrupts. crc32c_generic is ext4's soft
# dependency (an alias, crypto-crc32c, that depends= does not name). A
# cached kernel whose modules.cpio was packed for another list is unpacked
# again.
MODULES="sch_tbf sch_netem veth sch_htb cls_u32 virtio_pci virtio_blk crc32c_generic ext4"

die() {
	echo "vmtest: $*" >&2
	exit 2
}

# A matrix name -> a regular expression for its packages' names.
package_re() {
	case "$1" in
	linux-image-*) echo "^$(printf '%s' "$1" | sed 's/[.+]/\\&/g')\$" ;;
	6.1-cloud) echo '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
	6.1-rt) echo '^linux-image-6\.1\.0-[0-9]+-rt-amd64-unsigned$' ;;
	6.12-cloud | 6.12-isolated) echo '^linux-image-6\.12\.[0-9]+\+[a-z0-9]+-cloud-amd64-unsigned$' ;;
	6.12-rt) echo '^linux-image-6\.12\.[0-9]+\+[a-z0-9]+-rt-amd64-unsigned$' ;;
	*) return 1 ;;
	esac
}

# The newest such package the apt sources offer.
package_for() {
	apt-cache search --names-only "$(package_re "$1")" | cut -d' ' -f1 | sort -V | tail -n 1
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return
	echo "vmtest: apt-get update" >&2
	apt-get update -qq
	apt_updated=1
}

# The kernel image of a package and the modules it needs (modules.cpio,
# appended to the initramfs), extracted once into the cache.
fetch_kernel() {
	local name=$1 pkg dir tmp
	pkg=$(package_for "$name")
	if [ -n "$pkg" ] && [ -s "$CACHE/kernels/$pkg/vmlinuz" ] && [ -s "$CACHE/kernels/$pkg/modules.cpio" ] &&
		[ "$(cat "$CACHE/kernels/$pkg/modules.list" 2>/dev/null)" = "$MODULES" ]; then
		echo "$CACHE/kernels/$pkg"
		return
	fi
	tmp=$(mktemp -d)
	# The package lists may be missing, or older than the mirror: then
	# update them once and ask again.
	# (_apt cannot write to a root-owned temporary directory: APT::Sandbox.)
	if [ -z "$pkg" ] || ! (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" 2>/dev/null); then
		apt_update_once
		pkg=$(package_for "$name")
		# 6.12 reached Debian 12 through bookworm(-security); older apt
		# configurations may need bookworm-backports for it.
		[ -n "$pkg" ] || die "no package for $name in the apt sources (6.12 on Debian 12: add bookworm-backports?)"
		(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg") || die "apt-get download $pkg failed"
	fi
	dir=$CACHE/kernels/$pkg
	mkdir -p "$dir"
	dpkg-deb -x "$tmp"/*.deb "$tmp/root"
	mv "$tmp"/root/boot/config-* "$dir/config"
	dpkg-deb -f "$tmp"/*.deb Version >"$dir/version"
	pack_modules "$tmp/root/lib/modules" "$dir/modules.cpio"
	echo "$MODULES" >"$dir/modules.list"
	mv "$tmp"/root/boot/vmlinuz-* "$dir/vmlinuz"
	rm -rf "$tmp"
	echo "$dir"
}

# What a module needs loaded first: the depends= of its .modinfo section.
module_depends() {
	case "$1" in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -qdc "$1" ;;
	*) cat "$1" ;;
	esac | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr , ' '
}

# $MODULES and their dependencies, in load order, uncompressed,
# as a cpio of usr/lib/modules/vmtest/{NAME.ko,load-order}.
pack_modules() {
	local from=$1 out=$2 root f n
	local -A file=() seen=()
	local order=()
	while read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		file[${n//-/_}]=$f
	done < <(find "$from" -name '*.ko*')
	add_module() {
		local m=${1//-/_} dep
		[ -n "${seen[$m]:-}" ] && return
		seen[$m]=1
		[ -n "${file[$m]:-}" ] || return 0 # built into this kernel
		for dep in $(module_depends "${file[$m]}"); do
			add_module "$dep"
		done
		order+=("$m")
	}
	for n in $MODULES; do add_module "$n"; done
	root=$(mktemp -d)
	mkdir -p "$root/usr/lib/modules/vmtest"
	for n in "${order[@]}"; do
		case "${file[$n]}" in
		*.xz) xz -dc "${file[$n]}" >"$root/usr/lib/modules/vmtest/$n.ko" ;;
		*.zst) zstd -qdc "${file[$n]}" >"$root/usr/lib/modules/vmtest/$n.ko" ;;
		*) cp "${file[$n]}" "$root/usr/lib/modules/vmtest/$n.ko" ;;
		esac
	done
	printf '%s\n' "${order[@]}" >"$root/usr/lib/modules/vmtest/load-order"
	# Only usr/lib/modules: entries for / or usr would replace the modes the
	# main archive gave them (mktemp -d makes / 0700: nobody could run jitterd).
	chmod 755 "$root/usr/lib/modules" "$root/usr/lib/modules/vmtest"
	(cd "$root" && find usr/lib/modules | cpio -o -H newc -R 0:0 --quiet) >"$out"
	rm -rf "$root"
}

# Copy the shared libraries a host program needs into the guest tree, at
# the paths ldd names (through the merged-/usr symlinks).
copy_libs() {
	local root=$1 file=$2 lib dir
	ldd "$file" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | while read -r lib; do
		dir=$(realpath "$(dirname "$lib")")
		[ -e "$root$dir/$(basename "$lib")" ] && continue
		mkdir -p "$root$dir"
		cp -L "$lib" "$root$dir/$(basename "$lib")"
	done
}

# A host program at the same path in the guest, with its libraries.
copy_program() {
	local root=$1 file=$2 dir
	dir=$(realpath "$(dirname "$file")")
	mkdir -p "$root$dir"
	cp -L "$file" "$root$dir/$(basename "$file")"
	copy_libs "$root" "$file"
}

build_initramfs() {
	local root=$CACHE/initramfs.d out=$CACHE/initramfs.cpio py t a
	rm -rf "$root"
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{proc,sys,dev,tmp,run,root,etc,src}
	for d in bin sbin lib lib64; do ln -s usr/$d "$root/$d"; done

	# The tests find config/ and tests/ as in a source tree; build/ is where
	# init mounts a scratch disk, so jitterd itself is elsewhere ($JITTERD).
	mkdir -p "$root/src/build" "$root/src/tests" "$root/usr/local/sbin"
	cp build/jitterd "$root/usr/local/sbin/"
	copy_libs "$root" build/jitterd
	# What jitterd dlopen()s rather than links: libcurl for `jitterd doctor
	# --from` (daemon/doctor/evidence.c), whose tests run in the guests.
	copy_program "$root" "$(ldconfig -p | awk '$1 == "libcurl-gnutls.so.4" { print $NF; exit }')"
	cp -r VERSION config client "$root/src/"
	cp -r tests/integration tests/vmtest "$root/src/tests/"
	# test_spans.py's publishers: built on the host (no compiler here).
	mkdir -p "$root/usr/local/lib/jitterd"
	cp build/tests/span_load build/client/libjitterd-span.so "$root/usr/local/lib/jitterd/"
	copy_libs "$root" build/tests/span_load
	find "$root/src" -name __pycache__ -prune -exec rm -rf {} +

	# Debian's programs, not whatever else is first in PATH (pyenv shims...).
	for t in $TOOLS; do
		t=$(PATH=/usr/sbin:/usr/bin command -v "$t") || die "$t is missing (scripts/install-deps.sh installs it)"
		copy_program "$root" "$t"
	done
	# python3 is a symlink to python3.X: copy_program made it a file; its stdlib
	# without what tests never import (the compiled .pyc files stay: TCG
	# makes compiling at import time slow).
	py=$(readlink -f /usr/bin/python3)
	py=$(basename "$py")
	tar -C / -c --exclude=test --exclude=tests --exclude=idlelib --exclude=tkinter \
		--exclude=turtledemo --exclude=ensurepip --exclude=lib2to3 --exclude=pydoc_data \
		--exclude=distutils --exclude='config-3*' --exclude=site-packages \
		--exclude=dist-packages --exclude=sitecustomize.py --exclude='_test*.so' \
		--exclude='*.opt-1.pyc' --exclude='*.opt-2.pyc' "usr/lib/$py" | tar -C "$root" -x
	for t in "$root/usr/lib/$py"/lib-dynload/*.so; do
		copy_libs "$root" "${t#"$root"}"
	done
	# pytest and what it imports, from Debian's python3-pytest (about 4 MB
	# with their compiled .pyc files).
	mkdir -p "$root/usr/lib/python3/dist-packages"
	for t in $PYTEST_MODULES; do
		[ -e "/usr/lib/python3/dist-packages/$t" ] || die "python3 module $t is missing (scripts/install-deps.sh installs python3-pytest)"
		cp -r "/usr/lib/python3/dist-packages/$t" "$root/usr/lib/python3/dist-packages/"
	done
	# busybox for everything else (mount, ip, poweroff...).
	cp /usr/bin/busybox "$root/usr/bin/busybox"
	for a in $(/usr/bin/busybox --list); do
		[ -e "$root/usr/bin/$a" ] || [ -e "$root/usr/sbin/$a" ] || ln -s busybox "$root/usr/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
	cp tests/vmtest/init "$root/init"
	# Uncompressed: the kernel unpacks it faster than it would inflate it under TCG.
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) >"$out"
	rm -rf "$root"
	echo "vmtest: initramfs $(du -h "$out" | cut -f1)" >&2
}

# Boot one kernel (its cache directory), with its own initrd and scratch
# disk in $CACHE/run/<package>/ so that guests can run side by side. The
# guest's report goes to $CACHE/results/<package>.txt; what this prints
# (the report with the kernel on each test line, then ok or FAIL) is kept
# by the caller in <package>.log and shown when the guest is done.
run_kernel() {
	local dir=$1 variant=${2:-} pkg kname run results console rc=0 kopt start qemu cpu stopped
	pkg=$(basename "$dir")$variant
	run=$CACHE/run/$pkg
	results=$CACHE/results/$pkg.txt
	console=$CACHE/results/$pkg.console
	rm -rf "$run" "$results" "$console"
	mkdir -p "$run"
	: >"$results"
	cat "$CACHE/initramfs.cpio" "$dir/modules.cpio" >"$run/initrd.cpio"
	truncate -s 256M "$run/disk.img"
	# tsc=reliable: otherwise the kernel finds the emulated TSCs out of
	# step and reads the time from the emulated HPET, a device access for
	# every clock read (bpf_ktime_get_ns() included), as no real host does.
	kopt="console=ttyS0 panic=-1 tsc=reliable jitterd.scale=$SCALE"
	[ "${VMTEST_SHOW:-}" = 1 ] && kopt="$kopt jitterd.show=1"
	if [ "$variant" = -isolated ]; then
		kopt="$kopt $ISOLATED_KOPT jitterd.k=${VMTEST_K:-$ISOLATED_K}"
	elif [ -n "${VMTEST_K:-}" ]; then
		kopt="$kopt jitterd.k=$VMTEST_K"
	fi
	echo "=== $pkg $(cat "$dir/version") (timeout ${TIMEOUT}s of CPU)"
	start=$SECONDS
	# One host thread runs both vCPUs in turn (thread=single): with a thread
	# per vCPU, waking a halted vCPU takes milliseconds and a pipe ping-pong
	# between the two CPUs runs 30 times slower. So a guest keeps one host
	# CPU busy, and $JOBS guests run side by side.
	qemu-system-x86_64 -nodefaults -display none -no-reboot \
		-accel tcg,thread=single -cpu max -smp 2 -m "$MEM" \
		-kernel "$dir/vmlinuz" -initrd "$run/initrd.cpio" -append "$kopt" \
		-drive "file=$run/disk.img,if=virtio,format=raw,cache=unsafe" \
		-serial "file:$console" -serial "file:$results" </dev/null 2>>"$console" &
	qemu=$!
	trap 'kill "$qemu" 2>/dev/null' TERM
	watch_guest "$qemu" "$results" "$run" &
	wait "$qemu" || rc=$?
	wait $! || true
	cpu=$(cat "$run/cpu" 2>/dev/null || echo "?")
	stopped=$(cat "$run/stopped" 2>/dev/null || true)
	rm -rf "$run"
	sed -i 's/\r$//' "$results"
	# Test lines name the kernel (the package's, which is also its uname -r).
	kname=$(basename "$dir")
	kname=${kname#linux-image-}
	kname=${kname%-unsigned}$variant
	sed -e "/^\(PASS\|FAIL\|SKIP\|N\/A \) /{s//\1 $kname /;b}" -e 's/^/    /' "$results"
	if [ -n "$stopped" ]; then
		echo "FAIL $pkg: stopped: $stopped ($((SECONDS - start))s, ${cpu}s of CPU); console: $console"
		tail -n 20 "$console"
		return 1
	fi
	if ! grep -q '^VMTEST rc 0$' "$results"; then
		echo "FAIL $pkg: $(grep '^VMTEST rc' "$results" || echo 'the guest stopped before the tests finished') ($((SECONDS - start))s, ${cpu}s of CPU); console: $console"
		grep -q '^VMTEST rc' "$results" || tail -n 20 "$console"
		return 1
	fi
	echo "ok   $pkg ($((SECONDS - start))s, ${cpu}s of CPU)"
}

# The time limit of a guest (qemu's pid): $TIMEOUT seconds of CPU time, not
# of wall time. Under TCG a guest gets as far as the CPU time it was given;
# on a machine busy with other work (or other guests) its wall time
# stretches, and a wall-clock limit fails a guest that is only waiting for
# a CPU. Also stops a guest whose report has not grown for $TIMEOUT seconds
# (a hang: the longest test prints within a minute). Writes the CPU seconds
# used to $3/cpu, and why it stopped the guest to $3/stopped.
watch_guest() {
	local pid=$1 results=$2 run=$3 hz st cpu size last=-1 quiet_since=$SECONDS
	hz=$(getconf CLK_TCK)
	while sleep 2; do
		# utime and stime, fields 14 and 15 (11 and 12 after the name)
		st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || return 0
		read -r -a st <<<"$st"
		cpu=$(((st[11] + st[12]) / hz))
		echo "$cpu" >"$run/cpu"
		size=$(stat -c %s "$results")
		if [ "$size" != "$last" ]; then
			last=$size
			quiet_since=$SECONDS
		fi
		if [ "$cpu" -ge "$TIMEOUT" ]; then
			echo "not finished after ${TIMEOUT}s of CPU time" >"$run/stopped"
		elif [ $((SECONDS - quiet_since)) -ge "$TIMEOUT" ]; then
			echo "no output for ${TIMEOUT}s" >"$run/stopped"
		else
			continue
		fi
		kill "$pid" 2>/dev/null
		return 0
	done
}

[ $# -gt 0 ] || die "usage: scripts/vmtest.sh all | KERNEL... (KERNEL: $MATRIX or linux-image-*)"
[ -x build/jitterd ] || die "build/jitterd is missing: run make first"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (scripts/install-deps.sh installs it)"
[ "$JOBS" -ge 1 ] 2>/dev/null || die "VMTEST_JOBS must be a number of guests, at least 1"
kernels=("$@")
[ "$1" = all ] && read -r -a kernels <<<"$MATRIX"
for k in "${kernels[@]}"; do
	package_re "$k" >/dev/null || die "unknown kernel '$k' (use all, $MATRIX or a linux-image-* package name)"
done

build_initramfs
failed=0
dirs=()
variants=()
for k in "${kernels[@]}"; do
	if dir=$(fetch_kernel "$k"); then
		dirs+=("$dir")
		case "$k" in *-isolated) variants+=(-isolated) ;; *) variants+=("") ;; esac
	else
		failed=1
	fi
done

# The guests, $JOBS at a time, each one's output in its own log; the logs
# are shown whole and in matrix order, each as soon as its guest and those
# before it are done. Guests still running when this script is stopped
# are stopped too.
mkdir -p "$CACHE/results"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
declare -A index_of=() done_rc=()
reports=()
next=0
shown=0
running=0
started=$SECONDS
while [ "$shown" -lt ${#dirs[@]} ]; do
	while [ "$running" -lt "$JOBS" ] && [ "$next" -lt ${#dirs[@]} ]; do
		pkg=$(basename "${dirs[$next]}")${variants[$next]}
		echo "vmtest: booting $pkg ($((running + 1)) of at most $JOBS at a time)"
		run_kernel "${dirs[$next]}" "${variants[$next]}" >"$CACHE/results/$pkg.log" 2>&1 &
		index_of[$!]=$next
		next=$((next + 1))
		running=$((running + 1))
	done
	rc=0
	wait -n -p pid || rc=$?
	done_rc[${index_of[$pid]}]=$rc
	running=$((running - 1))
	while [ "$shown" -lt "$next" ] && [ -n "${done_rc[$shown]:-}" ]; do
		pkg=$(basename "${dirs[$shown]}")${variants[$shown]}
		cat "$CACHE/results/$pkg.log"
		[ "${done_rc[$shown]}" -eq 0 ] || failed=1
		reports+=("$CACHE/results/$pkg.txt")
		shown=$((shown + 1))
	done
done
trap - EXIT
[ ${#dirs[@]} -gt 0 ] && echo "vmtest: ${#dirs[@]} guests, $JOBS at a time: $((SECONDS - started))s"
coverage=()
[ "$1" = all ] && coverage=(--coverage)
[ ${#reports[@]} -gt 0 ] && { python3 tests/vmtest/matrix.py "${coverage[@]}" "${reports[@]}" || failed=1; }
exit "$failed"
