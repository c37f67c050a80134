#!/usr/bin/env bash
# quickstart.sh - set everything up and show userbpf at work: installs the Debian packages the build
# needs (when run as root; otherwise prints the apt-get line), builds, and runs a short demo.
set -euo pipefail
cd "$(dirname "$0")"

need=(make gcc clang-19 llvm-19 lld-19 libclang-rt-19-dev libc6-dev libelf-dev zlib1g-dev libbpf-dev
	pkg-config libpcap-dev)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
	else
		echo "quickstart: missing packages; run: sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi

make -j"$(nproc)" all >/dev/null
U=build/bin/userbpf
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

say $U --version
say $U disasm examples/asm/fib.s
say $U run examples/asm/fib.s
say $U run examples/asm/checksum.s --mem "45 00 00 73 00 00 40 00 40 11 00 00 c0 a8 00 01 c0 a8 00 c7"
# the main job: the flow-accounting program on a capture the build generates
say $U monitor -r build/examples/monitor.pcap --top 5
if [ -d ../shared/bpf_conformance ]; then
	say bash tests/conformance/test_conformance.sh
fi
