#!/bin/sh
# run.sh BUILD - runs every unit test binary under BUILD/tests and every
# integration script tests/*/test_*.sh against BUILD/docent, then prints
# one closing line "N passed, N failed". Exits non-zero when anything failed.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
export DOCENT_BIN="$root/$build/docent"
export DOCENT_SRC_DIR="$root"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
log=$(mktemp)
passed=0 failed=0 skipped=0 failures=""

count() { # adds the counts from a cmocka or shell test log
	p=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	s=$(sed -n 's/.*\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
}

echo "== unit tests ($build)"
for t in $(find "$root/$build/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
	name=${t#"$root/$build/"}
	if "$t" >"$log" 2>&1; then status=ok; else status=FAIL; fi
	count
	if [ $status = FAIL ]; then
		cat "$log"
		# a crash or sanitizer report counts even when cmocka printed nothing
		grep -q '\[  FAILED  \]' "$log" || failed=$((failed + 1))
		failures="$failures $name"
	fi
	printf '  %-40s %s\n' "$name" "$status"
done

echo "== integration tests ($build)"
for t in "$root"/tests/*/test_*.sh; do
	[ -e "$t" ] || continue
	name=${t#"$root/"}
	if sh "$t" >"$log" 2>&1; then status=ok; else status=FAIL; fi
	count
	if [ $status = FAIL ]; then
		cat "$log"
		grep -q '\[  FAILED  \]' "$log" || failed=$((failed + 1))
		failures="$failures $name"
	fi
	printf '  %-40s %s\n' "$name" "$status"
done
rm -f "$log"

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ -z "$failures" ]
