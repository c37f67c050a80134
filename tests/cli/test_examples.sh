#!/usr/bin/env bash
# test_examples.sh - the examples (examples/*.bpf.c) run from the command line on the captures the
# build makes, as examples/README.md shows: `userbpf run build/examples/NAME.o --prog P -r
# build/examples/NAME.pcap`. Packet and byte counts against the pcap file itself, verdicts and the
# dispatcher's tail-call counts against tcpdump's own filters on the same file, and the TC rewrite's
# output (-w) read back by tcpdump: rewritten destinations and valid checksums.
. "$(dirname "$0")/lib.sh"
EX=$BUILD/examples

need_ex() {
	[ -f "$EX/$1.o" ] && [ -f "$EX/$1.pcap" ] || {
		echo "SKIP: $EX/$1.o or .pcap not built (no clang-19?)"
		return 2
	}
	command -v tcpdump >/dev/null || {
		echo "SKIP: tcpdump is not installed"
		return 2
	}
}
# frames FILE [FILTER]: how many frames of FILE tcpdump's FILTER matches
frames() {
	tcpdump -nn --count -r "$1" ${2:+"$2"} 2>/dev/null | sed -n 's/^\([0-9][0-9]*\) packets\{0,1\}$/\1/p'
}
# "packets: N (B bytes)" of a capture written with microsecond records (24-byte header, 16 per record)
summary_of() {
	local n size
	n=$(frames "$1")
	size=$(stat -c %s "$1")
	echo "packets: $n ($((size - 24 - 16 * n)) bytes)"
}

test_every_example_runs_on_its_capture() {
	local e name prog drop
	need_ex flows || return 2
	for e in xdp_proto_count:proto_count_xdp flows:flows_xdp firewall:firewall_xdp synflood:synflood_xdp \
		dns:dns_xdp tc_rewrite:tc_rewrite dispatch:dispatch; do
		name=${e%%:*}
		prog=${e##*:}
		ub run "$EX/$name.o" --prog "$prog" -r "$EX/$name.pcap"
		expect_rc 0 || return 1
		[ ! -s "$T/err" ] || why "$name: unexpected stderr: $(cat "$T/err")" || return 1
		has_line "$(summary_of "$EX/$name.pcap")" || return 1
		# Without configuration only the dispatcher drops: IPv4 ICMP, in handle_icmp.
		drop=0
		[ "$name" = dispatch ] && drop=$(frames "$EX/$name.pcap" icmp)
		has_line "verdicts: aborted 0, drop $drop, pass $(($(frames "$EX/$name.pcap") - drop)), tx 0, redirect 0" ||
			return 1
	done
}

# The dispatcher's tail calls reach their programs from the CLI too (the prog_array slots load with it).
test_dispatch_counts_by_slot() {
	need_ex dispatch || return 2
	ub run "$EX/dispatch.o" --prog dispatch -r "$EX/dispatch.pcap"
	expect_rc 0 || return 1
	# slot: tcpdump filter (the capture has no VLAN-tagged or extension-header frames of these)
	grep -Eq "^  0: \{packets = $(frames "$EX/dispatch.pcap" arp), " "$T/out" || why "ARP slot" || { show; return 1; }
	grep -Eq "^  1: \{packets = $(frames "$EX/dispatch.pcap" tcp), " "$T/out" || why "TCP slot" || { show; return 1; }
	grep -Eq "^  3: \{packets = $(frames "$EX/dispatch.pcap" icmp), " "$T/out" || why "ICMP slot" || { show; return 1; }
	grep -Eq "^  8: \{packets = $(frames "$EX/dispatch.pcap" 'icmp6 or ip proto 47'), " "$T/out" ||
		why "fall-through count" || { show; return 1; }
}

# tc_rewrite -w: matching packets leave with the new destination and every checksum valid.
test_tc_rewrite_output_packets() {
	local match
	need_ex tc_rewrite || return 2
	ub run "$EX/tc_rewrite.o" --prog tc_rewrite -r "$EX/tc_rewrite.pcap" -w "$T/rw.pcap"
	expect_rc 0 || return 1
	match=$(frames "$EX/tc_rewrite.pcap" 'dst host 192.0.2.10 and dst port 8080')
	[ "$match" -ge 5 ] || why "only $match matching packets in the capture" || return 1
	[ "$(frames "$T/rw.pcap" 'dst host 10.1.2.3 and dst port 80')" = "$match" ] ||
		why "rewritten: $(frames "$T/rw.pcap" 'dst host 10.1.2.3 and dst port 80'), want $match" || return 1
	[ "$(frames "$T/rw.pcap" 'dst host 192.0.2.10 and dst port 8080')" = 0 ] ||
		why "matching packets left unrewritten" || return 1
	[ "$(frames "$T/rw.pcap")" = "$(frames "$EX/tc_rewrite.pcap")" ] || why "packets lost" || return 1
	# tcpdump -vv verifies IPv4, TCP and UDP checksums: none wrong, the rewritten ones right.
	if tcpdump -nn -vv -r "$T/rw.pcap" 2>/dev/null | grep -Eq 'incorrect|bad cksum|bad udp cksum'; then
		why "bad checksums after the rewrite:"
		tcpdump -nn -vv -r "$T/rw.pcap" 2>/dev/null | grep -E 'incorrect|bad cksum|bad udp cksum' | head -3
		return 1
	fi
	[ "$(tcpdump -nn -vv -r "$T/rw.pcap" 'dst host 10.1.2.3' 2>/dev/null | grep -Ec '\(correct\)|udp sum ok')" -ge \
		$((match - 1)) ] || why "rewritten checksums not verified" || return 1
}

run_tests examples
