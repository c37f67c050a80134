#!/usr/bin/env bash
# run_tests.sh - runs every test of the build in $BUILD and adds up their RESULT lines:
#   - unit tests:        $BUILD/tests/test_*          (tests/unit/test_*.c)
#   - kernel tests:      $BUILD/tests/kernel_*        (tests/kernel/*.c; skip visibly where bpf() is refused)
#   - script tests:      tests/*/test_*.sh            (conformance, CLI, ...), run with BUILD set
# Each test prints "RESULT name: N passed, N failed, N skipped". The last line of this script is the
# total in the same form; the exit status is non-zero when anything failed or a test printed no RESULT.
set -u
BUILD=${BUILD:-build}
export BUILD
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0 broken=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() {
	local name=$1; shift
	"$@" >"$log" 2>&1
	local rc=$?
	local line
	line=$(grep -E '^RESULT ' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "BROKEN $name (exit $rc, no RESULT line):"
		tail -n 20 "$log" | sed 's/^/    /'
		broken=$((broken + 1))
		return
	fi
	local p f s
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
		[ "$f" = 0 ] && { failed=$((failed + 1)); }
		grep -vE '^RESULT ' "$log" | tail -n 40 | sed 's/^/    /'
	fi
	grep -E '^SKIP' "$log" | sed 's/^/    /'
	echo "$line"
}

for t in "$BUILD"/tests/test_* "$BUILD"/tests/kernel_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
for t in tests/*/test_*.sh; do
	[ -f "$t" ] || continue
	run_one "$t" bash "$t"
done

failed=$((failed + broken))
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
