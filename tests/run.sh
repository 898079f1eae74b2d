#!/bin/sh
# run.sh BUILD - runs every unit test binary under BUILD/tests and every
# integration script tests/*/test_*.sh against BUILD/docent, then prints
# the tests that were skipped, by name, and one closing line "N passed,
# N failed, N skipped". Exits non-zero when anything failed.
#
# Each test file gets DOCENT_TEST_TIMEOUT seconds (default 900: the slowest
# file takes about a fifth of that under ASan); one that runs longer is
# killed and counted as failed, with a line saying so, so that a hung test
# cannot hang CI. With CI set, a test that needs what is missing here
# (../shared/eval, the tiny models) fails instead of skipping.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
limit=${DOCENT_TEST_TIMEOUT:-900}
export DOCENT_BIN="$root/$build/docent"
export DOCENT_SRC_DIR="$root"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
log=$(mktemp)
passed=0 failed=0 skipped=0 failures="" skips=""

count() { # adds the counts from a cmocka or shell test log
	p=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	s=$(sed -n 's/.*\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
	if [ "${s:-0}" -gt 0 ]; then
		# cmocka lists each skipped test as "[  SKIPPED ] name"; a shell
		# test says why on its "[  SKIPPED ] 1 test(s): why" line
		what=$(sed -n 's/.*\[  SKIPPED \] \([^0-9].*\)/\1/p; s/.*\[  SKIPPED \] [0-9]* test(s): \(.*\)/\1/p' "$log" |
			sort -u | tr "\n" "," | sed 's/,$//; s/,/, /g')
		skips="$skips
  $1${what:+: $what}"
	fi
}

# run NAME COMMAND...: runs one test file under the time limit
run() {
	name=$1
	shift
	timeout -k 10 "$limit" "$@" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "TIMEOUT: $name ran longer than $limit s and was killed (DOCENT_TEST_TIMEOUT)" >>"$log"
	fi
	count "$name"
	if [ $rc -eq 0 ]; then
		status=ok
	else
		status=FAIL
		cat "$log"
		# a crash, a timeout or a sanitizer report counts even when the
		# test printed no failure count
		grep -q '\[  FAILED  \] [0-9]' "$log" || failed=$((failed + 1))
		failures="$failures $name"
		[ $rc -eq 124 ] || [ $rc -eq 137 ] && status=TIMEOUT
	fi
	printf '  %-40s %s\n' "$name" "$status"
}

echo "== unit tests ($build)"
for t in $(find "$root/$build/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
	run "${t#"$root/$build/"}" "$t"
done

echo "== integration tests ($build)"
for t in "$root"/tests/*/test_*.sh; do
	[ -e "$t" ] || continue
	run "${t#"$root/"}" sh "$t"
done
rm -f "$log"

[ -n "$skips" ] && echo "skipped:$skips"
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ -z "$failures" ]
