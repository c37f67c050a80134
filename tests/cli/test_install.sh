#!/usr/bin/env bash
# test_install.sh - `make install PREFIX=...` gives a usable library: headers, static and shared
# libraries, pkg-config file, CLI; a program built with `pkg-config --cflags --libs userbpf` runs a BPF
# program; the shared library exports nothing but userbpf_* symbols.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.."
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
san=()
case "$BUILD" in *san*) san=(-fsanitize=address,undefined) ;; esac
extra=()
[ "${SANITIZE:-}" ] && extra+=(SANITIZE="$SANITIZE")
[ "${DISPATCH:-}" ] && extra+=(DISPATCH="$DISPATCH")

if make -s install PREFIX="$tmp/p" BUILD="$BUILD" "${extra[@]}" >"$tmp/log" 2>&1; then ok; else
	bad "make install failed: $(tail -n 3 "$tmp/log")"
fi
for f in bin/userbpf bin/userbpf-plugin lib/libuserbpf.a lib/libuserbpf.so lib/libuserbpf.so.0 \
	include/userbpf/userbpf.h lib/pkgconfig/userbpf.pc; do
	[ -e "$tmp/p/$f" ] && ok || bad "missing $f after install"
done

cat >"$tmp/hello.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <userbpf/userbpf.h>
int main(void)
{
	/* r0 = 6; r0 *= 7; exit */
	struct userbpf_insn p[] = {{0xb7, 0, 0, 0, 6}, {0x27, 0, 0, 0, 7}, {0x95, 0, 0, 0, 0}};
	char log[256] = "";
	struct userbpf_prog_opts o = USERBPF_OPTS_INIT(userbpf_prog_opts, .log_buf = log, .log_size = sizeof log);
	struct userbpf_prog *prog = userbpf_prog__load(p, 3, &o);
	if (!prog) { fprintf(stderr, "load: %s\n", log); return 1; }
	struct userbpf_run_opts r = USERBPF_OPTS_INIT(userbpf_run_opts);
	int err = userbpf_prog__run(prog, &r);
	printf("%d %llu %s\n", err, (unsigned long long)r.retval, userbpf_version());
	userbpf_prog__free(prog);
	return 0;
}
C
export PKG_CONFIG_PATH="$tmp/p/lib/pkgconfig"
if cc "${san[@]}" "$tmp/hello.c" -o "$tmp/hello_so" $(pkg-config --cflags --libs userbpf) 2>"$tmp/log"; then
	out=$(LD_LIBRARY_PATH="$tmp/p/lib" "$tmp/hello_so")
	[[ "$out" == "0 42 "* ]] && ok || bad "shared-library program printed '$out'"
else
	bad "cannot build against the installed shared library: $(head -n 3 "$tmp/log")"
fi
# Static: the archive itself, then what `pkg-config --static` says it needs (libbpf, libelf, ...).
if cc "${san[@]}" "$tmp/hello.c" -o "$tmp/hello_a" $(pkg-config --cflags userbpf) "$tmp/p/lib/libuserbpf.a" \
	$(pkg-config --static --libs-only-l userbpf | sed 's/-luserbpf//') 2>"$tmp/log"; then
	out=$("$tmp/hello_a")
	[[ "$out" == "0 42 "* ]] && ok || bad "static program printed '$out'"
else
	bad "cannot build against the installed static library: $(head -n 3 "$tmp/log")"
fi

# Exported symbols: only the public API.
leaks=$(nm -D --defined-only "$tmp/p/lib/libuserbpf.so" | awk '$2 ~ /[TDBR]/ {print $3}' |
	grep -v '^userbpf_' | grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' || true)
[ -z "$leaks" ] && ok || bad "libuserbpf.so exports non-API symbols: $(echo $leaks | head -c 300)"

echo "RESULT install: $passed passed, $failed failed, 0 skipped"
[ "$failed" = 0 ]
