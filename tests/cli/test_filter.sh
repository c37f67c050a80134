#!/usr/bin/env bash
# test_filter.sh - `userbpf filter`: printing the eBPF (default and --disasm) and libpcap's classic
# program (--cbpf), objects (-o) read back by `prog list`, runs on a capture (-r) for each type with
# exact packet and match counts, matching packets written (-w) and read back, --json, --kernel where
# bpf() is allowed, and the one-line error and exit status of every wrong input (a bad expression
# gives libpcap's message and exit 2). The captures are written byte by byte here (printf), so the
# test needs only bash and coreutils.
. "$(dirname "$0")/lib.sh"

le32() {
	local v=$1
	printf "\\x$(printf %02x $((v & 255)))\\x$(printf %02x $((v >> 8 & 255)))"
	printf "\\x$(printf %02x $((v >> 16 & 255)))\\x$(printf %02x $((v >> 24 & 255)))"
}
# pcap global header: microsecond magic, version 2.4, snaplen 262144, link type $1 (1: Ethernet).
pcap_header() {
	printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00'
	le32 0
	le32 0
	le32 262144
	le32 "$1"
}
# One record: the frame as hex, its wire length (default: its length).
pkt() {
	local hex=$1 n=$((${#1} / 2))
	le32 1700000000
	le32 0
	le32 "$n"
	le32 "${2:-$n}"
	printf "$(sed 's/../\\x&/g' <<<"$hex")"
}

MAC1=020000000001
MAC2=020000000002
# 1: IPv4 TCP SYN 10.0.0.1:1234 -> 10.0.0.2:80 (54 bytes)
P1=${MAC2}${MAC1}0800
P1+=4500002800010000400600000a0000010a000002
P1+=04d2005000000001000000005002200000000000
# 2: IPv4 UDP 192.168.1.5:5353 -> 8.8.8.8:53, one payload byte (43 bytes)
P2=020000000003${MAC1}0800
P2+=4500001d0002000040110000c0a8010508080808
P2+=14e900350009000000
# 3: ARP request, 10.0.0.1 asks for 10.0.0.2 (42 bytes)
P3=ffffffffffff${MAC1}0806
P3+=0001080006040001${MAC1}0a0000010000000000000a000002
# 4: IPv6 UDP fe80::1 -> ff02::1 port 53 (62 bytes)
P4=333300000001${MAC1}86dd
P4+=6000000000081140fe800000000000000000000000000001ff020000000000000000000000000001
P4+=1234003500080000
# 5: VLAN 100, IPv4 ICMP echo 10.0.0.1 -> 10.0.0.2 (46 bytes)
P5=${MAC2}${MAC1}810000640800
P5+=4500001c00030000400100000a0000010a000002
P5+=0800000000010001
# 6: a runt of 10 bytes
P6=${MAC2}02000000

make_captures() {
	{
		pcap_header 1
		pkt "$P1"
		pkt "$P2"
		pkt "$P3"
		pkt "$P4"
		pkt "$P5"
		pkt "$P6"
	} >"$T/cap.pcap"
	{
		pcap_header 101
		pkt "$P1"
	} >"$T/raw.pcap"
	head -c -5 "$T/cap.pcap" >"$T/trunc.pcap"
	# A 4000-byte IPv4 UDP frame (a jumbo frame: more than an XDP frame's 3520 bytes) after P1.
	local big=${MAC2}${MAC1}0800450f0f920004000040110000c0a8010508080808
	big+=14e900350f7e0000
	big+=$(printf '%07916d' 0)
	{
		pcap_header 1
		pkt "$P1"
		pkt "$big"
	} >"$T/big.pcap"
}
make_captures

expect_err_line() {
	local want=$1
	[ "$(wc -l <"$T/err")" = 1 ] || {
		why "expected one line on stderr"
		show
		return 1
	}
	grep -qF -- "$want" "$T/err" || {
		why "expected '$want' on stderr"
		show
		return 1
	}
}

test_capture_is_what_the_test_says() {
	[ "$(wc -c <"$T/cap.pcap")" = $((24 + 6 * 16 + 54 + 43 + 42 + 62 + 46 + 10)) ] || why "cap.pcap size"
}

test_default_prints_ebpf() {
	ub filter tcp
	expect_rc 0 || return 1
	[ "$(head -n 1 "$T/out")" = "   0: r6 = *(u32 *)(r1 + 0)" ] || { why "first line"; show; return 1; }
	[ "$(sed -n 2p "$T/out")" = "   1: r7 = *(u32 *)(r1 + 4)" ] || { why "second line"; show; return 1; }
	grep -q 'r8 = be16 r8' "$T/out" || why "no byte swap of the EtherType"
	[ "$(tail -n 1 "$T/out" | sed 's/^ *[0-9]*: //')" = "exit" ] || why "does not end with exit"
}

test_tc_reads_skb_pointers() {
	ub filter --type tc --disasm 'ip'
	expect_rc 0 || return 1
	[ "$(head -n 1 "$T/out")" = "   0: r6 = *(u32 *)(r1 + 76)" ] || { why "tc data"; show; return 1; }
}

test_cbpf_like_tcpdump_d() {
	ub filter --cbpf 'ip'
	expect_rc 0 || return 1
	local want
	want=$'(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n(002) ret      #262144\n(003) ret      #0'
	[ "$(cat "$T/out")" = "$want" ] || { why "classic program"; show; return 1; }
}

test_words_are_joined() {
	ub filter --cbpf udp port 53
	expect_rc 0 || return 1
	local a
	a=$(cat "$T/out")
	ub filter --cbpf 'udp port 53'
	[ "$a" = "$(cat "$T/out")" ] || why "'udp port 53' as one or three words differs"
}

run_count() { # TYPE EXPR PACKETS MATCHED
	ub filter --type "$1" -r "$T/cap.pcap" "$2"
	expect_rc 0 || return 1
	grep -qF "cap.pcap: $3 packets, $4 matched '$2' ($1," "$T/out" || {
		why "expected $3 packets, $4 matched for '$2' ($1)"
		show
		return 1
	}
	grep -qF "libpcap agrees on every packet" "$T/out" || { why "no agreement line"; show; return 1; }
}

test_run_xdp() {
	run_count xdp 'tcp port 80' 6 1 &&
		run_count xdp 'udp port 53' 6 2 &&
		run_count xdp 'arp' 6 1 &&
		run_count xdp 'vlan 100 and icmp' 6 1 &&
		run_count xdp 'ip6' 6 1 &&
		run_count xdp 'host 10.0.0.1' 6 2 &&
		run_count xdp 'len < 20' 6 1 &&
		run_count xdp '' 6 6
}

# 'not ip' misses the runt: libpcap's load of the EtherType fails, and a failed load returns 0.
test_run_tc() {
	run_count tc 'tcp port 80' 6 1 && run_count tc 'udp port 53' 6 2 && run_count tc 'not ip' 6 3
}

test_run_socket() {
	run_count socket 'udp port 53' 6 2 && run_count socket 'ether[0] & 1 != 0' 6 2
}

test_jumbo_frame() {
	# XDP sees the first 3520 bytes (the rest is in fragments): its len is 3520; tc sees all 4000.
	ub filter -r "$T/big.pcap" 'udp port 53'
	expect_rc 0 || return 1
	grep -qF "big.pcap: 2 packets, 1 matched" "$T/out" || { why "xdp counts"; show; return 1; }
	ub filter -r "$T/big.pcap" 'len == 3520 and udp[3980:2] == 0'
	expect_rc 0 || return 1
	grep -qF "big.pcap: 2 packets, 0 matched" "$T/out" || { why "xdp: bytes past 3520 are not in data"; show; return 1; }
	ub filter -r "$T/big.pcap" 'len == 3520'
	expect_rc 0 || return 1
	grep -qF "big.pcap: 2 packets, 1 matched" "$T/out" || { why "xdp len"; show; return 1; }
	grep -qF "libpcap agrees on every packet" "$T/out" || { why "xdp agreement"; show; return 1; }
	ub filter --type tc -r "$T/big.pcap" 'udp port 53 and len == 4000'
	expect_rc 0 || return 1
	grep -qF "big.pcap: 2 packets, 1 matched" "$T/out" || { why "tc runs the jumbo frame"; show; return 1; }
	grep -qF "libpcap agrees on every packet" "$T/out" || { why "tc agreement"; show; return 1; }
}

test_write_matching_packets() {
	ub filter -r "$T/cap.pcap" -w "$T/m.pcap" 'udp or arp'
	expect_rc 0 || return 1
	ub filter -r "$T/m.pcap" ''
	expect_rc 0 || return 1
	grep -qF "m.pcap: 3 packets, 3 matched" "$T/out" || { why "m.pcap should hold 3 packets"; show; return 1; }
	# The records are the input's, byte for byte: UDP, ARP, IPv6 UDP.
	local want
	want=$({
		pcap_header 1
		pkt "$P2"
		pkt "$P3"
		pkt "$P4"
	} | tail -c +25 | od -An -tx1)
	[ "$(tail -c +25 "$T/m.pcap" | od -An -tx1)" = "$want" ] || why "written records differ from the input's"
}

test_json_report() {
	ub filter --json -r "$T/cap.pcap" 'tcp'
	expect_rc 0 || return 1
	[ "$(wc -l <"$T/out")" = 1 ] || { why "one JSON line"; show; return 1; }
	for kv in '"expr":"tcp"' '"type":"xdp"' '"packets":6' '"matched":1' '"mismatches":0' '"first_mismatch":null'; do
		grep -qF "$kv" "$T/out" || { why "missing $kv"; show; return 1; }
	done
}

test_object_loads() {
	ub filter -o "$T/f.o" --type tc 'tcp port 80'
	expect_rc 0 || return 1
	[ ! -s "$T/out" ] || { why "-o alone prints nothing"; show; return 1; }
	ub prog list "$T/f.o"
	expect_rc 0 || return 1
	grep -q 'filter' "$T/out" && grep -q 'sched_cls' "$T/out" || { why "prog list"; show; return 1; }
	# The object's code is the printed translation.
	ub disasm --no-index "$T/f.o"
	expect_rc 0 || return 1
	grep -v '^;' "$T/out" | grep -v '^filter:' | grep -v '^$' | sed 's/^[[:space:]]*//' >"$T/a"
	ub filter --type tc 'tcp port 80'
	sed 's/^ *[0-9]*: //' "$T/out" >"$T/b"
	cmp -s "$T/a" "$T/b" || { why "object code differs from --disasm"; diff "$T/a" "$T/b" | head -5; return 1; }
}

test_kernel_agrees() {
	ub filter -r "$T/cap.pcap" --kernel 'udp port 53 or arp'
	if [ "$rc" = 2 ] && grep -q -- '--kernel' "$T/err"; then
		echo "SKIP kernel_agrees: $(cat "$T/err")"
		return 2
	fi
	expect_rc 0 || return 1
	grep -qF "kernel: 5 packets compared, agrees with libpcap (1 not run" "$T/out" || { why "kernel line"; show; return 1; }
	ub filter --type tc -r "$T/cap.pcap" --kernel 'len > 50'
	expect_rc 0 || return 1
	grep -qF "agrees with libpcap" "$T/out" || { why "tc kernel line"; show; return 1; }
}

# Every capture the project makes (examples/gen, built by `make`): every verdict as libpcap's.
test_example_captures() {
	local caps=("$BUILD"/examples/*.pcap) n=0
	[ -e "${caps[0]}" ] || { echo "SKIP example_captures: no $BUILD/examples/*.pcap"; return 2; }
	for cap in "${caps[@]}"; do
		for e in 'ip and tcp[tcpflags] & tcp-syn != 0' 'udp port 53 or (vlan and tcp)' 'ip6 or len > 200' \
			'net 10.0.0.0/8 and not udp'; do
			for t in xdp tc socket; do
				ub filter --type "$t" -r "$cap" "$e"
				expect_rc 0 || { why "$t '$e' on $cap"; return 1; }
				grep -qF "libpcap agrees on every packet" "$T/out" || { why "$t '$e' on $cap"; show; return 1; }
				n=$((n + 1))
			done
		done
	done
	[ "$n" -ge 24 ] || why "only $n runs"
}

test_bad_expression() {
	ub filter 'tcp port'
	expect_rc 2 || return 1
	expect_err_line "userbpf: filter: 'tcp port': can't parse filter expression: syntax error"
}

test_untranslatable_expression() {
	ub filter 'ip6 protochain 6'
	expect_rc 2 || return 1
	expect_err_line "cannot translate to eBPF: insn"
	grep -qF "jump backwards" "$T/err" || why "names the backward jump"
}

test_usage_errors() {
	ub filter
	expect_rc 2 && expect_err_line "missing the filter expression" || return 1
	ub filter --type bogus ip
	expect_rc 2 && expect_err_line "unknown type 'bogus'" || return 1
	ub filter -w "$T/x.pcap" ip
	expect_rc 2 && expect_err_line "-w needs -r FILE" || return 1
	ub filter --kernel ip
	expect_rc 2 && expect_err_line "--kernel needs -r FILE" || return 1
	ub filter --json ip
	expect_rc 2 && expect_err_line "--json reports a run" || return 1
	ub filter --type socket --kernel -r "$T/cap.pcap" ip
	expect_rc 2 && expect_err_line "--kernel compares xdp or tc" || return 1
	ub filter --bogus ip
	expect_rc 2 && expect_err_line "unknown option '--bogus'"
}

test_bad_files() {
	ub filter -r "$T/nonexistent.pcap" ip
	expect_rc 2 && expect_err_line "nonexistent.pcap" || return 1
	ub filter -r "$T/raw.pcap" ip
	expect_rc 2 && expect_err_line "raw.pcap: link type RAW (12) is not Ethernet" || return 1
	ub filter -r "$T/trunc.pcap" ip
	expect_rc 2 || return 1
	grep -qF "trunc.pcap: 5 packets" "$T/out" || { why "report of the packets before the damage"; show; return 1; }
	expect_err_line "truncated dump file" || return 1
	grep -qF "(after 5 packets)" "$T/err" || why "says how many packets were read"
	ub filter -o /nonexistent/dir/f.o ip
	expect_rc 2 && expect_err_line "/nonexistent/dir/f.o: No such file or directory" || return 1
	ub filter -r "$T/cap.pcap" -w /nonexistent/dir/o.pcap ip
	expect_rc 2 && expect_err_line "/nonexistent/dir/o.pcap"
}

test_help() {
	ub help filter
	expect_rc 0 || return 1
	grep -q '^usage: userbpf filter' "$T/out" || why "usage line"
}

run_tests test_filter
