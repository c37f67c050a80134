# lib.sh - the harness the CLI test scripts share (sourced, never run by itself): the build paths,
# a scratch folder, `ub`/`ubin` to run the CLI capturing stdout, stderr and status, failure
# reporting, and `run_tests NAME`, which runs every test_* function and prints the RESULT line.
# A test function returns 0 (passed), 1 (failed, after saying why) or 2 after printing a SKIP line.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD=${BUILD:-build}
U=$BUILD/bin/userbpf
TIMEOUT=${USERBPF_TEST_TIMEOUT:-60}

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# ub ARGS... : run the CLI (stdin from /dev/null unless redirected by the caller);
# stdout in $T/out, stderr in $T/err, exit status in $rc.
ub() {
	{ timeout "$TIMEOUT" "$U" "$@" >"$T/out" 2>"$T/err"; } 2>/dev/null
	rc=$?
}
# ubin FILE ARGS... : the same with stdin from FILE.
ubin() {
	local in=$1
	shift
	{ timeout "$TIMEOUT" "$U" "$@" <"$in" >"$T/out" 2>"$T/err"; } 2>/dev/null
	rc=$?
}

why() {
	echo "    $*"
	return 1
}
show() {
	echo "    exit $rc; stdout: $(head -c 400 "$T/out" | head -n 4 | tr '\n' '|')"
	echo "    stderr: $(head -c 300 "$T/err" | head -n 3 | tr '\n' '|')"
}
expect_rc() {
	[ "$rc" = "$1" ] || {
		why "expected exit status $1"
		show
		return 1
	}
}
# stdout contains this exact line
has_line() {
	grep -qxF -- "$1" "$T/out" || {
		why "expected the line '$1'"
		show
		return 1
	}
}
# stdout contains these consecutive lines exactly (given as one string with newlines)
has_block() {
	local want=$1 n
	n=$(printf '%s\n' "$want" | wc -l)
	if ! awk -v n="$n" -v want="$want" '
		{ line[NR] = $0 }
		END {
			for (i = 1; i + n - 1 <= NR; i++) {
				s = line[i]
				for (k = 1; k < n; k++) s = s "\n" line[i + k]
				if (s == want) exit 0
			}
			exit 1
		}' "$T/out"; then
		why "expected the block:"
		printf '%s\n' "$want" | sed 's/^/      | /'
		echo "    got:"
		head -n 60 "$T/out" | sed 's/^/      | /'
		return 1
	fi
}
# Exactly one line on stderr, matching the extended regex $1, and nothing on stdout.
expect_err_line() {
	local n
	n=$(wc -l <"$T/err")
	if [ "$n" != 1 ] || ! grep -Eq -- "$1" "$T/err"; then
		why "expected one stderr line matching /$1/"
		show
		return 1
	fi
	[ ! -s "$T/out" ] || {
		why "expected nothing on stdout"
		show
		return 1
	}
}
# A usage or input error: exit 2 and one line matching $1.
expect_bad() {
	expect_rc 2 && expect_err_line "$1"
}

# run_tests NAME: run every test_* function defined so far; print "RESULT NAME: ..."; exit status.
run_tests() {
	local name=$1 passed=0 failed=0 skipped=0 t out st
	if [ ! -x "$U" ]; then
		echo "FAIL: $U is not built"
		echo "RESULT $name: 0 passed, 1 failed, 0 skipped"
		return 1
	fi
	for t in $(declare -F | sed -n 's/^declare -f \(test_.*\)/\1/p'); do
		out=$("$t" 2>&1)
		st=$?
		if [ $st = 0 ]; then
			passed=$((passed + 1))
		elif [ $st = 2 ] && grep -q '^SKIP' <<<"$out"; then
			skipped=$((skipped + 1))
			echo "$out"
		else
			failed=$((failed + 1))
			echo "FAIL ${t#test_}"
			[ -n "$out" ] && echo "$out"
		fi
	done
	echo "RESULT $name: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
}
