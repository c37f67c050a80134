#!/usr/bin/env bash
# test_monitor.sh - end-to-end tests of `userbpf monitor` on the captures the build generates
# ($BUILD/examples/*.pcap, examples/gen/): every flow, protocol and verdict count of the built-in
# flows program checked exactly against tshark's own dissection of the same capture; the top-N
# order; intervals cut by capture time (how many, the packets in each, the same output on every
# run); any object's packet program (tests/objs/monitor_drop.bpf.c: verdicts and map entries against
# tshark's counts; runs that fail); --count/--duration; stdin; the text view and its refresh on a
# terminal; bad arguments, a missing file and a damaged capture (message, summary of what was read,
# exit 1); and a live run on a veth pair between network namespaces the test creates (skipped,
# visibly, when not root). Needs tshark, capinfos and jq; without them or without the captures the
# tests skip with one line each.
. "$(dirname "$0")/lib.sh"
EX=$BUILD/examples
CAP=$EX/monitor.pcap
DROP_OBJ=$BUILD/objs/monitor_drop.o

need_caps() {
	if [ ! -f "$CAP" ]; then
		echo "SKIP ${FUNCNAME[1]#test_}: $CAP not built (examples generator)"
		return 2
	fi
	local t
	for t in tshark capinfos jq; do
		command -v $t >/dev/null || {
			echo "SKIP ${FUNCNAME[1]#test_}: $t not installed"
			return 2
		}
	done
	return 0
}

# The one stderr line matches /$1/ (and there is only one).
err_line() {
	local n
	n=$(wc -l <"$T/err")
	if [ "$n" != 1 ] || ! grep -Eq -- "$1" "$T/err"; then
		why "expected one stderr line matching /$1/"
		show
		return 1
	fi
}
bad() {
	expect_rc 2 && err_line "$1" && {
		[ ! -s "$T/out" ] || {
			why "expected nothing on stdout"
			show
			return 1
		}
	}
}
same() { # same WHAT GOT WANT
	[ "$2" = "$3" ] || {
		why "$1: got '$2', expected '$3'"
		return 1
	}
}

# What tshark sees in capture $1, aggregated as the flows program does (addresses, ports or ICMP
# type/code, protocol, outer VLAN; bytes = captured length): lines
#   F|proto|src|dst|sport|dport|vlan|packets|bytes|tcp flags     one per flow
#   P|class|packets|bytes                                         one per protocol class
#   T|packets|bytes                                               the whole capture
tshark_flows() {
	tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -E occurrence=f -E separator='|' -T fields \
		-e frame.cap_len -e vlan.id -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e ip.proto -e ipv6.nxt \
		-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport -e icmp.type -e icmp.code \
		-e icmpv6.type -e icmpv6.code -e tcp.flags 2>/dev/null | awk -F'|' '
	function hex(s,   i, v) {
		s = tolower(s); sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	{
		len = $1; vlan = $2 == "" ? 0 : $2 + 0
		tp++; tb += len
		if ($3 != "") { src = $3; dst = $4; p = $7 + 0 }
		else if ($5 != "") { src = $5; dst = $6; p = $8 + 0 }
		else { cp["other"]++; cb["other"] += len; next }
		if (p == 6) { cls = "tcp"; name = "tcp"; sp = $9; dp = $10 }
		else if (p == 17) { cls = "udp"; name = "udp"; sp = $11; dp = $12 }
		else if (p == 1) { cls = "icmp"; name = "icmp"; sp = $13; dp = $14 }
		else if (p == 58) { cls = "icmp"; name = "icmpv6"; sp = $15; dp = $16 }
		else { cls = "ip_other"; name = p; sp = 0; dp = 0 }
		k = name "|" src "|" dst "|" (sp + 0) "|" (dp + 0) "|" vlan
		pk[k]++; by[k] += len; cp[cls]++; cb[cls] += len
		if (p == 6) { tcp[k] = 1; f = hex($17); for (b = 0; b < 8; b++) if (int(f / 2 ^ b) % 2) bit[k, b] = 1 }
	}
	END {
		split("F S R P . U E W", L, " ")
		for (k in pk) {
			s = ""
			if (k in tcp) { for (b = 0; b < 8; b++) if ((k, b) in bit) s = s L[b + 1]; if (s == "") s = "-" }
			else s = "-"
			print "F|" k "|" pk[k] "|" by[k] "|" s
		}
		n = split("tcp udp icmp ip_other other", C, " ")
		for (i = 1; i <= n; i++) print "P|" C[i] "|" (cp[C[i]] + 0) "|" (cb[C[i]] + 0)
		print "T|" tp "|" tb
	}'
}

# Flows of a JSON report (jq path $1 of the line in $2) in the F| form.
json_flows() {
	jq -r "$1[] | [\"F\", .proto, .src, .dst, (.sport // .icmp_type), (.dport // .icmp_code), .vlan, .packets, .bytes, (.tcp_flags // \"-\")] | map(tostring) | join(\"|\")" <<<"$2"
}

# The expectations of monitor.pcap, once.
EXP=$T/expected
expected() {
	[ -s "$EXP" ] || tshark_flows "$CAP" >"$EXP"
}

test_flows_every_flow_exact() {
	need_caps || return
	expected
	ub monitor -r "$CAP" --json --top 1000
	expect_rc 0 || return 1
	[ "$(wc -l <"$T/out")" = 1 ] || {
		why "expected one JSON line (the summary) without --interval"
		show
		return 1
	}
	local s nflows got want
	s=$(cat "$T/out")
	same summary "$(jq -r .summary <<<"$s")" true || return 1
	nflows=$(grep -c '^F|' "$EXP")
	[ "$nflows" -gt 100 ] || why "the capture has only $nflows flows" || return 1
	same "flows in the table" "$(jq -r .flows <<<"$s")" "$nflows" || return 1
	got=$(json_flows .top_bytes "$s" | sort)
	want=$(grep '^F|' "$EXP" | sort)
	[ "$got" = "$want" ] || {
		why "flows differ from tshark's (< userbpf, > tshark):"
		diff <(echo "$got") <(echo "$want") | head -n 10 | sed 's/^/      /'
		return 1
	}
	got=$(json_flows .top_packets "$s" | sort)
	[ "$got" = "$want" ] || why "top_packets holds other flows than top_bytes" || return 1
	# protocol classes and totals
	local c
	for c in tcp udp icmp ip_other other; do
		same "protocol $c" "$(jq -r ".protocols.$c | \"\(.packets)|\(.bytes)\"" <<<"$s")" \
			"$(sed -n "s/^P|$c|//p" "$EXP")" || return 1
	done
	local tp tb
	IFS='|' read -r _ tp tb < <(grep '^T|' "$EXP")
	same "capinfos count" "$(capinfos -M -c "$CAP" | awk '/Number of packets/ {print $NF}')" "$tp" || return 1
	same packets "$(jq -r .packets <<<"$s")" "$tp" || return 1
	same bytes "$(jq -r .bytes <<<"$s")" "$tb" || return 1
	same total_packets "$(jq -r .total_packets <<<"$s")" "$tp" || return 1
	# flows.bpf.c passes everything: the runner's verdicts and the program's own count agree
	same verdicts "$(jq -c .verdicts <<<"$s")" "{\"aborted\":0,\"drop\":0,\"pass\":$tp,\"tx\":0,\"redirect\":0}" || return 1
	same prog_verdicts "$(jq -c .prog_verdicts <<<"$s")" "$(jq -c .verdicts <<<"$s")" || return 1
	same errors "$(jq -r .errors <<<"$s")" 0
}

# --top N: the N flows with the most bytes (packets), largest first.
test_top_n_order() {
	need_caps || return
	expected
	ub monitor -r "$CAP" --json --top 7
	expect_rc 0 || return 1
	local s got want
	s=$(cat "$T/out")
	same "top_bytes length" "$(jq '.top_bytes | length' <<<"$s")" 7 || return 1
	got=$(jq -r '.top_bytes[].bytes' <<<"$s" | paste -sd' ')
	want=$(grep '^F|' "$EXP" | cut -d'|' -f9 | sort -rn | head -n 7 | paste -sd' ')
	same "top bytes" "$got" "$want" || return 1
	got=$(jq -r '.top_packets[].packets' <<<"$s" | paste -sd' ')
	want=$(grep '^F|' "$EXP" | cut -d'|' -f8 | sort -rn | head -n 7 | paste -sd' ')
	same "top packets" "$got" "$want" || return 1
	# and each listed flow is tshark's, counts included
	local f
	while read -r f; do
		grep -qxF -- "$f" "$EXP" || why "flow '$f' is not in the capture" || return 1
	done < <(json_flows .top_bytes "$s"; json_flows .top_packets "$s")
}

# Intervals by capture time: how many, which packets in each, identical runs.
test_intervals_by_capture_time() {
	need_caps || return
	ub monitor -r "$CAP" --json --interval 0.3
	expect_rc 0 || return 1
	cp "$T/out" "$T/run1"
	# packets per 0.3 s bucket of capture time, from tshark's relative times (exact decimal digits)
	local want got
	want=$(tshark -r "$CAP" -T fields -e frame.time_relative 2>/dev/null | awk -F. '
		{ ns = $1 * 1000000000 + substr($2 "000000000", 1, 9); b = int(ns / 300000000); c[b]++; if (b > m) m = b }
		END { for (i = 0; i <= m; i++) print i + 1, c[i] + 0 }')
	got=$(jq -r 'select(.summary == false) | "\(.interval) \(.packets)"' "$T/out")
	[ "$got" = "$want" ] || {
		why "intervals (number packets) differ from tshark's buckets:"
		diff <(echo "$got") <(echo "$want") | head -n 8 | sed 's/^/      /'
		return 1
	}
	local n
	n=$(wc -l <<<"$want")
	same "summary intervals" "$(jq -r 'select(.summary) | .intervals' "$T/out")" "$n" || return 1
	same "last line is the summary" "$(tail -n 1 "$T/out" | jq -r .summary)" true || return 1
	same "interval bounds" "$(jq -r 'select(.interval == 2) | "\(.start_ns) \(.end_ns)"' "$T/out")" \
		"300000000 600000000" || return 1
	# the packets of all intervals add up; a second run prints the same (but for the flows' clocks)
	same "sum of intervals" "$(jq -s 'map(select(.summary == false) | .packets) | add' "$T/out")" \
		"$(jq -r 'select(.summary) | .packets' "$T/out")" || return 1
	ub monitor -r "$CAP" --json --interval 0.3
	local strip='del(.. | .first_seen_ns?, .last_seen_ns?)'
	[ "$(jq -c "$strip" "$T/out")" = "$(jq -c "$strip" "$T/run1")" ] || why "two runs on the same file differ" || return 1
}

test_text_view() {
	need_caps || return
	expected
	ub monitor -r "$CAP"
	expect_rc 0 || return 1
	local tp tb
	IFS='|' read -r _ tp tb < <(grep '^T|' "$EXP")
	grep -qE "^== summary: flows on $CAP, 4\.0s, 0 intervals$" "$T/out" || why "no summary header" || { show; return 1; }
	grep -qE "^  run +$tp packets, $tb bytes, 1000 pps, " "$T/out" || why "no run line" || { show; return 1; }
	grep -qE "^  verdicts +aborted 0, drop 0, pass $tp, tx 0, redirect 0$" "$T/out" || why "no verdicts line" || return 1
	grep -qx "top flows by bytes" "$T/out" && grep -qx "top flows by packets" "$T/out" && grep -qx "protocols" "$T/out" ||
		why "missing sections" || return 1
	# the first row by bytes is tshark's biggest flow
	local top proto src dst sp dp vlan pk by
	top=$(grep '^F|' "$EXP" | sort -t'|' -k9,9nr | head -n 1)
	IFS='|' read -r _ proto src dst sp dp vlan pk by _ <<<"$top"
	local row
	row=$(grep -A2 -x "top flows by bytes" "$T/out" | tail -n 1)
	read -r -a f <<<"$row"
	local s=$src:$sp d=$dst:$dp
	[[ $src == *:* ]] && s="[$src]:$sp" && d="[$dst]:$dp"
	same "first row" "${f[0]} ${f[1]} ${f[2]} ${f[3]} ${f[4]} ${f[5]}" "$proto $s $d $vlan $pk $by" || return 1
	# tcp row of the protocol table
	grep -qE "^  tcp +$(sed -n 's/^P|tcp|\([0-9]*\)|\([0-9]*\)/\1 +\2/p' "$EXP") " "$T/out" || why "tcp line" || return 1
	# with intervals: one block per interval, then the summary; nothing else cleared (not a tty)
	ub monitor -r "$CAP" --interval 1
	same "interval blocks" "$(grep -c '^== flows on ' "$T/out")" 4 || return 1
	grep -q $'\033' "$T/out" && why "escape sequences in a non-terminal output" && return 1
	same "last block" "$(grep '^== ' "$T/out" | tail -n 1 | cut -c1-11)" "== summary:"
}

test_count_and_duration_on_a_file() {
	need_caps || return
	ub monitor -r "$CAP" --json --count 123
	expect_rc 0 || return 1
	same "--count" "$(jq -r .packets "$T/out")" 123 || return 1
	# --duration: capture time; packets before 1.5 s from the first
	local want
	want=$(tshark -r "$CAP" -Y 'frame.time_relative < 1.5' 2>/dev/null | wc -l)
	ub monitor -r "$CAP" --json --duration 1.5
	expect_rc 0 || return 1
	same "--duration" "$(jq -r .packets "$T/out")" "$want"
}

test_stdin_and_installed_binary() {
	need_caps || return
	# The flows program is inside the binary: a copy run elsewhere needs no file of the build.
	cp "$U" "$T/userbpf-copy"
	local out
	out=$(cd / && "$T/userbpf-copy" monitor -r - --json <"$OLDPWD/$CAP" 2>&1)
	same "stdin run" "$(jq -r .packets <<<"$out")" "$(capinfos -M -c "$CAP" | awk '/Number of packets/ {print $NF}')" || return 1
	same "source name" "$(jq -r .source <<<"$out")" "<stdin>"
}

test_other_object() {
	need_caps || return
	if [ ! -f "$DROP_OBJ" ]; then
		echo "SKIP other_object: $DROP_OBJ not built (clang-19)"
		return 2
	fi
	local ip6 total
	# outer EtherType of every frame, as the program reads it (VLAN-tagged frames: 0x8100)
	tshark -r "$CAP" -E occurrence=f -T fields -e eth.type 2>/dev/null | sort | uniq -c | awk '{print $2, $1}' >"$T/et"
	ip6=$(awk '$1 == "0x86dd" {print $2}' "$T/et")
	total=$(awk '{s += $2} END {print s}' "$T/et")
	[ "${ip6:-0}" -gt 0 ] || why "no IPv6 frames in the capture" || return 1
	ub monitor -r "$CAP" --prog "$DROP_OBJ" --json
	expect_rc 0 || return 1
	local s
	s=$(cat "$T/out")
	same program "$(jq -r .program <<<"$s")" monitor_drop || return 1
	same verdicts "$(jq -c .verdicts <<<"$s")" \
		"{\"aborted\":0,\"drop\":$ip6,\"pass\":$((total - ip6)),\"tx\":0,\"redirect\":0}" || return 1
	# the hash map: one entry per EtherType, counts as tshark's, largest first
	local got want
	got=$(jq -r '.maps[] | select(.name == "ethertypes") | .top[] | "\(.key) \(.value)"' <<<"$s")
	want=$(awk '{ h = tolower(substr($1, 3)); v = 0; for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; print v, $2 }' "$T/et" | sort -k2,2nr -k1,1n)
	same "ethertypes" "$got" "$want" || return 1
	same "entries" "$(jq -r '.maps[] | select(.name == "ethertypes") | .entries' <<<"$s")" "$(wc -l <"$T/et")" || return 1
	same "array" "$(jq -c '.maps[] | select(.name == "totals") | .top' <<<"$s")" "[{\"key\":0,\"value\":$total,\"rank\":$total}]" || return 1
	# OBJ:PROG names the program; the text view lists the maps
	ub monitor -r "$CAP" --prog "$DROP_OBJ:monitor_drop"
	expect_rc 0 || return 1
	grep -qE "^  verdicts +aborted 0, drop $ip6, pass $((total - ip6)), tx 0, redirect 0$" "$T/out" || why "text verdicts" || { show; return 1; }
	grep -qE "^  ethertypes +hash +$(wc -l <"$T/et")/16 entries$" "$T/out" || why "text map line" || { show; return 1; }
	ub monitor -r "$CAP" --prog "$DROP_OBJ:nosuch"
	bad "no program 'nosuch'" || return 1
	ub monitor -r "$CAP" --prog "$DROP_OBJ:not_a_packet_prog"
	bad "not a packet program" || return 1
	ub monitor -r "$CAP" --prog "$T/nothing.o"
	bad "nothing.o" || return 1
	printf 'not an object' >"$T/junk.o"
	ub monitor -r "$CAP" --prog "$T/junk.o"
	bad "not an ELF object"
}

# Runs that fail (checked engine) count as aborted and in errors; the run goes on; one line at the
# end names the first failure; exit 1 after the summary.
test_failed_runs() {
	need_caps || return
	[ -f "$DROP_OBJ" ] || {
		echo "SKIP failed_runs: $DROP_OBJ not built (clang-19)"
		return 2
	}
	local tp
	tp=$(capinfos -M -c "$CAP" | awk '/Number of packets/ {print $NF}')
	ub monitor -r "$CAP" --prog "$DROP_OBJ:monitor_bad" --json
	expect_rc 1 || return 1
	err_line "monitor_bad: $tp of $tp runs failed; the first, packet 1: insn [0-9]+: .*outside every region" || return 1
	same "summary" "$(jq -c '[.summary, .errors, .verdicts.aborted, .verdicts.pass]' "$T/out")" "[true,$tp,$tp,0]"
}

# On a terminal each view starts by clearing the screen (`script` gives the monitor a terminal).
test_terminal_refresh() {
	need_caps || return
	command -v script >/dev/null || {
		echo "SKIP terminal_refresh: no script(1)"
		return 2
	}
	script -qc "'$U' monitor -r '$CAP' --interval 2 --top 2" /dev/null >"$T/tty" </dev/null
	same "screens cleared" "$(grep -o $'\033\[H\033\[2J' "$T/tty" | wc -l)" 3 || return 1
	same "summary last" "$(sed 's/\x1b\[H\x1b\[2J//g' "$T/tty" | grep -a '^== ' | tail -n 1 | cut -c1-11)" "== summary:"
}

test_bad_arguments() {
	ub monitor
	bad "monitor: no traffic: give -i IFACE or -r FILE" || return 1
	ub monitor -r a.pcap -i lo
	bad "one source" || return 1
	ub monitor -r a.pcap extra
	bad "unexpected argument 'extra'" || return 1
	ub monitor -r a.pcap --interval 0
	bad "--interval: '0'" || return 1
	ub monitor -r a.pcap --interval soon
	bad "--interval: 'soon'" || return 1
	ub monitor -r a.pcap --duration -1
	bad "--duration" || return 1
	ub monitor -r a.pcap --top 0
	bad "--top: '0'" || return 1
	ub monitor -r a.pcap --count x
	bad "--count: 'x'" || return 1
	ub monitor -r a.pcap --bogus
	bad "bogus" || return 1
	ub monitor -r a.pcap --prog ''
	bad "--prog: empty" || return 1
	ub monitor --help
	expect_rc 0 && grep -q '^usage: userbpf monitor' "$T/out" || why "--help" || return 1
}

test_missing_and_unreadable_files() {
	ub monitor -r "$T/no-such.pcap"
	bad "no-such.pcap" || return 1
	printf 'this is not a capture at all, just some text' >"$T/text.pcap"
	ub monitor -r "$T/text.pcap"
	bad "text.pcap"
}

# A capture cut inside a record: the message says how far it got, the summary shows it, exit 1.
test_damaged_capture() {
	need_caps || return
	local off=24 i len
	for ((i = 0; i < 100; i++)); do
		len=$(od -An -tu4 -j $((off + 8)) -N 4 "$CAP" | tr -d ' ')
		off=$((off + 16 + len))
	done
	head -c $((off + 20)) "$CAP" >"$T/cut.pcap"
	ub monitor -r "$T/cut.pcap" --json --interval 0.05
	expect_rc 1 || return 1
	err_line "cut\.pcap.*100 packets" || return 1
	same "summary after damage" "$(tail -n 1 "$T/out" | jq -c '[.summary, .packets]')" "[true,100]" || return 1
	same "intervals before it" "$(jq -s 'map(select(.summary == false) | .packets) | add' "$T/out")" 100 || return 1
	ub monitor -r "$T/cut.pcap"
	expect_rc 1 || return 1
	grep -qE '^  run +100 packets, ' "$T/out" || why "text summary of what was read" || { show; return 1; }
	err_line "100 packets"
}

# Live: a veth pair between two network namespaces the test creates (and always removes); traffic
# sent from one is seen by the monitor in the other.
test_live_veth() {
	if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
		echo "SKIP live_veth: needs root and iproute2 (network namespaces and a veth pair)"
		return 2
	fi
	command -v jq >/dev/null || {
		echo "SKIP live_veth: jq not installed"
		return 2
	}
	local mon=ubmon_m$$ snd=ubmon_s$$
	# shellcheck disable=SC2064
	trap "ip netns del $mon 2>/dev/null; ip netns del $snd 2>/dev/null" EXIT
	if ! ip netns add $mon 2>"$T/err"; then
		echo "SKIP live_veth: cannot create a network namespace: $(head -n 1 "$T/err")"
		return 2
	fi
	ip netns add $snd && ip -n $mon link add vm type veth peer name vs netns $snd &&
		ip -n $mon addr add 10.213.0.1/24 dev vm && ip -n $mon link set vm up &&
		ip -n $snd addr add 10.213.0.2/24 dev vs && ip -n $snd link set vs up || {
		why "cannot set up the namespaces"
		return 1
	}
	# 10.213.0.77 is nobody: the monitored namespace (not a router) drops what is sent there without
	# an ICMP reply, so the sender's socket never sees "connection refused"; no ARP either.
	local mac
	mac=$(ip netns exec $mon cat /sys/class/net/vm/address)
	ip -n $snd neigh replace 10.213.0.77 lladdr "$mac" dev vs nud permanent
	ip netns exec $mon timeout 20 "$U" monitor -i vm --json --interval 1 --duration 3 >"$T/live" 2>"$T/liveerr" &
	local pid=$!
	sleep 1
	# 7 UDP datagrams of 5 bytes from one socket: 10.213.0.2:PORT -> 10.213.0.77:9999
	ip netns exec $snd bash -c 'exec 3>/dev/udp/10.213.0.77/9999; for i in 1 2 3 4 5 6 7; do printf hello >&3; done'
	wait $pid
	rc=$?
	cp "$T/live" "$T/out"
	cp "$T/liveerr" "$T/err"
	expect_rc 0 || return 1
	local s n
	s=$(tail -n 1 "$T/live")
	same summary "$(jq -r .summary <<<"$s")" true || return 1
	n=$(jq -r 'select(.summary == false) | .interval' "$T/live" | wc -l)
	[ "$n" -ge 2 ] && [ "$n" -le 4 ] || why "expected 2..4 interval lines in 3 s, got $n" || return 1
	# 7 frames of 14 + 20 + 8 + 5 bytes
	same "udp flow" "$(jq -c '[.top_bytes[] | select(.proto == "udp" and .dport == 9999) | [.src, .dst, .packets, .bytes, .vlan]]' <<<"$s")" \
		'[["10.213.0.2","10.213.0.77",7,329,0]]' || return 1
	same "udp class" "$(jq -r '.protocols.udp.packets' <<<"$s")" 7 || return 1
	same "kernel drops" "$(jq -r .kernel_drops <<<"$s")" 0 || return 1
	# SIGINT ends a run, with its summary (sent to the monitor itself: `ip netns exec` execs it;
	# --duration only keeps a failing test from hanging)
	ip netns exec $mon "$U" monitor -i vm --json --duration 15 >"$T/live2" 2>"$T/err" &
	pid=$!
	sleep 1
	ip netns exec $snd bash -c 'exec 3>/dev/udp/10.213.0.77/9998; printf x >&3; printf y >&3'
	sleep 0.3
	kill -INT $pid
	wait $pid
	rc=$?
	cp "$T/live2" "$T/out"
	expect_rc 0 || return 1
	same "end_ns before --duration" "$(tail -n 1 "$T/live2" | jq -r '.end_ns < 10000000000')" true || return 1
	same "after SIGINT" "$(tail -n 1 "$T/live2" | jq -c '[.summary, [.top_packets[] | select(.dport == 9998) | .packets][0]]')" '[true,2]'
}

run_tests monitor
