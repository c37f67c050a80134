#!/usr/bin/env bash
# test_live.sh - live capture (src/net/live.c, AF_PACKET + TPACKET_V3) on a veth pair inside a network
# namespace this test creates and always removes: frames sent into one end are seen on the other with
# its ifindex, exact lengths, and a VLAN tag the kernel stripped in the metadata. Skips visibly when not
# root or when network namespaces are not available.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD=${BUILD:-build}
LIB=$BUILD/lib/libuserbpf.a
T=$(mktemp -d)
NS=ubnet_live_$$
passed=0 failed=0 skipped=0

cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

result() {
	echo "RESULT tests/net/test_live.sh: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
	exit
}
skip_all() {
	echo "SKIP live capture: $*"
	skipped=$((skipped + 3))
	result
}
ok() { passed=$((passed + 1)); }
fail() {
	echo "FAIL $*"
	failed=$((failed + 1))
}

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, CAP_NET_RAW)"
command -v ip >/dev/null || skip_all "no ip command (iproute2)"
[ -f "$LIB" ] || { fail "$LIB is not built"; result; }
ip netns add "$NS" 2>"$T/err" || skip_all "cannot create a network namespace: $(head -n 1 "$T/err")"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link add va type veth peer name vb || skip_all "cannot create a veth pair"
in_ns ip link set va up && in_ns ip link set vb up && in_ns ip link set lo up

# The tool, linked like the tests (with the sanitizers when the library has them).
san=()
nm "$LIB" 2>/dev/null | grep -q __asan_ && san=(-fsanitize=address,undefined)
if ! ${CC:-cc} -std=gnu11 -O1 -g -D_GNU_SOURCE -Iinclude -Isrc "${san[@]}" tests/net/nettool.c "$LIB" \
	-lbpf -lpcap -lelf -lz -lpthread -lm -o "$T/nettool" 2>"$T/err"; then
	fail "cannot build tests/net/nettool.c: $(head -n 3 "$T/err")"
	result
fi
ifindex=$(in_ns cat /sys/class/net/va/ifindex)

# capture N MS SEND-ARGS...: capture on va while nettool sends into vb; output in $T/cap
capture() {
	local n=$1 ms=$2
	shift 2
	: >"$T/cap"
	in_ns "$T/nettool" capture va "$n" "$ms" >"$T/cap" 2>"$T/caperr" &
	local pid=$! i
	for i in $(seq 100); do
		grep -q '^ready' "$T/cap" && break
		sleep 0.05
	done
	in_ns "$T/nettool" send vb "$@" || echo "send failed" >>"$T/caperr"
	wait "$pid"
}

test_frames_seen_with_ifindex() {
	capture 5 5000 5
	local want got
	want=$(for i in 0 1 2 3 4; do echo "pkt $i ifindex=$ifindex caplen=60 wire=60 vlan=0/0x0"; done)
	got=$(grep '^pkt' "$T/cap")
	[ "$got" = "$want" ] || { echo "    got: $(tr '\n' '|' <"$T/cap") $(cat "$T/caperr")"; return 1; }
	grep -qx 'drops=0 count=ok' "$T/cap" || { echo "    $(tail -n 1 "$T/cap")"; return 1; }
}

test_stripped_vlan_tag_in_metadata() {
	# VLAN 5, priority 1: TCI 0x2005; the kernel takes the tag off the frame (64 -> 60 bytes)
	capture 3 5000 3 $((0x2005))
	local want got
	want=$(for i in 0 1 2; do echo "pkt $i ifindex=$ifindex caplen=60 wire=60 vlan=$((0x2005))/0x8100"; done)
	got=$(grep '^pkt' "$T/cap")
	[ "$got" = "$want" ] || { echo "    got: $(tr '\n' '|' <"$T/cap") $(cat "$T/caperr")"; return 1; }
}

test_missing_interface_is_one_line() {
	in_ns "$T/nettool" capture nosuch0 1 100 >"$T/cap" 2>"$T/caperr"
	local rc=$?
	[ $rc = 1 ] && [ "$(cat "$T/caperr")" = "nosuch0: no such interface" ] ||
		{ echo "    exit $rc: $(cat "$T/caperr")"; return 1; }
}

for t in test_frames_seen_with_ifindex test_stripped_vlan_tag_in_metadata test_missing_interface_is_one_line; do
	if out=$($t 2>&1); then ok; else fail "${t#test_}"; [ -n "$out" ] && echo "$out"; fi
done
result
