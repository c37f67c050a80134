#!/usr/bin/env bash
# test_obj.sh - end-to-end tests of the object-aware `userbpf` commands on the BPF objects the
# Makefile builds from tests/objs/*.bpf.c into $BUILD/objs: `prog list` and `map list` (text and
# --json), `disasm OBJ` with interleaved source lines and function labels, `run OBJ --prog NAME`
# (return value, data out, ringbuf records, map contents by BTF type, per-CPU slots, --repeat,
# --json, --kernel where bpf() is allowed), and the one-line error (exit 2) for every wrong input.
# JSON is checked with a small awk validator (no jq needed). Without the objects (no clang-19) the
# tests skip visibly. Needs bash, coreutils, sed, grep and awk.
. "$(dirname "$0")/lib.sh"
OBJS=$BUILD/objs
ZERO16="00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"

# JSON validator (RFC 8259 grammar; strings are not checked for valid UTF-8): exit 0 when the
# file holds exactly one JSON value.
JSON_AWK='
function ws() { while (p <= n && index(" \t\r\n", substr(s, p, 1))) p++ }
function fail(m) { if (!err) err = m " at offset " p; return 0 }
function str(   c) {
	if (substr(s, p, 1) != "\"") return fail("expected string")
	p++
	while (p <= n) {
		c = substr(s, p, 1)
		if (c == "\"") { p++; return 1 }
		if (c == "\\") {
			c = substr(s, p + 1, 1)
			if (c == "u") {
				if (substr(s, p + 2, 4) !~ /^[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]$/)
					return fail("bad \\u escape")
				p += 6
				continue
			}
			if (c == "" || !index("\"\\/bfnrt", c)) return fail("bad escape")
			p += 2
			continue
		}
		if (c < " ") return fail("control character in string")
		p++
	}
	return fail("unterminated string")
}
function num() {
	if (match(substr(s, p), /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) { p += RLENGTH; return 1 }
	return fail("bad value")
}
function val(d,   c) {
	if (d > 200) return fail("too deep")
	ws()
	c = substr(s, p, 1)
	if (c == "{") {
		p++
		ws()
		if (substr(s, p, 1) == "}") { p++; return 1 }
		for (;;) {
			ws()
			if (!str()) return 0
			ws()
			if (substr(s, p, 1) != ":") return fail("expected :")
			p++
			if (!val(d + 1)) return 0
			ws()
			c = substr(s, p, 1)
			p++
			if (c == "}") return 1
			if (c != ",") return fail("expected , or }")
		}
	}
	if (c == "[") {
		p++
		ws()
		if (substr(s, p, 1) == "]") { p++; return 1 }
		for (;;) {
			if (!val(d + 1)) return 0
			ws()
			c = substr(s, p, 1)
			p++
			if (c == "]") return 1
			if (c != ",") return fail("expected , or ]")
		}
	}
	if (c == "\"") return str()
	if (substr(s, p, 4) == "true" || substr(s, p, 4) == "null") { p += 4; return 1 }
	if (substr(s, p, 5) == "false") { p += 5; return 1 }
	return num()
}
{ s = s $0 "\n" }
END {
	n = length(s)
	p = 1
	err = ""
	if (val(0)) { ws(); if (p <= n) fail("trailing text") }
	if (err) { print err; exit 1 }
}'
expect_json() {
	local e
	expect_rc 0 || return 1
	[ "$(wc -l <"$T/out")" = 1 ] || why "JSON output is not one line" || return 1
	e=$(LC_ALL=C awk "$JSON_AWK" "$T/out") || {
		why "invalid JSON: $e"
		show
		return 1
	}
}
# stdout (JSON) contains this exact text
has_text() {
	grep -qF -- "$1" "$T/out" || {
		why "expected the text '$1'"
		show
		return 1
	}
}

need_obj() {
	local o
	for o in "$@"; do
		if [ ! -f "$OBJS/$o.o" ]; then
			echo "SKIP: $OBJS/$o.o not built (no clang-19?)"
			return 2
		fi
	done
}

# ------------------------------------------------------------------------------------------------
# The JSON checker itself

test_json_validator() {
	local good='{"a":[1,-2.5e3,{"b":"x\"y\u00e9"}],"c":null,"d":true,"e":false,"f":[]}' bad
	printf '%s\n' "$good" | LC_ALL=C awk "$JSON_AWK" >/dev/null || why "valid JSON refused" || return 1
	for bad in '{"a":1,}' '[1 2]' '{"a"}' '"abc' '{"a":1}x' '01' '{"a":tru}' '[' ''; do
		if printf '%s\n' "$bad" | LC_ALL=C awk "$JSON_AWK" >/dev/null; then
			why "invalid JSON accepted: $bad"
			return 1
		fi
	done
}

# ------------------------------------------------------------------------------------------------
# help

test_help_lists_commands() {
	ub --help
	expect_rc 0 || return 1
	for c in prog map; do
		grep -Eq "^  $c " "$T/out" || why "--help does not list '$c'" || return 1
	done
}
test_help_object_commands() {
	ub help prog
	expect_rc 0 && has_text "--json" && has_text "prog list OBJ" || return 1
	ub help map
	expect_rc 0 && has_text "--json" && has_text "map list OBJ" || return 1
	ub help disasm
	expect_rc 0 && has_text "--prog NAME" || return 1
	ub help run
	expect_rc 0 || return 1
	for o in --prog --data --data-hex --repeat --kernel --json "--read FILE" "--drops FILE"; do
		has_text "$o" || return 1
	done
}

# ------------------------------------------------------------------------------------------------
# prog list

test_prog_list_names() {
	need_obj globals || return 2
	ub prog list "$OBJS/globals.o"
	expect_rc 0 || return 1
	local names
	names=$(grep -E '^[^ ]' "$T/out" | paste -sd' ')
	[ "$names" = "shared text_entry xdp_one xdp_two tc_main" ] || why "programs: '$names'"
}
test_prog_list_details() {
	need_obj globals || return 2
	ub prog list "$OBJS/globals.o"
	expect_rc 0 || return 1
	has_block "xdp_one
  section:     xdp
  type:        xdp
  insns:       47
  autoload:    yes
  maps:        .rodata, .data, .bss, .rodata.str1.1
  helpers:     6 trace_printk, 181 loop
  subprograms: loop_cb, shared, add3" || return 1
	has_block "tc_main
  section:     tc
  type:        sched_cls
  insns:       27
  autoload:    yes
  maps:        .rodata, .bss
  helpers:     5 ktime_get_ns
  subprograms: shared, add3" || return 1
	has_block "text_entry
  section:     .text
  type:        unspec
  insns:       3
  autoload:    no
  maps:        -
  helpers:     -
  subprograms: -"
}
test_prog_list_types_by_section() {
	need_obj maps_legacy_ext || return 2
	ub prog list "$OBJS/maps_legacy_ext.o"
	expect_rc 0 || return 1
	[ "$(grep -c '^  type: ' "$T/out")" = 31 ] || why "expected 31 programs" || return 1
	has_block "p_kprobe
  section:     kprobe/do_exit
  type:        kprobe" || return 1
	has_block "p_connect4
  section:     cgroup/connect4
  type:        cgroup_sock_addr"
}
test_prog_list_json() {
	need_obj globals || return 2
	ub prog list "$OBJS/globals.o" --json
	expect_json || return 1
	has_text '{"name":"xdp_one","section":"xdp","type":"xdp","type_id":6,"insns":47,"autoload":true,"maps":[".rodata",".data",".bss",".rodata.str1.1"],"helpers":[{"id":6,"name":"trace_printk"},{"id":181,"name":"loop"}],"kfunc_calls":0,"subprograms":[{"name":"loop_cb","insn_off":22,"insns":8},{"name":"shared","insn_off":30,"insns":9},{"name":"add3","insn_off":39,"insns":8}]}' || return 1
	has_text '"license":"Dual BSD/GPL"' || return 1
	[ "$(grep -o '"autoload"' "$T/out" | wc -l)" = 5 ] || why "expected 5 programs in JSON"
}
test_prog_list_stdin() {
	need_obj run || return 2
	ubin "$OBJS/run.o" prog list -
	expect_rc 0 && has_line "run_main" && has_line "data_only"
}

# ------------------------------------------------------------------------------------------------
# map list

test_map_list_btf() {
	need_obj maps_btf || return 2
	ub map list "$OBJS/maps_btf.o"
	expect_rc 0 || return 1
	has_block "hash_map
  type:        hash
  key:         4 bytes (__u32)
  value:       16 bytes (struct pair)
  max_entries: 128
  flags:       0x0
  pinning:     by_name
  section:     .maps
  global data: no" || return 1
	has_block "lpm
  type:        lpm_trie
  key:         8 bytes (struct lpm_key)
  value:       4 bytes (__u32)
  max_entries: 16
  flags:       0x1" || return 1
	has_block "outer
  type:        array_of_maps
  key:         4 bytes (__u32)
  value:       4 bytes
  max_entries: 4
  flags:       0x0
  inner map:
    type:        array" || return 1
	has_block "bloom
  type:        bloom_filter
  key:         0 bytes
  value:       4 bytes (__u32)
  max_entries: 64
  flags:       0x0
  map_extra:   0x3"
}
test_map_list_global_data() {
	need_obj globals || return 2
	ub map list "$OBJS/globals.o"
	expect_rc 0 || return 1
	local names
	names=$(grep -E '^[^ ]' "$T/out" | paste -sd' ')
	[ "$names" = ".rodata .data .data.table .bss .rodata.str1.1" ] || why "maps: '$names'" || return 1
	has_block ".data
  type:        array
  key:         4 bytes
  value:       8 bytes (section .data)
  max_entries: 1
  flags:       0x400
  pinning:     none
  section:     .data
  global data: yes"
}
test_map_list_legacy() {
	need_obj maps_legacy || return 2
	ub map list "$OBJS/maps_legacy.o"
	expect_rc 0 || return 1
	has_block "counters
  type:        array
  key:         4 bytes (__u32)
  value:       8 bytes (__u64)
  max_entries: 256
  flags:       0x0
  pinning:     none
  section:     maps
  global data: no" || return 1
	has_block "flows
  type:        hash
  key:         8 bytes
  value:       16 bytes
  max_entries: 1024
  flags:       0x1"
}
test_map_list_json() {
	need_obj maps_btf || return 2
	ub map list "$OBJS/maps_btf.o" --json
	expect_json || return 1
	has_text '{"name":"hash_map","index":' || return 1
	has_text '"type":"hash","type_id":1,"key_size":4,"value_size":16,"max_entries":128,"flags":0,"map_extra":0,"btf_key_type":"__u32","btf_value_type":"struct pair","pinning":"by_name","section":".maps","global_data":false}' || return 1
	has_text '"inner_map":{"type":"array","type_id":2,"key_size":4,"value_size":4,"max_entries":2,'
}

# ------------------------------------------------------------------------------------------------
# disasm OBJ

test_disasm_source_lines() {
	need_obj globals || return 2
	local ln
	ln=$(grep -n 'LINE-MARK' tests/objs/globals.bpf.c | cut -d: -f1)
	ub disasm "$OBJS/globals.o" --prog tc_main
	expect_rc 0 || return 1
	has_block "; program tc_main (section tc, type sched_cls, 27 insns)
tc_main:
; globals.bpf.c:$ln: __u64 t = bpf_ktime_get_ns(); /* LINE-MARK */
   0: call 5  ; ktime_get_ns
; globals.bpf.c:$((ln + 1)): return shared((int)t) + add3(1, 2, 3);
   1: w1 = w0
   2: call pc+7  ; shared" || return 1
	has_block "
shared:
; globals.bpf.c:20: hits++;
  10: r2 = map_idx_value(3) ll  ; &.bss" || return 1
	has_line "add3:" || return 1
	# only the program asked for
	! grep -q "program xdp_one" "$T/out" || why "--prog tc_main printed other programs"
}
test_disasm_all_programs() {
	need_obj globals || return 2
	ub disasm "$OBJS/globals.o"
	expect_rc 0 || return 1
	[ "$(grep -c '^; program ' "$T/out")" = 5 ] || why "expected 5 programs" || return 1
	has_line "   2: r2 = func(19) ll  ; loop_cb"
}
test_disasm_object_reassembles() {
	need_obj globals || return 2
	ub disasm "$OBJS/globals.o" --prog xdp_one --no-index
	expect_rc 0 || return 1
	cp "$T/out" "$T/xdp_one.s"
	ub asm "$T/xdp_one.s" -o "$T/xdp_one.bin"
	expect_rc 0 || return 1
	[ "$(wc -c <"$T/xdp_one.bin")" = $((47 * 8)) ] || why "reassembled to $(wc -c <"$T/xdp_one.bin") bytes"
}
test_disasm_stdin_object() {
	need_obj run || return 2
	ubin "$OBJS/run.o" disasm - --prog data_only
	expect_rc 0 && has_line "data_only:" && grep -q '^; run.bpf.c:[0-9]*: calls += 10;$' "$T/out" ||
		why "no source line for 'calls += 10;'"
}
test_disasm_plain_file_unchanged() {
	printf 'r0 = 42\nexit\n' >"$T/p.s"
	ub disasm "$T/p.s"
	expect_rc 0 && [ "$(cat "$T/out")" = "   0: r0 = 42
   1: exit" ] || why "plain disassembly changed"
}

# ------------------------------------------------------------------------------------------------
# run OBJ

test_run_maps_by_btf() {
	need_obj cli_run || return 2
	ub run "$OBJS/cli_run.o" --prog fill --data-hex "01 02 03 04 05"
	expect_rc 0 || return 1
	has_block "retval: 10 (0xa)
data out: ee 02 03 04 05
ringbuf events: 1 record
  4 bytes: 0a 00 00 00
map recs (hash, 1 entry):
  5: {name = \"alpha\", at = {x = -3, y = 4}, hist = [1, 2, 3], color = GREEN, flag = 1, level = 5, delta = -100}
map by_key (hash, 1 entry):
  {port = 80, proto = 6, pad = 0}: 7
map raw (hash, 1 entry):
  05 00 00 00: 61 62 63 00 01 02" || return 1
	has_block "map q (queue, 2 values, in the order they come out):
  11
  12
map .rodata (array, global data, 1 entry):
  scale = 3
  offset = -2
map .data (array, global data, 1 entry):
  runs = 41
  last = -2
map .bss (array, global data, 1 entry):
  seen = 30
  tag = \"ok\"" || return 1
	# per-CPU: one slot of key 0 got the 9, every other slot is 0
	has_line "map pcpu (percpu_array, 2 entries):" || return 1
	[ "$(grep -cE '^    cpu[0-9]+: 9$' "$T/out")" = 1 ] || why "expected one slot holding 9" || return 1
	has_line "    cpu0: 0" && has_line "  1:" || return 1
}
test_run_json() {
	need_obj cli_run || return 2
	ub run "$OBJS/cli_run.o" --prog fill --data-hex "01 02 03 04 05" --json
	expect_json || return 1
	has_text '{"object":"'"$OBJS"'/cli_run.o","program":"fill","backend":"userbpf","retval":10,"repeat":1,"duration_ns":' || return 1
	has_text '"data_out":"ee 02 03 04 05","trace":[],"ringbuf":[{"map":"events","records":["0a 00 00 00"]}],"perf_events":[],"maps":[{"name":"recs","type":"hash","global_data":false,"entries":[{"key":5,"value":{"name":"alpha","at":{"x":-3,"y":4},"hist":[1,2,3],"color":"GREEN","flag":1,"level":5,"delta":-100}}]}' || return 1
	has_text '{"name":"raw","type":"hash","global_data":false,"entries":[{"key":"05 00 00 00","value":"61 62 63 00 01 02"}]}' || return 1
	has_text '{"name":"q","type":"queue","global_data":false,"values":[11,12]}' || return 1
	has_text '{"name":".bss","type":"array","global_data":true,"entries":[{"key":0,"value":{"seen":30,"tag":"ok"}}]}'
}
test_run_data_file() {
	need_obj cli_run || return 2
	printf '\001\002\003\004' >"$T/in.bin"
	ub run "$OBJS/cli_run.o" --prog fill --data "$T/in.bin"
	expect_rc 0 && has_line "retval: 10 (0xa)" && has_line "data out: ee 02 03 04"
}
test_run_global_data_and_subprogram() {
	need_obj run || return 2
	# a socket filter: the input is the packet (at least an Ethernet header), as in the kernel
	ub run "$OBJS/run.o" --prog run_main --data-hex "$ZERO16"
	expect_rc 0 || return 1
	has_block "retval: 107 (0x6b)
verdict: pass
map arr (array, 4 entries):
  0: 0
  1: 106
  2: 0
  3: 0
map h (hash, 1 entry):
  7: 42
map .rodata (array, global data, 1 entry):
  k_mult = 3
map .data (array, global data, 1 entry):
  total = 106
map .bss (array, global data, 1 entry):
  calls = 1"
}
test_run_repeat() {
	need_obj run || return 2
	ub run "$OBJS/run.o" --prog data_only --repeat 100 --data-hex "$ZERO16"
	expect_rc 0 || return 1
	# calls += 10 and total += 3 per run: after 100 runs calls = 1000, total = 400
	has_line "retval: 1400 (0x578)" && has_line "  calls = 1000" && has_line "  total = 400" || return 1
	grep -Eq '^duration: [0-9]+\.[0-9] ns per run \(100 runs\)$' "$T/out" || why "no duration line"
}
test_run_fast_trusted() {
	need_obj run || return 2
	ub run "$OBJS/run.o" --prog run_main --trusted --data-hex "$ZERO16"
	expect_rc 0 && has_line "retval: 107 (0x6b)"
}
test_run_runtime_fault() {
	need_obj cli_run || return 2
	ub run "$OBJS/cli_run.o" --prog oob --data-hex "01 02 03 04"
	expect_rc 1 && expect_err_line "^userbpf: $OBJS/cli_run.o: program 'oob': insn 0: .*outside every region \(cli_run.bpf.c:[0-9]+\)$"
}
# --kernel: skip (visibly) only where bpf() is refused.
kernel_refused() {
	if [ "$rc" = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q -- '--kernel: .*bpf()' "$T/err"; then
		echo "SKIP: run --kernel: $(cat "$T/err")"
		return 0
	fi
	return 1
}
test_run_kernel() {
	need_obj run || return 2
	ub run "$OBJS/run.o" --prog run_main --data-hex "$ZERO16" --kernel
	kernel_refused && return 2
	expect_rc 0 || return 1
	has_block "retval: 107 (0x6b)
verdict: pass
map arr (array, 4 entries):
  0: 0
  1: 106
  2: 0
  3: 0
map h (hash, 1 entry):
  7: 42
map .rodata (array, global data, 1 entry):
  k_mult = 3
map .data (array, global data, 1 entry):
  total = 106
map .bss (array, global data, 1 entry):
  calls = 1"
}
# The same report from userbpf and from the kernel (per-CPU slots aside: which CPU ran it differs).
test_run_kernel_same_report() {
	need_obj cli_run || return 2
	ub run "$OBJS/cli_run.o" --prog fill_k --data-hex "$ZERO16" --kernel
	kernel_refused && return 2
	expect_rc 0 || return 1
	grep -v '^    cpu' "$T/out" >"$T/kernel.txt"
	[ "$(grep -cE '^    cpu[0-9]+: 9$' "$T/out")" = 1 ] || why "kernel: expected one slot holding 9" || return 1
	ub run "$OBJS/cli_run.o" --prog fill_k --data-hex "$ZERO16"
	expect_rc 0 || return 1
	grep -v '^    cpu' "$T/out" >"$T/user.txt"
	diff -u "$T/user.txt" "$T/kernel.txt" >"$T/diff" || {
		why "userbpf and kernel reports differ:"
		sed 's/^/      /' "$T/diff"
		return 1
	}
	grep -qxF '  5: {name = "alpha", at = {x = -3, y = 4}, hist = [1, 2, 3], color = GREEN, flag = 1, level = 5, delta = -100}' "$T/kernel.txt" ||
		why "kernel report lacks the BTF-typed value"
}
test_run_kernel_json() {
	need_obj cli_run || return 2
	ub run "$OBJS/cli_run.o" --prog fill_k --data-hex "$ZERO16" --kernel --json --repeat 10
	kernel_refused && return 2
	expect_json || return 1
	has_text '"backend":"kernel","retval":10,"repeat":10,' || return 1
	# ten runs: ten records, runs = 40 + 10
	[ "$(grep -o '"0a 00 00 00"' "$T/out" | wc -l)" = 10 ] || why "expected 10 ringbuf records" || return 1
	has_text '"value":{"runs":50,"last":-2}'
}
test_run_kernel_refused_program() {
	need_obj run || return 2
	# a socket filter needs at least an Ethernet header of input: the kernel's refusal, exit 1
	ub run "$OBJS/run.o" --prog run_main --kernel
	kernel_refused && return 2
	expect_rc 1 && expect_err_line "^userbpf: $OBJS/run.o: --kernel: program 'run_main': .*Invalid argument"
}

# ------------------------------------------------------------------------------------------------
# Wrong inputs: one line, exit 2

test_err_missing_prog() {
	need_obj run || return 2
	ub run "$OBJS/run.o"
	expect_bad "^userbpf: $OBJS/run.o: --prog NAME is needed to run an object \(programs: run_main, data_only\)$"
}
test_err_unknown_prog() {
	need_obj run || return 2
	ub run "$OBJS/run.o" --prog nosuch
	expect_bad "^userbpf: $OBJS/run.o: no program named 'nosuch' \(programs: run_main, data_only\)$" || return 1
	ub disasm "$OBJS/run.o" --prog nosuch
	expect_bad "^userbpf: $OBJS/run.o: no program named 'nosuch'"
}
test_err_corrupt_object() {
	need_obj globals || return 2
	head -c 200 "$OBJS/globals.o" >"$T/trunc.o"
	local cmd
	for cmd in "prog list" "map list" "disasm" "run --prog xdp_two"; do
		# shellcheck disable=SC2086
		ub $cmd "$T/trunc.o"
		expect_bad "^userbpf: $T/trunc.o: ." || return 1
	done
	# a relocation table pointing past its section: take one and break its offset
	cp "$OBJS/globals.o" "$T/bad.o"
	printf '\377\377\377\377' | dd of="$T/bad.o" bs=1 seek=$(($(stat -c %s "$T/bad.o") - 16)) conv=notrunc 2>/dev/null
	ub prog list "$T/bad.o"
	[ "$rc" = 0 ] || [ "$rc" = 2 ] || why "exit $rc on a damaged object" || return 1
	[ "$(wc -l <"$T/err")" -le 1 ] || why "more than one error line" || return 1
}
test_err_not_an_object() {
	printf 'r0 = 0\nexit\n' >"$T/p.s"
	ub prog list "$T/p.s"
	expect_bad "^userbpf: $T/p.s: not an ELF object" || return 1
	ub map list "$T/p.s"
	expect_bad "^userbpf: $T/p.s: not an ELF object" || return 1
	ub disasm "$T/p.s" --prog x
	expect_bad "^userbpf: $T/p.s: --prog applies to ELF objects only" || return 1
	ub run "$T/p.s" --prog x
	expect_bad "^userbpf: $T/p.s: --prog, .* apply to ELF objects only" || return 1
	ub prog list "$T/nosuch.o"
	expect_bad "^userbpf: $T/nosuch.o: No such file"
}
test_err_usage() {
	need_obj run || return 2
	ub prog
	expect_bad "^userbpf: prog: missing subcommand" || return 1
	ub prog frob "$OBJS/run.o"
	expect_bad "^userbpf: prog: unknown subcommand 'frob'" || return 1
	ub map list
	expect_bad "^userbpf: map: missing OBJ" || return 1
	ub map list "$OBJS/run.o" "$OBJS/run.o"
	expect_bad "^userbpf: map: more than one OBJ" || return 1
	ub run "$OBJS/run.o" --prog run_main --repeat 0
	expect_bad "^userbpf: run: --repeat" || return 1
	ub run "$OBJS/run.o" --prog run_main --data-hex 0g
	expect_bad "^userbpf: --data-hex: " || return 1
	ub run "$OBJS/run.o" --prog run_main --data-hex 00 --data "$T/x"
	expect_bad "^userbpf: run: --data and --data-hex exclude each other" || return 1
	ub run "$OBJS/run.o" --prog run_main --data "$T/nosuch"
	expect_bad "^userbpf: $T/nosuch: No such file" || return 1
	ub run "$OBJS/run.o" --prog run_main --kernel --trusted
	expect_bad "^userbpf: run: --kernel runs in the kernel"
}
test_err_helper_not_provided() {
	need_obj cli_nohelper || return 2
	ub run "$OBJS/cli_nohelper.o" --prog redirect_out
	expect_bad "^userbpf: $OBJS/cli_nohelper.o: program 'redirect_out': insn [0-9]+: call 20: helper 20 \(bpf_skb_get_tunnel_key\) is not provided by this host \(cli_nohelper.bpf.c:[0-9]+:[0-9]+\)$"
}
# bpf_loop (a callback) and bpf_trace_printk run, and the trace line is reported, in text and JSON.
# An XDP program: the input is the packet; the context is the kernel test run's (ifindex 1, queue 0).
test_run_trace_and_loop() {
	need_obj globals || return 2
	local pkt="00 00 00 00 00 00 00 00 00 00 00 00 07 00 00 00 01 00 00 00 00 00 00 00"
	ub run "$OBJS/globals.o" --prog xdp_one --data-hex "$pkt"
	[ "$rc" = 0 ] || why "exit $rc" || return 1
	has_text "retval: 115 (0x73)" || return 1
	has_text "verdict: aborted" || return 1
	has_text "trace:
  ifindex 1" || return 1
	has_text "counter = 9" || return 1
	ub run "$OBJS/globals.o" --prog xdp_one --data-hex "$pkt" --json
	has_text '"trace":["ifindex 1"]' || return 1
}

# ------------------------------------------------------------------------------------------------

run_tests obj
