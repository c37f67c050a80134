#!/usr/bin/env bash
# test_kernel_pcap.sh - `userbpf run OBJ --prog P -r FILE --kernel | --compare` on every example and
# its capture: --kernel prints the same summary as userbpf (every line but the timing one), the same
# -w and --drops files and the same maps; --compare finds nothing to report on the examples, and
# reports the first packet and the map that differ on a program that stamps the clock into both
# (tests/objs/kpkt_clock.bpf.c), with exit status 1; times of the run kept in maps are taken as
# equal. Skips with one line where bpf() is refused.
. "$(dirname "$0")/lib.sh"

EX=$BUILD/examples
CLOCK=$BUILD/objs/kpkt_clock.o
# example:program
EXAMPLES="xdp_proto_count:proto_count_xdp flows:flows_xdp firewall:firewall_xdp synflood:synflood_xdp
dns:dns_xdp tc_rewrite:tc_rewrite dispatch:dispatch"

# SKIP (status 2) when the kernel refuses bpf() or the examples were not built.
need_kernel() {
	[ -f "$EX/flows.o" ] && [ -f "$EX/flows.pcap" ] || {
		echo "SKIP $1: $EX/flows.o or its capture missing (no clang-19?)"
		return 2
	}
	ub run "$EX/flows.o" --prog flows_xdp -r "$EX/flows.pcap" --kernel -q
	if [ "$rc" = 1 ] && grep -q "needs the kernel" "$T/err"; then
		echo "SKIP $1: $(cat "$T/err")"
		return 2
	fi
	return 0
}

# Everything but the timing line, with the output files' names made alike, the bpf_ktime_get_ns()
# values blanked (flows' first/last seen, synflood's window start, and its alert records' last 16
# bytes: window_start and ts), program ids (a prog array's values) blanked, and sorted: hash maps
# list their keys in a different order.
untimed() {
	grep -v '^time: ' "$1" | sed -E -e 's#/[uk](d?)\.pcap:#/X\1.pcap:#' \
		-e 's/(first_seen|last_seen|window_start) = [0-9]+/\1 = T/g' -e 's/: id [0-9]+$/: id N/' \
		-e 's/^(  40 bytes: ([0-9a-f]{2} ){24}).*/\1T/' | LC_ALL=C sort
}

test_kernel_same_summary_every_example() {
	need_kernel kernel_same_summary_every_example || return
	local e name prog
	for e in $EXAMPLES; do
		name=${e%%:*}
		prog=${e#*:}
		ub run "$EX/$name.o" --prog "$prog" -r "$EX/$name.pcap" -w "$T/u.pcap" --drops "$T/ud.pcap"
		expect_rc 0 || { why "$name in userbpf"; return 1; }
		untimed "$T/out" >"$T/u.txt"
		ub run "$EX/$name.o" --prog "$prog" -r "$EX/$name.pcap" -w "$T/k.pcap" --drops "$T/kd.pcap" --kernel
		expect_rc 0 || { why "$name in the kernel"; return 1; }
		untimed "$T/out" >"$T/k.txt"
		grep -q '^verdicts: ' "$T/k.txt" && grep -q '^map ' "$T/k.txt" || { why "$name: no summary"; show; return 1; }
		diff "$T/u.txt" "$T/k.txt" >"$T/diff" || {
			why "$name: userbpf and --kernel summaries differ:"
			head -n 10 "$T/diff" | sed 's/^/      /'
			return 1
		}
		cmp -s "$T/u.pcap" "$T/k.pcap" || { why "$name: -w files differ"; return 1; }
		cmp -s "$T/ud.pcap" "$T/kd.pcap" || { why "$name: --drops files differ"; return 1; }
	done
}

# Exact figures from the kernel: the capture's packet count and the dispatcher's verdicts.
test_kernel_exact_counts() {
	need_kernel kernel_exact_counts || return
	ub run "$EX/dispatch.o" --prog dispatch -r "$EX/dispatch.pcap" --kernel -q
	expect_rc 0 || return 1
	grep -qx 'packets: 19 (2233 bytes)' "$T/out" || { why "packet line"; show; return 1; }
	grep -qx 'verdicts: aborted 0, drop 3, pass 16, tx 0, redirect 0' "$T/out" || { why "verdicts"; show; return 1; }
}

test_compare_every_example() {
	need_kernel compare_every_example || return
	local e name prog n
	for e in $EXAMPLES; do
		name=${e%%:*}
		prog=${e#*:}
		ub run "$EX/$name.o" --prog "$prog" -r "$EX/$name.pcap" --compare -q
		expect_rc 0 || { why "$name"; cat "$T/out" | sed 's/^/      /'; return 1; }
		n=$(sed -n 's/^packets: \([0-9]*\) .*/\1/p' "$T/out")
		grep -qx "compare: $n packets the same in userbpf and the kernel (verdicts, return values, output packets)" \
			"$T/out" || { why "$name: packets line"; show; return 1; }
		grep -q '^compare: maps the same ([1-9][0-9]* entries)' "$T/out" || { why "$name: maps line"; show; return 1; }
	done
	# the dispatcher's prog array is named as left out; the fast engine compares the same
	ub run "$EX/dispatch.o" --prog dispatch -r "$EX/dispatch.pcap" --compare --trusted -q
	expect_rc 0 || return 1
	grep -q '^compare: maps the same (.*); left out: progs (prog_array)$' "$T/out" || { why "left out"; show; return 1; }
}

test_compare_finds_differences() {
	need_kernel compare_finds_differences || return
	[ -f "$CLOCK" ] || { echo "SKIP compare_finds_differences: $CLOCK missing"; return 2; }
	ub run "$CLOCK" --prog clock_stamp -r "$EX/flows.pcap" --compare -q
	expect_rc 1 || return 1
	grep -q '^compare: packet 1 differs: pass: output packets differ from byte 14 (userbpf 54 bytes, kernel 54)' \
		"$T/out" || { why "packet line"; show; return 1; }
	grep -q "^compare: maps differ: map 'stamp': key 00000000: values differ from byte 0: userbpf " "$T/out" ||
		{ why "maps line"; show; return 1; }
	# whole 64-bit times of the run are taken as equal; the count is compared
	ub run "$CLOCK" --prog clock_seen -r "$EX/flows.pcap" --compare -q
	expect_rc 0 || { cat "$T/out"; return 1; }
	grep -qx 'compare: maps the same (2 entries)' "$T/out" || { why "masked times"; show; return 1; }
}

test_compare_json() {
	need_kernel compare_json || return
	ub run "$EX/firewall.o" --prog firewall_xdp -r "$EX/firewall.pcap" --compare --json
	expect_rc 0 || return 1
	grep -qF '"backend":"compare","compare":{"packets":26,"packets_same":26,"first_difference":null,"maps_same":true,' \
		"$T/out" || { why "json compare member"; show; return 1; }
	[ -f "$CLOCK" ] || return 0
	ub run "$CLOCK" --prog clock_stamp -r "$EX/flows.pcap" --compare --json
	expect_rc 1 || return 1
	grep -qF '"first_difference":{"packet":1,"what":"pass: output packets differ from byte 14' "$T/out" ||
		{ why "json difference"; show; return 1; }
}

test_usage_errors() {
	local f=$EX/flows.o
	[ -f "$f" ] || { echo "SKIP usage_errors: $f missing"; return 2; }
	ub run "$f" --prog flows_xdp --compare
	expect_rc 2 && grep -q -- "--compare needs -r FILE" "$T/err" || { show; return 1; }
	ub run "$f" --prog flows_xdp -r "$EX/flows.pcap" --kernel --compare
	expect_rc 2 && grep -q -- "--kernel and --compare exclude each other" "$T/err" || { show; return 1; }
	ub run "$f" --prog flows_xdp -i lo --kernel
	expect_rc 2 && grep -q -- "-i: no --kernel or --compare" "$T/err" || { show; return 1; }
	ub run "$f" --prog flows_xdp -r "$EX/flows.pcap" --kernel --fast
	expect_rc 2 && grep -q -- "--kernel runs in the kernel: no --checked, --fast" "$T/err" || { show; return 1; }
	[ "$(wc -l <"$T/err")" = 1 ] || { why "one error line"; show; return 1; }
}

# A program the kernel's verifier refuses: one line naming it, exit 1, nothing on stdout.
test_kernel_refuses_program() {
	need_kernel kernel_refuses_program || return
	ub run "$BUILD/objs/kern_bad.o" --prog null_deref -r "$EX/flows.pcap" --kernel
	expect_rc 1 || return 1
	[ ! -s "$T/out" ] && [ "$(wc -l <"$T/err")" = 1 ] || { why "one line, no summary"; show; return 1; }
	grep -q "kern_bad.o: kernel: .*null_deref" "$T/err" || { why "names the program"; show; return 1; }
}

run_tests kernel_pcap
