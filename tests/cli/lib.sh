# lib.sh - a small harness for the integration tests (sourced, POSIX sh).
#
#   t "what is checked" COMMAND...    passes when COMMAND exits 0
#   ok TEXT COMMAND...                COMMAND exits 0, prints TEXT, no sanitizer report
#   ok_lacks TEXT COMMAND...          COMMAND exits 0, does not print TEXT, no report
#   json_check PYTHON COMMAND...      COMMAND exits 0 and its JSON (d) passes PYTHON
#   finish                            prints cmocka-style totals, exits 1 on failure
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

t() {
	_name=$1
	shift
	if "$@" >"$TMP/.out" 2>&1; then
		_pass=$((_pass + 1))
		echo "[       OK ] $_name"
	else
		_fail=$((_fail + 1))
		echo "[  FAILED  ] $_name"
		echo "    command: $*"
		sed 's/^/    | /' "$TMP/.out" | head -40
	fi
}

# expect_status N COMMAND...: the command exits with status N
expect_status() {
	_want=$1
	shift
	"$@"
	_got=$?
	[ "$_got" -eq "$_want" ] || { echo "exit status $_got, expected $_want"; return 1; }
}

# contains TEXT COMMAND...: the command's stdout+stderr contains TEXT
contains() {
	_text=$1
	shift
	_o=$("$@" 2>&1)
	printf '%s\n' "$_o"
	printf '%s' "$_o" | grep -F -q -- "$_text" || { echo "output lacks: $_text"; return 1; }
}

# lacks TEXT COMMAND...: the output does not contain TEXT
lacks() {
	_text=$1
	shift
	_o=$("$@" 2>&1)
	printf '%s\n' "$_o"
	if printf '%s' "$_o" | grep -F -q -- "$_text"; then echo "output has: $_text"; return 1; fi
	return 0
}

# ok TEXT COMMAND...: exits 0, prints TEXT, and no sanitizer report
ok() {
	_text=$1
	shift
	_o=$("$@" 2>&1)
	_s=$?
	printf '%s\n' "$_o"
	[ "$_s" -eq 0 ] || { echo "exit status $_s"; return 1; }
	if printf '%s' "$_o" | grep -E -q 'Sanitizer|runtime error:'; then echo "sanitizer report"; return 1; fi
	printf '%s' "$_o" | grep -F -q -- "$_text" || { echo "output lacks: $_text"; return 1; }
}

# ok_lacks TEXT COMMAND...: exits 0 and does not print TEXT
ok_lacks() {
	_text=$1
	shift
	_o=$("$@" 2>&1)
	_s=$?
	printf '%s\n' "$_o"
	[ "$_s" -eq 0 ] || { echo "exit status $_s"; return 1; }
	if printf '%s' "$_o" | grep -E -q 'Sanitizer|runtime error:'; then echo "sanitizer report"; return 1; fi
	if printf '%s' "$_o" | grep -F -q -- "$_text"; then echo "output has: $_text"; return 1; fi
}

# json_check PYTHON COMMAND...: exits 0 and the JSON on stdout passes the assertions
json_check() {
	_py=$1
	shift
	"$@" >"$TMP/.json" 2>"$TMP/.err"
	_s=$?
	cat "$TMP/.err"
	[ "$_s" -eq 0 ] || { echo "exit status $_s"; return 1; }
	if grep -E -q 'Sanitizer|runtime error:' "$TMP/.err"; then echo "sanitizer report"; return 1; fi
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $_py" "$TMP/.json" ||
		{ cat "$TMP/.json"; return 1; }
}

finish() {
	total=$((_pass + _fail))
	echo "[==========] $total test(s) run."
	echo "[  PASSED  ] $_pass test(s)."
	[ "$_fail" -eq 0 ] || { echo "[  FAILED  ] $_fail test(s)."; exit 1; }
	exit 0
}
