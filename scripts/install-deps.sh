#!/bin/sh
# Install the Debian 12 packages jitterd needs to build, run and test,
# only those that are missing. Safe to run again: a no-op when all is there.
set -eu

# build: compiler, BPF toolchain, libraries
pkgs="make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev libyaml-dev
libmicrohttpd-dev libjansson-dev libsystemd-dev libcap-dev libcurl4-gnutls-dev libgnutls28-dev
libcrypt-dev"
# fuzz: libFuzzer and the sanitizers' runtimes for clang (make fuzz)
pkgs="$pkgs libclang-rt-14-dev"
# test: unit tests (Check), integration (python3 and pytest, promtool, a real Prometheus,
# iproute2 for ss and tc, util-linux for unshare, procps, curl), unit-file
# checks (systemd), benchmarks (perf, iperf3, libbpf-tools for runqlat; stress-ng for scripts/soak.sh)
pkgs="$pkgs check python3 python3-pytest prometheus iproute2 util-linux procps curl systemd linux-perf iperf3 stress-ng
libbpf-tools"
# test: the web config's TLS and basic auth (certificates, bcrypt hashes); the fleet
# guide's rsyslog recipe for events (Debian does not start it on install without systemd;
# where systemd runs, the package's rsyslog is what such hosts run anyway)
pkgs="$pkgs openssl apache2-utils rsyslog"
# jitterd pcap: libpcap to build; to test, captures (tcpdump), an independent
# reader (tshark, editcap), crafted packets (scapy), the HTML page in a real
# browser (chromium), offloads off for the two-point test (ethtool), the
# metrics parser (python3-prometheus-client), libFuzzer (clang's runtime)
pkgs="$pkgs libpcap-dev tcpdump tshark python3-scapy chromium ethtool python3-prometheus-client"
# lint: static analysis (make lint)
pkgs="$pkgs cppcheck"
# on-call: the strict OpenMetrics parser, YAML for scripts/check-rules.py,
# nodejs for the dashboard's schema check and playwright, chromium for the
# live view (tests/node, npm ci below)
pkgs="$pkgs python3-prometheus-client python3-yaml nodejs chromium"
# npm: Debian's package, unless the nodejs installed already brings its own
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
# vmtest: qemu boots Debian's kernels (TCG) with a busybox initramfs (cpio)
pkgs="$pkgs qemu-system-x86 busybox-static cpio"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# The npm packages the on-call tests run (tests/node/package-lock.json), as
# locked; again only when the lock changed since the last install.
node_deps() {
	lock=tests/node/package-lock.json
	stamp=tests/node/node_modules/.package-lock.json
	cd "$(dirname "$0")/.."
	[ -f "$stamp" ] && ! [ "$lock" -nt "$stamp" ] && return 0
	echo "install-deps: npm ci in tests/node"
	(cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
}

if [ -z "$missing" ]; then
	node_deps
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
else
	sudo=
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine may be empty or stale.
$sudo apt-get update -qq
# --no-install-recommends: prometheus would otherwise pull in a node exporter
# and start services we do not want on a build host.
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
node_deps
