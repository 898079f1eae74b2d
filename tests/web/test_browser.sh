#!/bin/sh
# test_browser.sh - the page in a real browser: starts `docent serve --port 0`
# on a fresh data directory (with a scripted model server, so answers really
# stream) and runs browser.mjs, which drives Debian's chromium headless with
# playwright-core: loading, uploads, the library, asking, citations and the
# source viewer, search, conversations, malicious documents, the keyboard, a
# phone, dark mode. Then again without a model (extractive answers quoting
# the malicious documents), and with a token (the page asks for it).
# Screenshots go to build/screenshots/.
#
# Without chromium, node or web/node_modules the test is skipped, unless CI
# is set: then it fails.
. "$(dirname "$0")/../cli/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
missing=""
[ -x "$CHROMIUM" ] || missing=" $CHROMIUM"
command -v node >/dev/null 2>&1 || missing="$missing node"
[ -d "$SRC/web/node_modules/playwright-core" ] || missing="$missing web/node_modules/playwright-core (scripts/bootstrap.sh)"
if [ -n "$missing" ]; then
	if [ -n "${CI:-}" ]; then
		echo "[  FAILED  ] browser tests: missing:$missing"
		_fail=1
		finish
	fi
	echo "browser tests skipped: missing:$missing"
	echo "[  SKIPPED ] 1 test(s)."
	exit 0
fi
export CHROMIUM

# the scripted model server (tests/cli/chat_server.py)
python3 "$SRC/tests/cli/chat_server.py" "$TMP/port" "$TMP/reply" "$TMP/model.log" &
MODEL=$!
SERVE=""
trap 'kill $MODEL $SERVE 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
printf 'unused' >"$TMP/reply"

# serve_start LOG [ENV=VALUE...]: starts docent serve on a port the OS picks,
# sets SERVE (its pid) and URL once it prints "serving http://..."
serve_start() {
	_log=$1
	shift
	: >"$_log"
	env "$@" "$DOCENT" serve --port 0 2>"$_log" &
	SERVE=$!
	URL=""
	i=0
	while [ $i -lt 300 ]; do
		URL=$(sed -n 's/^docent: serving \(http:[^ ]*\)\/$/\1/p' "$_log" | head -1)
		[ -n "$URL" ] && return 0
		kill -0 $SERVE 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "docent serve did not start:"
	cat "$_log"
	return 1
}

# serve_stop LOG: SIGTERM, a clean exit and no sanitizer report
serve_stop() {
	kill -TERM $SERVE
	wait $SERVE
	_s=$?
	SERVE=""
	[ "$_s" -eq 0 ] || { echo "docent serve exited with $_s"; tail -20 "$1"; return 1; }
	if grep -E -q 'Sanitizer|runtime error:' "$1"; then cat "$1"; return 1; fi
}

# browser PHASE: runs browser.mjs (10 minutes at most: a hung browser fails
# the test rather than the whole run) and adds its checks to the totals
browser() {
	DOCENT_URL=$URL WORK=$TMP REPLY=$TMP/reply SHOTS=$SRC/build/screenshots DOCENT_SRC_DIR=$SRC \
		timeout 600 node "$SRC/tests/web/browser.mjs" "$1" >"$TMP/browser.out" 2>&1
	_s=$?
	cat "$TMP/browser.out"
	_p=$(grep -c '^\[       OK \]' "$TMP/browser.out")
	_f=$(grep -c '^\[  FAILED  \]' "$TMP/browser.out")
	_pass=$((_pass + _p))
	_fail=$((_fail + _f))
	# a crash before any check ran still fails
	if [ "$_s" -ne 0 ] && [ "$_f" -eq 0 ]; then
		_fail=$((_fail + 1))
		echo "[  FAILED  ] browser.mjs $1 exited with $_s"
	fi
}

M="http://127.0.0.1:$(cat "$TMP/port")/v1#scripted"
if serve_start "$TMP/serve.log" DOCENT_CHAT_MODEL="$M"; then
	browser main
	t "serve stops cleanly after the browser (main)" serve_stop "$TMP/serve.log"
else
	_fail=$((_fail + 1))
fi

if serve_start "$TMP/serve2.log" DOCENT_CHAT_MODEL=; then
	browser extractive
	t "serve stops cleanly after the browser (extractive)" serve_stop "$TMP/serve2.log"
else
	_fail=$((_fail + 1))
fi

TOKEN=browser-secret-token
export TOKEN
if serve_start "$TMP/serve3.log" DOCENT_CHAT_MODEL= DOCENT_TOKEN=$TOKEN; then
	browser token
	t "serve stops cleanly after the browser (token)" serve_stop "$TMP/serve3.log"
else
	_fail=$((_fail + 1))
fi
finish
