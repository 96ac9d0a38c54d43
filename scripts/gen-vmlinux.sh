#!/bin/sh
# Regenerate bpf/vmlinux/<arch>/vmlinux.h from a kernel's BTF.
# The header is committed so that a build never depends on the build host's
# kernel; CO-RE relocations adapt the compiled programs to the running one.
#   scripts/gen-vmlinux.sh [BTF-FILE]    (default: /sys/kernel/btf/vmlinux)
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
arch=$(uname -m)
case "$arch" in
x86_64) arch=x86 ;;
aarch64) arch=arm64 ;;
esac
out="$(dirname "$0")/../bpf/vmlinux/$arch/vmlinux.h"
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c >"$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out from $btf ($(uname -r))"
