# lib.sh - a small harness for the integration tests (sourced, POSIX sh).
#
#   t "what is checked" COMMAND...    passes when COMMAND exits 0 and no
#                                     sanitizer report appeared
#   ok TEXT COMMAND...                COMMAND exits 0 and prints TEXT
#   ok_lacks TEXT COMMAND...          COMMAND exits 0 and does not print TEXT
#   contains TEXT COMMAND...          the same as ok (COMMAND must exit 0)
#   lacks TEXT COMMAND...             the same as ok_lacks
#   expect_status N COMMAND...        COMMAND exits N
#   expect_error N TEXT COMMAND...    COMMAND exits N and prints TEXT
#   json_check PYTHON COMMAND...      COMMAND exits 0 and its JSON (d) passes PYTHON
#   saved N FILE COMMAND...           COMMAND exits N, its output kept in FILE
#   finished N STATUS FILE            a background command exited STATUS = N,
#                                     its output in FILE (as saved)
#   in_file TEXT FILE                 FILE (from a passing `saved`/`finished`)
#                                     matches TEXT (grep -E)
#   finish                            prints cmocka-style totals, exits 1 on failure
#
# Every check also fails on a sanitizer report. AddressSanitizer and
# LeakSanitizer write their reports to files under $SAN_DIR (log_path), so
# a report is seen even when a command's stderr is dropped or piped;
# UndefinedBehaviorSanitizer, inside the ASan runtime, still prints on
# stderr (so keep stderr, or use json_check rather than a pipe). All exit
# with 86 instead of their usual 1, which a test expecting docent's own
# exit 1 would take for success. A
# report written between checks (by a command that is not itself a check)
# fails the next check; one after the last check fails `finish`. Output
# that looks like a report ("Sanitizer", "runtime error:") fails the check
# too. tests/cli/test_lib.sh proves that each helper fails when docent
# ends in a report.
#
# $DOCENT is the binary under test (tests/run.sh sets DOCENT_BIN); every test
# file gets a fresh data directory in $DOCENT_HOME and a scratch folder $TMP.

DOCENT=${DOCENT_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/docent}
SRC=${DOCENT_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/docent-it-XXXXXX")
DOCENT_HOME="$TMP/home"
export DOCENT_HOME
export DOCENT_CONFIG="$TMP/none.conf"   # no user configuration leaks in
unset XDG_DATA_HOME
_pass=0
_fail=0
trap 'rm -rf "$TMP"' EXIT

# The reports' folder is writable by anyone, so that a test running docent
# as an unprivileged user still gets its reports (and ASan does not die
# failing to open its log).
SAN_DIR="$TMP/san"
mkdir -p "$SAN_DIR"
chmod 711 "$TMP"
chmod 1777 "$SAN_DIR"
SAN_EXIT=86
_san="exitcode=$SAN_EXIT:log_path=$SAN_DIR/report"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}$_san"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}:$_san"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$SRC/tests/lsan.supp:print_suppressions=0}:$_san"
SAN_PATTERN='Sanitizer|runtime error:'

# _san_take: prints the reports written since the last call and removes
# them; succeeds when there was at least one
_san_take() {
	_any=1
	for _r in "$SAN_DIR"/report*; do
		[ -e "$_r" ] || continue
		echo "sanitizer report ($(basename "$_r")):"
		head -60 "$_r"
		rm -f "$_r"
		_any=0
	done
	return $_any
}

t() {
	_name=$1
	shift
	_before=0 _after=0
	_san_take >"$TMP/.san" && _before=1
	"$@" >"$TMP/.out" 2>&1
	_st=$?
	_san_take >>"$TMP/.san" && _after=1
	if [ $_before = 1 ]; then
		_why="a sanitizer report since the last check, outside any check"
	elif [ $_st -ne 0 ]; then
		_why="failed"
	elif [ $_after = 1 ]; then
		_why="sanitizer report"
	elif grep -E -q "$SAN_PATTERN" "$TMP/.out"; then
		_why="its output has a sanitizer report"
	else
		_pass=$((_pass + 1))
		echo "[       OK ] $_name"
		return 0
	fi
	_fail=$((_fail + 1))
	echo "[  FAILED  ] $_name"
	echo "    command: $*"
	echo "    why: $_why"
	sed 's/^/    | /' "$TMP/.out" | head -40
	sed 's/^/    | /' "$TMP/.san" | head -60
	return 1
}

# _run COMMAND...: runs COMMAND, its stdout+stderr into $_o and its status
# into $_s; the output is printed for the failure report
_run() {
	_o=$("$@" 2>&1)
	_s=$?
	printf '%s\n' "$_o"
}

# _clean: the last _run printed nothing that looks like a sanitizer report
# and did not exit with the sanitizers' code
_clean() {
	if [ "$_s" -eq "$SAN_EXIT" ]; then echo "exit status $_s: a sanitizer's"; return 1; fi
	if printf '%s' "$_o" | grep -E -q "$SAN_PATTERN"; then echo "sanitizer report"; return 1; fi
	return 0
}

_status_is() {
	[ "$_s" -eq "$1" ] || { echo "exit status $_s, expected $1"; return 1; }
}

_has() {
	printf '%s' "$_o" | grep -F -q -- "$1" || { echo "output lacks: $1"; return 1; }
}

_has_not() {
	if printf '%s' "$_o" | grep -F -q -- "$1"; then echo "output has: $1"; return 1; fi
	return 0
}

# expect_status N COMMAND...: the command exits with status N, no report
expect_status() {
	_want=$1
	shift
	_run "$@"
	_clean && _status_is "$_want"
}

# expect_error N TEXT COMMAND...: exits with status N and prints TEXT
expect_error() {
	_want=$1
	_text=$2
	shift 2
	_run "$@"
	_clean && _status_is "$_want" && _has "$_text"
}

# ok TEXT COMMAND...: exits 0, prints TEXT, and no sanitizer report
ok() {
	_text=$1
	shift
	_run "$@"
	_clean && _status_is 0 && _has "$_text"
}

# ok_lacks TEXT COMMAND...: exits 0 and does not print TEXT
ok_lacks() {
	_text=$1
	shift
	_run "$@"
	_clean && _status_is 0 && _has_not "$_text"
}

# contains and lacks: kept for the tests written with them; like ok and
# ok_lacks they need the command to succeed (a failing command is checked
# with expect_error)
contains() {
	ok "$@"
}

lacks() {
	ok_lacks "$@"
}

# json_check PYTHON COMMAND...: exits 0 and the JSON on stdout passes the assertions
json_check() {
	_py=$1
	shift
	"$@" >"$TMP/.json" 2>"$TMP/.err"
	_s=$?
	_o=$(cat "$TMP/.err")
	printf '%s\n' "$_o"
	_clean && _status_is 0 || return 1
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $_py" "$TMP/.json" ||
		{ cat "$TMP/.json"; return 1; }
}

# saved N FILE COMMAND...: COMMAND exits N with no report, its stdout and
# stderr kept in FILE for later `in_file` checks (for a command too slow,
# or with effects, to run once per check)
saved() {
	_want=$1
	_file=$2
	shift 2
	rm -f "$_file.passed"
	"$@" >"$_file" 2>&1
	_s=$?
	_o=$(cat "$_file")
	printf '%s\n' "$_o"
	_clean && _status_is "$_want" || return 1
	# left for t to print; but the file must not count as good
	if ls "$SAN_DIR"/report* >/dev/null 2>&1; then echo "sanitizer report"; return 1; fi
	: >"$_file.passed"
}

# finished N STATUS FILE: a command run in the background (or under a
# harness of its own) exited STATUS, which must be N, and left its output
# in FILE: checked as `saved` does, FILE then readable by `in_file`
finished() {
	_want=$1
	_s=$2
	_file=$3
	rm -f "$_file.passed"
	_o=$(cat "$_file")
	printf '%s\n' "$_o"
	_clean && _status_is "$_want" || return 1
	# the run's report, if any, is pending, or was taken by t just before
	if ls "$SAN_DIR"/report* >/dev/null 2>&1 || [ "${_before:-0}" = 1 ]; then
		echo "sanitizer report"
		return 1
	fi
	: >"$_file.passed"
}

# in_file PATTERN FILE: FILE, written by a `saved` or `finished` check that
# passed, matches the grep -E PATTERN
in_file() {
	[ -e "$2.passed" ] || { echo "the command that wrote $2 failed its check"; return 1; }
	grep -E -q -- "$1" "$2" || { echo "$2 lacks: $1"; sed 's/^/  > /' "$2" | head -40; return 1; }
}

finish() {
	if _san_take >"$TMP/.san"; then
		_fail=$((_fail + 1))
		echo "[  FAILED  ] a sanitizer report after the last check"
		sed 's/^/    | /' "$TMP/.san"
	fi
	total=$((_pass + _fail))
	echo "[==========] $total test(s) run."
	echo "[  PASSED  ] $_pass test(s)."
	[ "$_fail" -eq 0 ] || { echo "[  FAILED  ] $_fail test(s)."; exit 1; }
	exit 0
}

# skip WHY: ends the test file as skipped (run.sh lists it by name), or as
# failed when CI is set: CI must run everything
skip() {
	if [ -n "${CI:-}" ]; then
		echo "[  FAILED  ] cannot run under CI: $*"
		_fail=$((_fail + 1))
		finish
	fi
	echo "[  SKIPPED ] 1 test(s): $*"
	exit 0
}
