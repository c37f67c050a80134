#!/usr/bin/env bash
# test_cli.sh - end-to-end tests of the `userbpf` command: asm/disasm round trips, `run` on .data,
# assembly and raw files with --mem and --mem-file, the one-line error format
# (`userbpf: FILE:LINE:COL: what is wrong`, exit 2) on every kind of bad input, usage errors,
# --version and help. Each test_* function is one test; it prints why it failed and returns 1.
# Tests that need the conformance vectors ($USERBPF_CONFORMANCE, default ../shared/bpf_conformance)
# skip visibly without them. Needs bash, coreutils, sed and grep.
. "$(dirname "$0")/lib.sh"
CONF=${USERBPF_CONFORMANCE:-../shared/bpf_conformance}
expect_out() {
	local got
	got=$(cat "$T/out")
	[ "$got" = "$1" ] || {
		why "expected stdout '$1'"
		show
		return 1
	}
}
# Never a crash: exit 0, 1 or 2, and at most one stderr line.
expect_sane() {
	if [ "$rc" -gt 2 ]; then
		why "exit status $rc (crash or hang)"
		show
		return 1
	fi
	[ "$(wc -l <"$T/err")" -le 1 ] || {
		why "more than one stderr line"
		show
		return 1
	}
}
need_conf() {
	if [ ! -d "$CONF/tests" ]; then
		echo "SKIP: $1: conformance vectors not found in $CONF"
		return 2
	fi
}

# ------------------------------------------------------------------------------------------------
# Fixtures

printf 'mov32 %%r0, 0\nexit\n' >"$T/zero.s"
printf 'ldxb %%r0, [%%r1+1]\nexit\n' >"$T/byte1.s"
printf 'mov %%r0, %%r2\nexit\n' >"$T/len.s"
printf 'lddw %%r0, 0x1122334455667788\nexit\n' >"$T/lddw.s"
printf 'r0 = 42\nexit\n' >"$T/c42.s"
printf 'ldxw %%r0, [%%r1]\nexit\n' >"$T/oob.s"
printf 'loop:\nja loop\nexit\n' >"$T/loop.s"
cat >"$T/fib.s" <<'EOF'
# the 50th Fibonacci number
	r1 = 0
	r2 = 1
	r3 = 50
loop:
	if r3 == 0 goto done
	r4 = r1
	r4 += r2
	r1 = r2
	r2 = r4
	r3 -= 1
	goto loop
done:
	r0 = r1
	exit
EOF
FIB=0x2ee333961

# ------------------------------------------------------------------------------------------------
# Top level: version, help, usage errors

test_version() {
	local v
	v=$(sed -n 's/^#define USERBPF_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' include/userbpf/userbpf.h | paste -sd.)
	ub --version
	expect_rc 0 && expect_out "userbpf $v"
}
test_help_toplevel() {
	ub --help
	expect_rc 0 || return 1
	for c in asm disasm run help; do
		grep -Eq "^  $c " "$T/out" || why "--help does not list '$c'" || return 1
	done
}
test_help_run() {
	ub help run
	expect_rc 0 || return 1
	for o in --mem --mem-file --checked --fast --trusted --budget "r2"; do
		grep -q -- "$o" "$T/out" || why "'help run' does not mention $o" || return 1
	done
	cp "$T/out" "$T/help1"
	ub run --help
	expect_rc 0 && cmp -s "$T/out" "$T/help1" || why "'run --help' differs from 'help run'"
}
test_help_asm_disasm() {
	ub help asm
	expect_rc 0 && grep -q '\.bin' "$T/out" || why "'help asm' does not say where output goes" || return 1
	ub help disasm
	expect_rc 0 && grep -q -- '--syntax' "$T/out" || why "'help disasm' lacks --syntax"
}
test_no_args() {
	ub
	expect_rc 2 && grep -q usage "$T/err" || why "no usage on stderr"
}
test_unknown_command() {
	ub frobnicate x
	expect_bad "^userbpf: .*frobnicate"
}
test_help_unknown_command() {
	ub help frobnicate
	expect_bad "^userbpf: .*frobnicate"
}
test_unknown_toplevel_option() {
	ub --frobnicate
	expect_bad "^userbpf: .*--frobnicate"
}
test_unknown_option() {
	ub run "$T/zero.s" --frobnicate
	expect_bad "^userbpf: run: .*'--frobnicate'" || return 1
	ub disasm -Z "$T/zero.s"
	expect_bad "^userbpf: disasm: .*'-Z'" || return 1
	ub asm "$T/zero.s" --output
	expect_bad "^userbpf: asm: .*--output"
}
test_missing_option_argument() {
	ub run "$T/zero.s" --mem
	expect_bad "^userbpf: run: .*--mem.*argument"
}
test_missing_file_operand() {
	ub run
	expect_bad "^userbpf: run: .*FILE" || return 1
	ub asm
	expect_bad "^userbpf: asm: .*FILE" || return 1
	ub run "$T/zero.s" "$T/zero.s"
	expect_bad "^userbpf: run: "
}
test_conflicting_options() {
	ub run "$T/zero.s" --mem 00 --mem-file "$T/zero.s"
	expect_bad "^userbpf: run: " || return 1
	ub run "$T/zero.s" --checked --fast
	expect_bad "^userbpf: run: " || return 1
	ub run "$T/zero.s" --budget 0
	expect_bad "^userbpf: run: .*--budget" || return 1
	ub run "$T/zero.s" --budget 10 --trusted
	expect_bad "^userbpf: run: .*--budget"
}
test_bad_syntax_option() {
	ub disasm "$T/zero.s" --syntax intel
	expect_bad "^userbpf: disasm: .*intel"
}

# ------------------------------------------------------------------------------------------------
# asm and disasm

test_asm_bytes() {
	ub asm "$T/zero.s" -o "$T/zero.bin"
	expect_rc 0 || return 1
	local hex
	hex=$(od -An -v -tx1 "$T/zero.bin" | tr -s ' \n' ' ' | sed 's/^ //;s/ $//')
	[ "$hex" = "b4 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00" ] || why "bytes: $hex"
}
test_asm_to_pipe() {
	ub asm "$T/fib.s" -o "$T/fib.bin"
	expect_rc 0 || return 1
	ub asm "$T/fib.s"
	expect_rc 0 && cmp -s "$T/out" "$T/fib.bin" || why "asm to a pipe differs from -o"
	ubin "$T/fib.s" asm -
	expect_rc 0 && cmp -s "$T/out" "$T/fib.bin" || why "asm of stdin differs"
	ub asm "$T/fib.s" -o - --output="$T/fib2.bin"
	expect_rc 0 && cmp -s "$T/fib2.bin" "$T/fib.bin" || why "--output=F differs"
}
test_asm_terminal_writes_bin() {
	# On a terminal, `asm FILE` writes FILE with .bin for its extension (needs util-linux script).
	if ! command -v script >/dev/null; then
		echo "SKIP: asm_terminal_writes_bin: no 'script' to give asm a terminal"
		return 2
	fi
	mkdir -p "$T/tty" && cp "$T/fib.s" "$T/tty/prog.s"
	"$U" asm "$T/fib.s" -o "$T/fib.bin" || return 1
	script -qec "$U asm $T/tty/prog.s" /dev/null >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	expect_rc 0 && cmp -s "$T/tty/prog.bin" "$T/fib.bin" || why "prog.bin missing or wrong" || return 1
	script -qec "$U asm - <$T/fib.s" /dev/null >"$T/out" 2>&1 </dev/null
	rc=$?
	expect_rc 2 && grep -q 'terminal' "$T/out" || why "bytecode of stdin written to a terminal"
}
test_asm_lddw_two_slots() {
	ub asm "$T/lddw.s" -o "$T/lddw.bin"
	expect_rc 0 || return 1
	[ "$(wc -c <"$T/lddw.bin")" = 24 ] || why "lddw + exit is not 24 bytes"
}
test_disasm_format() {
	ub disasm "$T/lddw.s"
	expect_rc 0 || return 1
	[ "$(wc -l <"$T/out")" = 2 ] || why "expected 2 lines" || return 1
	grep -Eq '^   0: .*0x1122334455667788' "$T/out" || why "bad lddw line: $(head -n 1 "$T/out")" || return 1
	grep -Eq '^   2: exit$' "$T/out" || why "exit is not at index 2: $(tail -n 1 "$T/out")"
}
test_disasm_c_syntax() {
	ub disasm "$T/c42.s"
	expect_rc 0 && grep -Eq '^   0: r0 = (42|0x2a)$' "$T/out" || why "C syntax: $(head -n 1 "$T/out")"
}
test_disasm_conformance_syntax() {
	ub disasm "$T/zero.s" --syntax conformance
	expect_rc 0 && grep -Eq '^   0: mov32 %r0, (0|0x0)$' "$T/out" || why "conformance syntax: $(head -n 1 "$T/out")"
}
# asm -> file -> disasm (each syntax, without indices) -> asm gives the same bytes.
roundtrip() {
	local src=$1 name=$2 syn
	"$U" asm "$src" -o "$T/rt1.bin" 2>"$T/err" || {
		why "$name: asm failed: $(head -n 1 "$T/err")"
		return 1
	}
	for syn in c conformance; do
		"$U" disasm "$T/rt1.bin" --syntax "$syn" --no-index >"$T/rt.s" 2>"$T/err" || {
			why "$name: disasm --syntax $syn failed: $(head -n 1 "$T/err")"
			return 1
		}
		"$U" asm "$T/rt.s" -o "$T/rt2.bin" 2>"$T/err" || {
			why "$name: reassembling --syntax $syn output failed: $(head -n 1 "$T/err")"
			return 1
		}
		cmp -s "$T/rt1.bin" "$T/rt2.bin" || {
			why "$name: --syntax $syn round trip changes the bytes"
			return 1
		}
	done
}
test_roundtrip_local() {
	local f
	for f in fib zero lddw c42 loop; do
		roundtrip "$T/$f.s" "$f.s" || return 1
	done
}
test_roundtrip_invalid_slot() {
	# An unknown opcode (0xff) and a truncated lddw: disasm shows them as .insn lines.
	printf '\xff\x00\x00\x00\x00\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00\x18\x00\x00\x00\x01\x00\x00\x00' >"$T/inval.bin"
	ub disasm "$T/inval.bin"
	expect_rc 0 && [ "$(wc -l <"$T/out")" = 3 ] || why "expected 3 lines" || return 1
	roundtrip "$T/inval.bin" inval.bin
}
test_roundtrip_corpus() {
	need_conf roundtrip_corpus || return
	local f bad=0
	for f in "$CONF"/tests/*.data; do
		[ "$(basename "$f")" = callx.data ] && continue
		roundtrip "$f" "$(basename "$f")" || bad=$((bad + 1))
		[ "$bad" -ge 10 ] && break
	done
	[ "$bad" = 0 ]
}

# ------------------------------------------------------------------------------------------------
# run

test_run_asm() {
	ub run "$T/fib.s"
	expect_rc 0 && expect_out "$FIB"
}
test_run_c_syntax() {
	ub run "$T/c42.s"
	expect_rc 0 && expect_out 0x2a
}
test_run_raw() {
	"$U" asm "$T/fib.s" -o "$T/fib.bin" || return 1
	ub run "$T/fib.bin"
	expect_rc 0 && expect_out "$FIB"
}
test_run_stdin() {
	ubin "$T/fib.s" run -
	expect_rc 0 && expect_out "$FIB" || return 1
	"$U" asm "$T/fib.s" -o "$T/fib.bin" || return 1
	ubin "$T/fib.bin" run -
	expect_rc 0 && expect_out "$FIB"
}
test_run_mem_hex() {
	ub run "$T/byte1.s" --mem "aa bb cc"
	expect_rc 0 && expect_out 0xbb || return 1
	ub run "$T/byte1.s" --mem aabbcc
	expect_rc 0 && expect_out 0xbb || return 1
	ub run "$T/byte1.s" -m "0xaa 0xbb"
	expect_rc 0 && expect_out 0xbb || return 1
	ub run "$T/len.s" --mem "01 02 03 04 05"
	expect_rc 0 && expect_out 0x5
}
test_run_no_mem() {
	ub run "$T/len.s"
	expect_rc 0 && expect_out 0x0
}
test_run_mem_file() {
	printf '\x11\x22\x33' >"$T/mem.bin"
	ub run "$T/byte1.s" --mem-file "$T/mem.bin"
	expect_rc 0 && expect_out 0x22 || return 1
	ub run "$T/len.s" --mem-file "$T/mem.bin"
	expect_rc 0 && expect_out 0x3
}
test_run_data_mem() {
	printf -- '-- asm\nmov %%r0, %%r2\nexit\n-- mem\n00 00 00 01\n00 00 00 02\n-- result\n0x8\n' >"$T/mlen.data"
	ub run "$T/mlen.data"
	expect_rc 0 && expect_out 0x8 || return 1
	ub run "$T/mlen.data" --mem "01 02"
	expect_rc 0 && expect_out 0x2 || return 1
	ub run "$T/mlen.data" -v
	expect_rc 0 && grep -q 'match' "$T/err" || why "-v does not compare with the result section"
}
test_run_data_raw() {
	printf -- '-- raw\nb7 00 00 00 07 00 00 00\n95 00 00 00 00 00 00 00\n-- result\n0x7\n' >"$T/raw.data"
	ub run "$T/raw.data"
	expect_rc 0 && expect_out 0x7
}
test_run_verbose_count() {
	ub run "$T/zero.s" -v
	expect_rc 0 && expect_out 0x0 && grep -Eq '^insns: 2\b' "$T/err" || why "-v: $(cat "$T/err")"
}
test_run_trusted_fast() {
	ub run "$T/fib.s" --trusted
	expect_rc 0 && expect_out "$FIB" || return 1
	ub run "$T/fib.s" --fast --trusted
	expect_rc 0 && expect_out "$FIB" || return 1
	ub run "$T/fib.s" --checked --trusted
	expect_rc 0 && expect_out "$FIB"
}
test_run_fast_needs_trust() {
	ub run "$T/fib.s" --fast
	expect_bad "^userbpf: .*fib\.s: .*--trusted"
}
test_run_helper() {
	# helper 5 is the kernel's ktime_get_ns: it exists and returns something.
	printf 'call 5\nmov %%r0, 1\nexit\n' >"$T/helper.s"
	ub run "$T/helper.s"
	expect_rc 0 && expect_out 0x1
}
test_run_runtime_fault() {
	ub run "$T/oob.s"
	expect_rc 1 && expect_err_line "^userbpf: $T/oob\.s: .*[0-9]"
}
test_run_budget() {
	ub run "$T/loop.s" --budget 1000
	expect_rc 1 && expect_err_line "^userbpf: $T/loop\.s: "
}
test_run_refused_program() {
	# add64 r0, 1 with a non-zero offset: the RFC says the field is unused.
	printf '\x07\x00\x01\x00\x01\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00' >"$T/unused.bin"
	ub run "$T/unused.bin"
	expect_bad "^userbpf: $T/unused\.bin: insn 0: "
}
test_run_refused_fall_off() {
	printf 'mov %%r0, 1\n' >"$T/nofin.s"
	ub run "$T/nofin.s"
	expect_bad "^userbpf: $T/nofin\.s: insn [0-9]+: "
}

# ------------------------------------------------------------------------------------------------
# Bad input: one line, exit 2, never a crash

test_bad_asm_position() {
	printf 'mov %%r0, 1\n# comment\n   frobnicate %%r0\nexit\n' >"$T/bad.s"
	for cmd in run asm disasm; do
		ub $cmd "$T/bad.s"
		expect_bad "^userbpf: $T/bad\.s:3:[0-9]+: ." || return 1
	done
}
test_bad_asm_in_data_position() {
	printf '# header\n-- asm\nmov %%r0, 1\nfrobnicate\nexit\n-- result\n0x1\n' >"$T/bad.data"
	ub run "$T/bad.data"
	expect_bad "^userbpf: $T/bad\.data:4:[0-9]+: ."
}
test_bad_data_mem() {
	printf -- '-- asm\nexit\n-- mem\nzz\n' >"$T/badmem.data"
	ub run "$T/badmem.data"
	expect_bad "^userbpf: $T/badmem\.data:4:[0-9]+: ."
}
test_bad_mem_argument() {
	ub run "$T/byte1.s" --mem "aa zz"
	expect_bad "^userbpf: --mem: " || return 1
	ub run "$T/byte1.s" --mem "aab"
	expect_bad "^userbpf: --mem: "
}
test_nonexistent_file() {
	ub run "$T/does-not-exist.s"
	expect_bad "^userbpf: $T/does-not-exist\.s: " || return 1
	ub run "$T/zero.s" --mem-file "$T/does-not-exist.bin"
	expect_bad "^userbpf: $T/does-not-exist\.bin: "
}
test_directory() {
	ub run "$T"
	expect_bad "^userbpf: $T: "
}
test_empty_file() {
	: >"$T/empty.s"
	for cmd in run asm disasm; do
		ub $cmd "$T/empty.s"
		expect_bad "^userbpf: $T/empty\.s:([0-9]+:[0-9]+:)? " || return 1
	done
	ubin /dev/null run -
	expect_bad "^userbpf: <stdin>:([0-9]+:[0-9]+:)? "
}
test_odd_length_raw() {
	printf '\x95\x00\x00\x00\x00\x00\x00\x00\x95\x00\x00' >"$T/odd.bin"
	for cmd in run asm disasm; do
		ub $cmd "$T/odd.bin"
		expect_bad "^userbpf: $T/odd\.bin: .*11" || return 1
	done
}
test_binary_garbage() {
	local seed i
	for seed in 1 2 3 4 5 6 7 8; do
		RANDOM=$seed
		: >"$T/garbage.bin"
		for ((i = 0; i < 64; i++)); do
			printf "\\$(printf '%03o' $((RANDOM % 256)))\\$(printf '%03o' $((RANDOM % 256)))" >>"$T/garbage.bin"
		done
		ub asm "$T/garbage.bin" -o "$T/garbage.out"
		expect_sane || return 1
		for cmd in run disasm; do
			ub $cmd "$T/garbage.bin"
			expect_sane || return 1
		done
		cp "$T/garbage.bin" "$T/garbage.data"
		ub run "$T/garbage.data"
		expect_bad "^userbpf: " || return 1
	done
}
test_huge_raw() {
	# 2^20 + 1 slots: one more than the largest program.
	printf '\x95\x00\x00\x00\x00\x00\x00\x00' >"$T/huge.bin"
	local i
	for ((i = 0; i < 20; i++)); do
		cat "$T/huge.bin" "$T/huge.bin" >"$T/huge2.bin" && mv "$T/huge2.bin" "$T/huge.bin"
	done
	printf '\x95\x00\x00\x00\x00\x00\x00\x00' >>"$T/huge.bin"
	ub run "$T/huge.bin"
	expect_bad "^userbpf: $T/huge\.bin: "
}
test_long_text() {
	# 100000 instructions of text assemble and run.
	{
		printf 'mov %%r0, 0\n'
		yes 'add %r0, 1' | head -n 100000
		printf 'exit\n'
	} >"$T/long.s"
	ub run "$T/long.s"
	expect_rc 0 && expect_out 0x186a0
}
test_long_garbage_line() {
	head -c 200000 /dev/zero | tr '\0' 'x' >"$T/longline.s"
	ub run "$T/longline.s"
	expect_bad "^userbpf: $T/longline\.s:1:[0-9]+: "
}

# ------------------------------------------------------------------------------------------------
# The conformance corpus through the CLI

test_run_corpus() {
	need_conf run_corpus || return
	local f name want bad=0
	for f in "$CONF"/tests/*.data; do
		name=$(basename "$f")
		ub run "$f"
		if [ "$name" = callx.data ]; then
			expect_rc 2 || bad=$((bad + 1))
			continue
		fi
		want=$(sed -n '/^-- result/{n;p;q}' "$f" | tr -d ' \r' | tr 'A-F' 'a-f')
		want=0x$(sed -E 's/^0x0*//;s/^$/0/' <<<"$want")
		if [ "$rc" != 0 ] || [ "$(cat "$T/out")" != "$want" ]; then
			why "$name: expected $want"
			show
			bad=$((bad + 1))
		fi
		[ "$bad" -ge 10 ] && break
	done
	[ "$bad" = 0 ]
}
test_conformance_negatives() {
	need_conf conformance_negatives || return
	local f name line bad=0
	# Malformed assembly: the position is the line of the faulty instruction.
	for name in invalid_imm32_dec_range invalid_imm32_hex_range invalid_label invalid_lock \
		invalid_lock2 invalid_mnemonic invalid_offset invalid_offset_range invalid_operand_count \
		invalid_register; do
		f=$CONF/negative/$name.data
		[ -f "$f" ] || continue
		line=$(grep -nvE '^(#|--|[[:space:]]*$)' "$f" | head -n 1 | cut -d: -f1)
		ub run "$f"
		expect_bad "^userbpf: $f:$line:[0-9]+: ." || bad=$((bad + 1))
	done
	# No program at all.
	for name in empty empty_instructions invalid_unknown_directive; do
		f=$CONF/negative/$name.data
		[ -f "$f" ] || continue
		ub run "$f"
		expect_bad "^userbpf: $f:([0-9]+:[0-9]+:)? ." || bad=$((bad + 1))
	done
	# Unused fields set: refused at load, naming the instruction.
	for f in "$CONF"/negative/unused-*.data; do
		ub run "$f"
		expect_bad "^userbpf: $f: insn [0-9]+: ." || bad=$((bad + 1))
	done
	[ "$bad" = 0 ]
}

# ------------------------------------------------------------------------------------------------

run_tests cli
