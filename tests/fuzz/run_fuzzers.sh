#!/usr/bin/env bash
# run_fuzzers.sh SECONDS [TARGET...] - builds the libFuzzer targets tests/fuzz/fuzz_*.c with
# ASan+UBSan (the library sources compiled in directly) into build/fuzz/, writes seed corpora from the
# conformance suite into build/fuzz/corpus_*, runs each target for SECONDS and ends with
#   RESULT fuzz: N passed, N failed, 0 skipped
# A target fails when it does not build or libFuzzer reports a crash, a sanitizer error, a leak or a
# timeout; the reproducer is left in build/fuzz/artifacts/. Seeds for asm, interp and datafile come from
# the conformance suite; a target may add its own into its corpus directory (build/fuzz/corpus_NAME).
# Env: FUZZ_CC (clang-19), FUZZ_LDLIBS (the Makefile's LDLIBS), USERBPF_CONFORMANCE.
set -u
cd "$(dirname "$0")/../.."

secs=${1:-20}
shift || true
cc=${FUZZ_CC:-clang-19}
out=build/fuzz
conf=${USERBPF_CONFORMANCE:-../shared/bpf_conformance}
read -r -a ldlibs <<<"${FUZZ_LDLIBS:--lbpf -lelf -lz -lpthread -lm}"
flags=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1 -std=gnu11
       -Iinclude -Isrc -D_GNU_SOURCE)

targets=("$@")
if [ ${#targets[@]} = 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi

mkdir -p "$out/obj" "$out/artifacts"

# The library, once, instrumented for the fuzzer (but without libFuzzer's main).
build_lib() {
	local objs=() src obj pids=() p ok=1
	# Rebuild an object when its source, any header or table, this script or the compiler changed.
	local stamp=$out/obj/.flags
	printf '%s\n' "$cc" "${flags[*]}" >"$stamp.new"
	cmp -s "$stamp" "$stamp.new" || { rm -f "$out"/obj/*.o; mv "$stamp.new" "$stamp"; }
	rm -f "$stamp.new"
	for src in $(ls src/*/*.c 2>/dev/null | grep -v '^src/kernel/'); do
		obj=$out/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
		objs+=("$obj")
		if [ -e "$obj" ] && [ "$obj" -nt "$src" ] && [ "$obj" -nt "$0" ] &&
			[ -z "$(find src include -newer "$obj" \( -name '*.h' -o -name '*.def' \) -print -quit)" ]; then
			continue
		fi
		"$cc" "${flags[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}" -c "$src" -o "$obj" &
		pids+=($!)
	done
	for p in ${pids[@]+"${pids[@]}"}; do
		wait "$p" || ok=0
	done
	[ "$ok" = 1 ] || return 1
	rm -f "$out/libuserbpf_fuzz.a"
	ar rcs "$out/libuserbpf_fuzz.a" "${objs[@]}"
}

# Seeds: asm text and .data files from the suite; for the interpreter, header + mem + program bytes.
make_corpora() {
	local d
	for d in asm interp datafile; do
		rm -rf "$out/corpus_$d"
		mkdir -p "$out/corpus_$d" "$out/work_$d"
	done
	[ -d "$conf" ] || { echo "run_fuzzers: no conformance suite at $conf; fuzzing from empty corpora"; return; }
	cp "$conf"/tests/*.data "$conf"/negative/*.data "$out/corpus_datafile/"
	awk -v dir="$out/corpus_asm" '
		FNR == 1 { n = split(FILENAME, parts, "/"); name = parts[n]; sub(/\.data$/, ".s", name); on = 0 }
		/^-- asm/ { on = 1; next }
		/^-- / { on = 0 }
		on { print > (dir "/" name) }
	' "$conf"/tests/*.data "$conf"/negative/*.data
	# The same programs in the C syntax, when the CLI is built.
	local cli=${BUILD:-build}/bin/userbpf f
	if [ -x "$cli" ]; then
		for f in "$conf"/tests/*.data; do
			"$cli" disasm --no-index "$f" >"$out/corpus_asm/$(basename "$f" .data).c.s" 2>/dev/null || true
		done
	fi
	# Assembler tokens of both syntaxes, as a libFuzzer dictionary.
	{
		cat "$out"/corpus_asm/*.s 2>/dev/null | tr -s ' \t,[]()*' '\n' | grep -E '^[a-z%][a-z0-9%_]*$' | sort -u
		printf '%s\n' '=' '+=' '-=' '*=' '/=' '%=' '|=' '&=' '^=' '<<=' '>>=' 's>>=' 's/=' 's%=' '==' '!=' \
			'<' '<=' '>' '>=' 's<' 's>' 's<=' 's>=' '&' 'goto' 'if' 'call' 'exit' 'll' 'lock' \
			'*(u8 *)' '*(u16 *)' '*(u32 *)' '*(u64 *)' '*(s8 *)' '*(s16 *)' '*(s32 *)' '(s8)' '(s16)' '(s32)' \
			'be16' 'be32' 'be64' 'le16' 'le32' 'le64' 'bswap16' 'bswap32' 'bswap64' 'gotol' '.insn' \
			'atomic_fetch_add' 'cmpxchg_64' 'cmpxchg32_32' 'r10' 'w0' '0x' '-- asm' '-- raw' '-- mem' \
			'-- result' '-- error' '# ' '; ' '// ' ':'
	} | sort -u | sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&"/' >"$out/asm.dict"
	# One "file hex" line per vector: header (flags 0, mem length LE16), mem, program.
	awk -v dir="$out/corpus_interp" '
		function field(key,   m) {
			if (match($0, "\"" key "\": \"[0-9A-Za-z._-]*\"")) {
				m = substr($0, RSTART, RLENGTH)
				sub(/^[^:]*: "/, "", m)
				sub(/"$/, "", m)
				return m
			}
			return ""
		}
		{
			name = field("name"); sub(/\.data$/, "", name)
			mem = field("mem_hex"); len = length(mem) / 2
			printf "%s/%s.bin 00%02x%02x%s%s\n", dir, name, len % 256, int(len / 256), mem, field("program_hex")
		}
	' "$conf/assembled.jsonl" | while read -r file hex; do
		xxd -r -p <<<"$hex" >"$file"
	done
}

# The assembler dictionary serves the text targets.
dict_for() {
	case $1 in
	fuzz_asm | fuzz_datafile) [ -s "$out/asm.dict" ] && echo "-dict=$out/asm.dict" ;;
	esac
}

passed=0 failed=0
if ! build_lib; then
	echo "run_fuzzers: the library does not build"
	echo "RESULT fuzz: 0 passed, ${#targets[@]} failed, 0 skipped"
	exit 1
fi
make_corpora

for t in "${targets[@]}"; do
	corpus=${t#fuzz_}
	mkdir -p "$out/work_$corpus" "$out/corpus_$corpus"
	if ! "$cc" "${flags[@]}" "tests/fuzz/$t.c" "$out/libuserbpf_fuzz.a" "${ldlibs[@]}" -o "$out/$t"; then
		echo "FAIL $t: does not build"
		failed=$((failed + 1))
		continue
	fi
	log=$out/$t.log
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$out/$t" -max_total_time="$secs" $(dict_for "$t") -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
		"$out/work_$corpus" "$out/corpus_$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)
	if [ "$rc" = 0 ]; then
		echo "ok   $t: ${runs:-?} executions in ${secs}s"
		passed=$((passed + 1))
	else
		echo "FAIL $t (exit $rc): ${runs:-?} executions; log $log"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written|^[^ ].*(abort|disagrees|differ|changed|returned)' "$log" |
			head -n 12 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "RESULT fuzz: $passed passed, $failed failed, 0 skipped"
[ "$failed" = 0 ]
