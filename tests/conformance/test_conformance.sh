#!/usr/bin/env bash
# test_conformance.sh - the bpf_conformance vectors through $BUILD/bin/userbpf-plugin, by the plugin
# contract (program as hex bytes on stdin, memory as hex bytes in the first argument, r0 in hex on
# stdout), always at CPU v4:
#   - every tests/*.data: r0 must equal its expected result; callx.data (not RFC 9669) must be
#     refused instead. Programs and memory come from assembled.jsonl, or, for a file it lacks (or
#     every file when USERBPF_CONFORMANCE_ASM=1), from `userbpf asm` and the file's own sections;
#   - every negative/unused-*.data (a field the RFC says is unused is non-zero) must be refused.
# The folder is $USERBPF_CONFORMANCE, default ../shared/bpf_conformance from the repo root; when it
# is missing the whole test is skipped visibly. A crash (signal) is never a refusal.
# Needs bash, coreutils (od, timeout, tr), sed and grep; no python, no jq.
set -u
shopt -s extglob
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PLUGIN=$BUILD/bin/userbpf-plugin
CLI=$BUILD/bin/userbpf
CONF=${USERBPF_CONFORMANCE:-../shared/bpf_conformance}
VIA_ASM=${USERBPF_CONFORMANCE_ASM:-0}
TIMEOUT=${USERBPF_TEST_TIMEOUT:-20}

passed=0 failed=0 skipped=0

result() {
	echo "RESULT conformance: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
	exit
}

if [ ! -d "$CONF/tests" ]; then
	echo "SKIP: conformance vectors not found in $CONF (set USERBPF_CONFORMANCE)"
	skipped=1
	result
fi
if [ ! -x "$PLUGIN" ]; then
	echo "FAIL: $PLUGIN is not built"
	failed=1
	result
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

# "b4000000" -> "b4 00 00 00"
spaced() {
	sed -e 's/[0-9a-fA-F][0-9a-fA-F]/& /g' -e 's/ $//' <<<"$1"
}

# Canonical form of a 64-bit hex number: lowercase, no 0x, no leading zeros.
canon() {
	local v=${1,,}
	v=${v#0x}
	v=${v##+(0)}
	echo "${v:-0}"
}

# Body of section NAME of a .data file, comments and blank lines removed.
section() {
	sed -n "/^-- $2\$/,/^-- /{/^-- /d;s/#.*//;/^[[:space:]]*\$/d;p}" "$1"
}

# Run the plugin: run_plugin PROGRAM_HEX MEMORY_HEX; sets rc, out, err.
run_plugin() {
	printf '%s\n' "$1" >"$tmp/in"
	# The group keeps bash's own "Segmentation fault" notice out of the log; rc tells the crash.
	{ timeout "$TIMEOUT" "$PLUGIN" "$2" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"; } 2>/dev/null
	rc=$?
	out=$(tr -d '\r\n' <"$tmp/out")
	err=$(head -n 1 "$tmp/err")
}

# A refusal: non-zero exit, not a signal or timeout, and a message on stderr.
check_refused() {
	local name=$1
	if [ "$rc" = 0 ]; then
		fail "$name" "accepted (r0 = $out) but must be refused"
	elif [ "$rc" -ge 124 ]; then
		fail "$name" "plugin crashed or hung (exit $rc): $err"
	elif [ -z "$err" ]; then
		fail "$name" "refused (exit $rc) without a message on stderr"
	else
		passed=$((passed + 1))
		return 0
	fi
	return 1
}

# assembled.jsonl: name -> program, memory, expected r0.
declare -A j_prog j_mem j_result
if [ -f "$CONF/assembled.jsonl" ]; then
	re_name='"name": "([^"]*)"'
	re_prog='"program_hex": "([0-9a-fA-F]*)"'
	re_mem='"mem_hex": "([0-9a-fA-F]*)"'
	re_res='"expected_result": "([^"]*)"'
	while IFS= read -r line; do
		[[ $line =~ $re_name ]] || continue
		n=${BASH_REMATCH[1]}
		[[ $line =~ $re_prog ]] && j_prog[$n]=${BASH_REMATCH[1]}
		[[ $line =~ $re_mem ]] && j_mem[$n]=${BASH_REMATCH[1]}
		[[ $line =~ $re_res ]] && j_result[$n]=${BASH_REMATCH[1]}
	done <"$CONF/assembled.jsonl"
fi

matched=0 total=0 callx_ok=0
for f in "$CONF"/tests/*.data; do
	name=$(basename "$f")
	total=$((total + 1))
	if [ "$VIA_ASM" != 1 ] && [ -n "${j_prog[$name]:-}" ]; then
		prog=$(spaced "${j_prog[$name]}")
		mem=$(spaced "${j_mem[$name]:-}")
		expected=${j_result[$name]:-}
	else
		if ! "$CLI" asm "$f" -o "$tmp/prog.bin" 2>"$tmp/err"; then
			if [ "$name" = callx.data ] && [ -s "$tmp/err" ]; then
				passed=$((passed + 1)) # refused by the assembler already
				callx_ok=1
			else
				fail "$name" "userbpf asm: $(head -n 1 "$tmp/err")"
			fi
			continue
		fi
		prog=$(od -An -v -tx1 "$tmp/prog.bin" | tr -s ' \n' '  ')
		mem=$(section "$f" mem | tr -s ' \n\t' '   ')
		expected=$(section "$f" result | head -n 1 | tr -d ' \t\r')
	fi
	run_plugin "$prog" "$mem"
	if [ "$name" = callx.data ]; then
		# callx is the suite's own extension, not RFC 9669: it must be refused.
		check_refused "$name" && callx_ok=1
		continue
	fi
	if [ -z "$expected" ]; then
		fail "$name" "no expected result"
	elif [ "$rc" != 0 ]; then
		fail "$name" "plugin exit $rc: $err"
	elif [ "$(canon "$out")" != "$(canon "$expected")" ]; then
		fail "$name" "r0 = 0x$(canon "$out"), expected $expected"
	else
		passed=$((passed + 1))
		matched=$((matched + 1))
	fi
done

refused=0 negatives=0
for f in "$CONF"/negative/unused-*.data; do
	[ -f "$f" ] || continue
	name=negative/$(basename "$f")
	negatives=$((negatives + 1))
	prog=$(section "$f" raw | tr -s ' \n\t' '   ')
	if [ -z "$prog" ]; then
		fail "$name" "no raw section"
		continue
	fi
	run_plugin "$prog" ""
	check_refused "$name" && refused=$((refused + 1))
done

echo "tests/*.data: $matched/$total results match, callx.data refused: $([ $callx_ok = 1 ] && echo yes || echo NO)"
echo "negative/unused-*.data: $refused/$negatives refused"
result
