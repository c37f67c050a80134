#!/usr/bin/env bash
# test_run_pcap.sh - `userbpf run OBJ --prog NAME (-r FILE | -i IFACE) [-w OUT] [--drops FILE] ...` on
# captures the test makes (tests/net/mkpcap.c, built here with cc against libpcap) and the packet
# programs of tests/objs/net_xdp.bpf.c: exact verdict counts, bytes and map contents; -w and --drops
# read back by tcpdump and tshark (counts, bytes, timestamps to the ns, a pushed VLAN tag); --count,
# --batch, stdin, pcapng, JSON; a truncated or corrupt capture (the summary of what was processed,
# then one error line naming the count, exit 1); bad arguments (one line, exit 2); `--data` on a
# packet program (verdict, packet out) against the kernel; and a live run on a veth pair in a network
# namespace the test creates (root only; skips visibly otherwise). tcpdump/tshark checks skip when the
# tools are missing.
. "$(dirname "$0")/lib.sh"
OBJS=$BUILD/objs
OBJ=$OBJS/net_xdp.o

need() {
	[ -f "$OBJ" ] || {
		echo "SKIP: $OBJ not built (no clang-19?)"
		return 2
	}
	[ -x "$T/mkpcap" ] || {
		echo "SKIP: tests/net/mkpcap.c could not be built (libpcap-dev?)"
		return 2
	}
}
need_tool() {
	command -v "$1" >/dev/null || {
		echo "SKIP: $1 is not installed"
		return 2
	}
}

# The capture generator, and the captures every test reads.
if ${CC:-cc} -O1 -o "$T/mkpcap" tests/net/mkpcap.c -lpcap 2>"$T/mkpcap.err"; then
	"$T/mkpcap" mix "$T/mix.pcap" && "$T/mkpcap" raw "$T/raw.pcap" || rm -f "$T/mkpcap"
fi
MIXSIZE=$(stat -c %s "$T/mix.pcap" 2>/dev/null || echo 0)

# The summary lines but the time (which varies).
MIX_COUNT_MAPS='map udp_ports (hash, 2 entries):
  53: 3
  123: 1
map counts (array, 4 entries):
  0: 2
  1: 5
  2: 4
  3: 2
map .bss (array, global data, 1 entry):
  bytes_seen = 996'

test_xdp_count_verdicts_and_maps() {
	need || return 2
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap"
	expect_rc 0 || return 1
	[ ! -s "$T/err" ] || why "unexpected stderr: $(cat "$T/err")" || return 1
	has_block 'packets: 13 (996 bytes)
verdicts: aborted 0, drop 4, pass 9, tx 0, redirect 0' || return 1
	grep -Eq '^time: [0-9.]+ ms, [0-9.]+ Mpps, [0-9.]+ ns/packet \(in the program: [0-9.]+ ms, [0-9.]+ Mpps, [0-9.]+ ns/packet\)$' "$T/out" ||
		why "no time line" || return 1
	has_block "$MIX_COUNT_MAPS"
}

# tshark's frame lengths and timestamps of a file: "LEN EPOCH" per line
frames() {
	tshark -r "$1" -T fields -e frame.len -e frame.time_epoch 2>/dev/null
}

test_outputs_read_by_tcpdump_and_tshark() {
	need || return 2
	need_tool tcpdump || return 2
	need_tool tshark || return 2
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" -w "$T/pass.pcap" --drops "$T/drop.pcap"
	expect_rc 0 || return 1
	has_line "written: $T/pass.pcap: 9 packets" && has_line "drops written: $T/drop.pcap: 4 packets" || return 1
	[ "$(tcpdump -r "$T/pass.pcap" 2>/dev/null | wc -l)" = 9 ] || why "tcpdump: not 9 passed packets" || return 1
	[ "$(tcpdump -r "$T/drop.pcap" 2>/dev/null | wc -l)" = 4 ] || why "tcpdump: not 4 dropped packets" || return 1
	[ "$(tcpdump -nn -r "$T/drop.pcap" 2>/dev/null | grep -c ' UDP\|\.53: \|\.123: ')" = 4 ] ||
		why "tcpdump: the dropped packets are not the UDP ones" || return 1
	# exact lengths and timestamps (ns): the UDP frames of the mix are numbers 1, 5, 8 and 11
	local want='62	1700000001.000001007
72	1700000005.000005007
90	1700000008.000008007
82	1700000011.000011007'
	[ "$(frames "$T/drop.pcap")" = "$want" ] || why "tshark drops: $(frames "$T/drop.pcap" | tr '\n' '|')" || return 1
	[ "$(frames "$T/pass.pcap" | awk '{ s += $1 } END { print NR, s }')" = "9 690" ] ||
		why "tshark: passed frames/bytes $(frames "$T/pass.pcap" | awk '{ s += $1 } END { print NR, s }')" || return 1
	# the passed bytes are the input's: the mix without its UDP frames
	tshark -r "$T/mix.pcap" -Y '!udp || ipv6' -w "$T/want.pcap" -F pcap 2>/dev/null
	cmp -s <(tcpdump -xx -r "$T/want.pcap" 2>/dev/null) <(tcpdump -xx -r "$T/pass.pcap" 2>/dev/null) ||
		why "passed packets differ from the input's non-UDP packets"
}

test_vlan_push_and_trim() {
	need || return 2
	ub run "$OBJ" --prog xdp_vlan_trim -r "$T/mix.pcap" -w "$T/vlan.pcap" -q
	expect_rc 0 || return 1
	has_line "verdicts: aborted 0, drop 0, pass 13, tx 0, redirect 0" && has_line "written: $T/vlan.pcap: 13 packets" ||
		return 1
	grep -q '^map' "$T/out" && why "--quiet printed maps" && return 1
	need_tool tshark || return 2
	# every frame 4 bytes longer, at most 80, tagged VLAN 100
	local got
	got=$(tshark -r "$T/vlan.pcap" -T fields -e frame.len -e vlan.id 2>/dev/null | tr '\t\n' ' |')
	[ "$got" = "58 100|66 100|80 100|68 100|46 100|76 100|78 100|80 100|80 100|80 100|80 100|80 100|80 100|" ] ||
		why "tshark: $got" || return 1
	need_tool tcpdump || return 2
	[ "$(tcpdump -e -nn -r "$T/vlan.pcap" 2>/dev/null | grep -c 'vlan 100')" = 13 ] || why "tcpdump: no vlan 100"
}

test_every_verdict() {
	need || return 2
	ub run "$OBJ" --prog xdp_verdicts -r "$T/mix.pcap" -w "$T/v.pcap" --drops "$T/vd.pcap"
	expect_rc 0 || return 1
	has_line "verdicts: aborted 1, drop 4, pass 1, tx 2, redirect 5" || return 1
	has_line "written: $T/v.pcap: 8 packets" && has_line "drops written: $T/vd.pcap: 5 packets" || return 1
	need_tool tcpdump || return 2
	# the aborted one (IPv6) is among the drops
	[ "$(tcpdump -nn -r "$T/vd.pcap" 2>/dev/null | grep -c IP6)" = 1 ] || why "the IPv6 frame is not in --drops"
}

test_trace_lines() {
	need || return 2
	ub run "$OBJ" --prog xdp_trace -r "$T/mix.pcap"
	expect_rc 0 || return 1
	has_block 'trace:
  len 54 last a0
  len 62 last a1
  len 98 last a2
  len 64 last a3
  len 42 last 2' || return 1
	[ "$(grep -c '^  len ' "$T/out")" = 13 ] || why "expected 13 trace lines"
}

test_tc_program() {
	need || return 2
	ub run "$OBJ" --prog tc_drop_udp -r "$T/mix.pcap"
	expect_rc 0 || return 1
	has_line "verdicts: aborted 0, drop 4, pass 9, tx 0, redirect 0" || return 1
	has_block 'map counts (array, 4 entries):
  0: 2
  1: 5
  2: 0
  3: 2'
}

test_json() {
	need || return 2
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" --json -w "$T/j.pcap"
	expect_rc 0 || return 1
	[ "$(wc -l <"$T/out")" = 1 ] || why "JSON is not one line" || return 1
	if command -v python3 >/dev/null; then
		python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" 2>/dev/null || why "invalid JSON" || return 1
	fi
	local t
	for t in '"program":"xdp_count","prog_type":"xdp","capture":"'"$T"'/mix.pcap","packets":13,"bytes":996,"verdicts":{"aborted":0,"drop":4,"pass":9,"tx":0,"redirect":0},"elapsed_ns":' \
		'"written":{"file":"'"$T"'/j.pcap","packets":9},"drops":null,"error":null,"trace":[],' \
		'{"name":"udp_ports","type":"hash","global_data":false,"entries":[{"key":53,"value":3},{"key":123,"value":1}]}'; do
		grep -qF -- "$t" "$T/out" || why "JSON lacks $t" || return 1
	done
}

test_count_batch_and_stdin() {
	need || return 2
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" --count 5 --batch 2 -q
	expect_rc 0 || return 1
	# the first five: TCP, UDP, ICMP, TCP, ARP
	has_block 'packets: 5 (320 bytes)
verdicts: aborted 0, drop 1, pass 4, tx 0, redirect 0' || return 1
	local b
	for b in 1 3 64 4096; do
		ubin "$T/mix.pcap" run "$OBJ" --prog xdp_count -r - --batch $b
		expect_rc 0 && has_line "packets: 13 (996 bytes)" && has_block "$MIX_COUNT_MAPS" || return 1
	done
}

test_pcapng_input() {
	need || return 2
	need_tool editcap || return 2
	editcap -F pcapng "$T/mix.pcap" "$T/mix.pcapng" 2>/dev/null || why "editcap failed" || return 1
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcapng" --drops "$T/ng.pcap"
	expect_rc 0 && has_line "packets: 13 (996 bytes)" && has_block "$MIX_COUNT_MAPS" || return 1
	need_tool tshark || return 2
	[ "$(frames "$T/ng.pcap" | head -n 1)" = "62	1700000001.000001007" ] || why "pcapng timestamps not kept"
}

test_truncated_capture() {
	need || return 2
	local cut
	# inside the last record's data, then inside the 13th record's header (its first 16 bytes)
	for cut in 10 $((94 + 10)); do
		head -c $((MIXSIZE - cut)) "$T/mix.pcap" >"$T/cut.pcap"
		ub run "$OBJ" --prog xdp_count -r "$T/cut.pcap" -w "$T/cutw.pcap"
		expect_rc 1 || return 1
		# the summary of the 12 packets before the damage, then one line saying so
		has_block 'packets: 12 (902 bytes)
verdicts: aborted 0, drop 4, pass 8, tx 0, redirect 0' || return 1
		has_line "written: $T/cutw.pcap: 8 packets" || return 1
		[ "$(wc -l <"$T/err")" = 1 ] &&
			grep -q "^userbpf: $T/cut.pcap: truncated packet record after 12 packets (" "$T/err" ||
			why "stderr: $(cat "$T/err")" || return 1
	done
	if command -v tcpdump >/dev/null; then
		[ "$(tcpdump -r "$T/cutw.pcap" 2>/dev/null | wc -l)" = 8 ] || why "-w of a damaged run is not readable"
	fi
}

test_corrupt_capture() {
	need || return 2
	# a record header claiming 2 GB: record 3 starts at 24 + (16 + 54) + (16 + 62)
	cp "$T/mix.pcap" "$T/bad.pcap"
	printf '\xff\xff\xff\x7f' | dd of="$T/bad.pcap" bs=1 seek=$((24 + 70 + 78 + 8)) conv=notrunc 2>/dev/null
	ub run "$OBJ" --prog xdp_count -r "$T/bad.pcap" -q
	expect_rc 1 && has_line "packets: 2 (116 bytes)" || return 1
	grep -q "^userbpf: $T/bad.pcap: corrupt packet record after 2 packets (" "$T/err" || why "stderr: $(cat "$T/err")" ||
		return 1
	printf 'not a capture at all\n' >"$T/text.pcap"
	ub run "$OBJ" --prog xdp_count -r "$T/text.pcap"
	expect_bad "^userbpf: $T/text.pcap: not a pcap or pcapng capture" || return 1
	: >"$T/empty.pcap"
	ub run "$OBJ" --prog xdp_count -r "$T/empty.pcap"
	expect_bad "^userbpf: $T/empty.pcap: not a pcap or pcapng capture" || return 1
	ub run "$OBJ" --prog xdp_count -r "$T/raw.pcap"
	expect_bad "^userbpf: $T/raw.pcap: link type RAW .*is not Ethernet" || return 1
	ub run "$OBJ" --prog xdp_count -r "$T/nosuch.pcap"
	expect_bad "^userbpf: $T/nosuch.pcap: No such file or directory$"
}

test_bad_arguments() {
	need || return 2
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" -i lo
	expect_bad "^userbpf: run: -r FILE and -i IFACE exclude each other" || return 1
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" --batch 0
	expect_bad "^userbpf: run: --batch: '0' is not a number 1..4096" || return 1
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" --batch 4097
	expect_bad "^userbpf: run: --batch" || return 1
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" --count x
	expect_bad "^userbpf: run: --count: 'x' is not a positive number" || return 1
	ub run "$OBJ" --prog xdp_count -w "$T/x.pcap"
	expect_bad "^userbpf: run: -w, --drops, --count, --batch and --quiet need -r FILE or -i IFACE" || return 1
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" --data-hex 00
	expect_bad "^userbpf: run: -r runs on packets" || return 1
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" --repeat 2
	expect_bad "^userbpf: run: -r: no --repeat" || return 1
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" -w "$T/same.pcap" --drops "$T/same.pcap"
	expect_bad "^userbpf: run: -w and --drops name the same file" || return 1
	ub run "$OBJ" --prog not_packet -r "$T/mix.pcap"
	expect_bad "^userbpf: $OBJ: program 'not_packet' is a syscall program: -r and -i run packet programs" || return 1
	ub run "$OBJ" --prog nosuch -r "$T/mix.pcap"
	expect_bad "^userbpf: $OBJ: no program named 'nosuch'" || return 1
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" -w "$T/no/such/dir/out.pcap"
	expect_bad "^userbpf: $T/no/such/dir/out.pcap: cannot create it: No such file or directory$" || return 1
	printf 'r0 = 0\nexit\n' >"$T/p.asm"
	ub run "$T/p.asm" -r "$T/mix.pcap"
	expect_bad "apply to ELF objects only" || return 1
	ub run "$OBJ" --prog xdp_count -i nosuch0
	expect_bad "^userbpf: nosuch0: no such interface$"
}

test_write_error_is_reported() {
	need || return 2
	[ -w /dev/full ] || { echo "SKIP: no /dev/full"; return 2; }
	ub run "$OBJ" --prog xdp_count -r "$T/mix.pcap" -w /dev/full -q
	expect_rc 1 || return 1
	grep -q "^userbpf: /dev/full: cannot write it: No space left on device" "$T/err" || why "stderr: $(cat "$T/err")"
}

# One packet with --data: the runner's verdict and packet out, the same in the kernel.
test_data_on_a_packet_program() {
	need || return 2
	need_tool tcpdump || return 2
	# the first frame of the mix (TCP, 54 bytes) as raw bytes
	tcpdump -r "$T/mix.pcap" -c 1 -xx 2>/dev/null | sed -n 's/^\s*0x[0-9a-f]*:\s*//p' | tr -d ' \n' >"$T/f0.hex"
	[ "$(wc -c <"$T/f0.hex")" = 108 ] || why "could not extract the first frame" || return 1
	ub run "$OBJ" --prog xdp_vlan_trim --data-hex "$(cat "$T/f0.hex")"
	expect_rc 0 || return 1
	has_line "retval: 2 (0x2)" && has_line "verdict: pass" || return 1
	local want
	want="data out (length changed): 02 00 00 00 00 02 02 00 00 00 00 01 81 00 00 64 08 00"
	grep -q "^$want 45 00" "$T/out" || why "expected '$want 45 00 ...'" || { show; return 1; }
	cp "$T/out" "$T/user.txt"
	ub run "$OBJ" --prog xdp_vlan_trim --data-hex "$(cat "$T/f0.hex")" --kernel
	if [ "$rc" = 1 ] && grep -q -- '--kernel: .*bpf()' "$T/err"; then
		echo "SKIP: run --kernel: $(cat "$T/err")"
		return 2
	fi
	expect_rc 0 || return 1
	diff -u "$T/user.txt" "$T/out" >"$T/diff" || {
		why "userbpf and kernel reports differ:"
		sed 's/^/      /' "$T/diff"
		return 1
	}
	ub run "$OBJ" --prog xdp_count --data-hex "$(cat "$T/f0.hex")" --json
	expect_rc 0 && grep -qF '"verdict":"pass","data_out":"02 00 00' "$T/out" || why "JSON: $(cat "$T/out")"
}

# ------------------------------------------------------------------------------------------------
# Live: a veth pair in a network namespace of our own.

NS=ubnet_pcap_$$
live_setup() {
	[ "$(id -u)" = 0 ] || { echo "SKIP: live: needs root"; return 2; }
	command -v ip >/dev/null || { echo "SKIP: live: no ip command"; return 2; }
	if [ ! -x "$T/nettool" ]; then
		local san=()
		nm "$BUILD/lib/libuserbpf.a" 2>/dev/null | grep -q __asan_ && san=(-fsanitize=address,undefined)
		${CC:-cc} -std=gnu11 -O1 -D_GNU_SOURCE -Iinclude -Isrc "${san[@]}" tests/net/nettool.c \
			"$BUILD/lib/libuserbpf.a" -lbpf -lpcap -lelf -lz -lpthread -lm -o "$T/nettool" 2>"$T/ntool.err" ||
			{ why "cannot build nettool: $(head -n 2 "$T/ntool.err")"; return 1; }
	fi
	ip netns del "$NS" 2>/dev/null
	ip netns add "$NS" 2>"$T/ns.err" || { echo "SKIP: live: no network namespace: $(cat "$T/ns.err")"; return 2; }
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
		>/dev/null 2>&1
	ip netns exec "$NS" ip link add va type veth peer name vb &&
		ip netns exec "$NS" ip link set va up && ip netns exec "$NS" ip link set vb up ||
		{ echo "SKIP: live: cannot create a veth pair"; return 2; }
}
live_cleanup() {
	ip netns del "$NS" 2>/dev/null
}
trap 'live_cleanup; rm -rf "$T"' EXIT

# Wait until a packet socket is bound to va in the namespace (userbpf is capturing).
wait_capturing() {
	local idx i
	idx=$(ip netns exec "$NS" cat /sys/class/net/va/ifindex)
	for i in $(seq 300); do
		ip netns exec "$NS" awk -v i="$idx" 'NR > 1 && $5 == i { f = 1 } END { exit !f }' /proc/net/packet && return 0
		sleep 0.05
	done
	return 1
}

test_live_count() {
	need || return 2
	live_setup
	local st=$?
	[ $st = 0 ] || { live_cleanup; return $st; }
	ip netns exec "$NS" timeout 20 "$U" run "$OBJ" --prog xdp_count -i va --count 5 -w "$T/live.pcap" \
		>"$T/out" 2>"$T/err" &
	local pid=$!
	wait_capturing || { kill $pid; live_cleanup; why "userbpf never opened its capture"; return 1; }
	ip netns exec "$NS" "$T/nettool" send vb 5
	wait $pid
	rc=$?
	live_cleanup
	expect_rc 0 || return 1
	# the five frames (ethertype 0x88b5: "other"), 60 bytes each
	has_block 'packets: 5 (300 bytes)
verdicts: aborted 0, drop 0, pass 5, tx 0, redirect 0' || return 1
	has_line "written: $T/live.pcap: 5 packets" && has_line "kernel drops: 0" || return 1
	has_block 'map counts (array, 4 entries):
  0: 5
  1: 0
  2: 0
  3: 0' || return 1
	if command -v tcpdump >/dev/null; then
		[ "$(tcpdump -nn -r "$T/live.pcap" 2>/dev/null | grep -c 'ethertype Unknown (0x88b5), length 60')" = 5 ] ||
			why "tcpdump: not 5 live packets"
	fi
}

test_live_sigint_prints_the_summary() {
	need || return 2
	live_setup
	local st=$?
	[ $st = 0 ] || { live_cleanup; return $st; }
	# ip netns exec execs userbpf itself: $! is its pid
	ip netns exec "$NS" "$U" run "$OBJ" --prog xdp_count -i va --json >"$T/out" 2>"$T/err" &
	local pid=$!
	wait_capturing || { kill $pid; live_cleanup; why "userbpf never opened its capture"; return 1; }
	ip netns exec "$NS" "$T/nettool" send vb 3
	sleep 2 # the ring hands its block over within 100 ms; room for a loaded machine
	kill -INT $pid
	local i
	for i in $(seq 100); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	kill -0 $pid 2>/dev/null && { kill -KILL $pid; why "SIGINT did not end the run"; }
	wait $pid
	rc=$?
	live_cleanup
	expect_rc 0 || return 1
	grep -qF '"interface":"va","packets":3,"bytes":180,"verdicts":{"aborted":0,"drop":0,"pass":3,' "$T/out" &&
		grep -qF '"kernel_drops":0' "$T/out" || why "JSON: $(head -c 400 "$T/out")"
}

run_tests run_pcap
