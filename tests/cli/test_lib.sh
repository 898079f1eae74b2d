#!/bin/sh
# test_lib.sh - the harness itself (lib.sh) must be able to fail. A fake
# docent runs the real one and then ends in a simulated sanitizer report,
# as AddressSanitizer would: in its log file when ASAN_OPTIONS names one,
# on stderr otherwise (as UBSan does inside the ASan runtime), keeping
# docent's own exit status (the hardest case: only the report shows that
# something went wrong), exiting 86 (the code lib.sh gives the sanitizers)
# or 1 (their default, which once satisfied every `expect_status 1`). A
# probe script uses
# every helper the way the tests do; against the real docent all its checks
# pass, against each fake none may.
#
# With DOCENT_HARNESS_SWEEP=1 it also runs every other shell test against
# the fake and lists the checks that still pass (those that do not run
# docent at all, such as a sqlite3 query on the database).
. "$(dirname "$0")/lib.sh"

FAKE="$TMP/fake"
mkdir -p "$FAKE"
cat >"$FAKE/docent" <<'SH'
#!/bin/sh
# a docent whose every run ends in a (simulated) sanitizer report
"$DOCENT_REAL" "$@"
s=$?
report="==$$==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 (simulated)
SUMMARY: AddressSanitizer: heap-use-after-free (simulated)"
log=$(printf '%s' "${ASAN_OPTIONS:-}" | tr ':' '\n' | sed -n 's/^log_path=//p' | tail -1)
if [ "${FAKE_WHERE:-log}" = log ] && [ -n "$log" ]; then
	printf '%s\n' "$report" >"$log.$$"
else
	printf '%s\n' "$report" >&2
fi
[ "${FAKE_STATUS:-keep}" = keep ] && exit $s
exit "$FAKE_STATUS"
SH
chmod +x "$FAKE/docent"

D="$TMP/docs"
mkdir -p "$D"
printf 'The robot battery lasts eleven hours.\n' >"$D/battery.txt"

# the probe: each helper as the tests use it, on commands that succeed and
# commands that fail as they should
cat >"$TMP/probe.sh" <<'SH'
. "$DOCENT_SRC_DIR/tests/cli/lib.sh"
D=$1
t "t + expect_status 0" expect_status 0 "$DOCENT" ingest -q "$D"
t "t + ok" ok "battery.txt" "$DOCENT" search battery
t "t + ok_lacks" ok_lacks "zebra" "$DOCENT" search battery
t "t + contains" contains "battery.txt" "$DOCENT" search battery
t "t + lacks" lacks "rebuilt" "$DOCENT" search battery
t "t + json_check" json_check 'assert d["hits"]' "$DOCENT" search --json battery
t "t + expect_status 1" expect_status 1 "$DOCENT" rm /nonexistent/file.txt
t "t + expect_status 2" expect_status 2 "$DOCENT" search
t "t + expect_error" expect_error 1 "no collection named" "$DOCENT" search -c nope x
t "t + COMMAND" "$DOCENT" stats
[ -z "${STDERR_ONLY:-}" ] && t "t + a pipe with stderr dropped" sh -c '"$0" search --json battery 2>/dev/null | grep -q battery' "$DOCENT"
t "t + output dropped" sh -c '"$0" stats >/dev/null 2>&1' "$DOCENT"
t "saved" saved 0 "$TMP/ingest.out" "$DOCENT" ingest "$D"
t "in_file" in_file "unchanged" "$TMP/ingest.out"
"$DOCENT" stats >"$TMP/bg.out" 2>&1 &
wait $!
t "finished (a background run)" finished 0 $? "$TMP/bg.out"
t "in_file after finished" in_file "documents" "$TMP/bg.out"
if [ -z "${STDERR_ONLY:-}" ]; then
	"$DOCENT" stats >/dev/null 2>&1   # not a check: a report here fails the next one
	t "a plain command after a command outside the checks" true
fi
finish
SH

# probe [VAR=VALUE...]: runs the probe in a fresh data directory; prints
# its output and leaves the number of passed checks in $passed
probe() {
	env "$@" DOCENT_HOME="$TMP/h$$" sh "$TMP/probe.sh" "$D" >"$TMP/probe.out" 2>&1
	passed=$(grep -c '^\[       OK \]' "$TMP/probe.out")
	failed=$(grep -c '^\[  FAILED  \] [^0-9]' "$TMP/probe.out")
	rm -rf "$TMP/h$$"
}

# all_pass: the probe against the real docent passes every check
all_pass() {
	probe DOCENT_BIN="$DOCENT"
	cat "$TMP/probe.out"
	[ "$passed" -eq 17 ] && [ "$failed" -eq 0 ]
}

# none_pass VAR=VALUE...: against the fake, every check fails (the one
# after a command outside the checks included)
none_pass() {
	probe DOCENT_BIN="$FAKE/docent" DOCENT_REAL="$DOCENT" "$@"
	# the probe's output is full of (simulated) reports: shown only when
	# this check fails, so that it does not fail this test's own check
	[ "$passed" -eq 0 ] && [ "$failed" -ge 15 ] && return 0
	grep -v '^    ' "$TMP/probe.out"
	echo "$passed check(s) passed, $failed failed"
	return 1
}

t "against docent every probe check passes" all_pass
t "report in the log, docent's status: every check fails" none_pass FAKE_WHERE=log FAKE_STATUS=keep
t "report in the log, exit 1: every check fails" none_pass FAKE_WHERE=log FAKE_STATUS=1
# UBSan inside ASan prints on stderr and exits 86: a pipe, or a command
# outside the checks, that drops stderr and the status cannot see that
# (hence json_check rather than pipes)
t "report on stderr, exit 86: every check fails" none_pass FAKE_WHERE=stderr FAKE_STATUS=86 STDERR_ONLY=1
t "report on stderr, exit 1: every check fails" none_pass FAKE_WHERE=stderr FAKE_STATUS=1 STDERR_ONLY=1
t "the sanitizers' own exit code is not docent's 1" sh -c \
	'printf "%s" "$ASAN_OPTIONS" | grep -q "exitcode=86" && printf "%s" "$UBSAN_OPTIONS" | grep -q "exitcode=86"'

# skip: listed as skipped, or failed under CI
cat >"$TMP/skip.sh" <<'SH'
. "$DOCENT_SRC_DIR/tests/cli/lib.sh"
skip "no such thing here"
SH
t "skip says SKIPPED and exits 0" sh -c 'env -u CI sh "$0" | grep -q "SKIPPED \] 1 test(s): no such thing"' "$TMP/skip.sh"
t "skip under CI fails" expect_status 1 env CI=1 sh "$TMP/skip.sh"

if [ -n "${DOCENT_HARNESS_SWEEP:-}" ]; then
	for f in "$SRC"/tests/*/test_*.sh; do
		case $f in */test_lib.sh) continue ;; esac
		DOCENT_BIN="$FAKE/docent" DOCENT_REAL="$DOCENT" sh "$f" >"$TMP/sweep.out" 2>&1
		n=$(grep -c '^\[       OK \]' "$TMP/sweep.out")
		all=$(grep -c '^\[       OK \]\|^\[  FAILED  \] [^0-9]' "$TMP/sweep.out")
		echo "sweep: ${f#"$SRC"/}: $n of $all checks pass against the fake"
		grep '^\[       OK \]' "$TMP/sweep.out" | sed 's/^/    /'
	done
fi

finish
