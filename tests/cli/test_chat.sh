#!/bin/sh
# test_chat.sh - `docent chat`: questions piped one a line (a follow-up
# searched for with the earlier question's words), /sources, /collection,
# /reset, /help; stored conversations (--list, --list --json, --resume,
# --delete); a scripted OpenAI-compatible server on 127.0.0.1 (the follow-up
# rewritten by the model, the second answer's request carrying the first
# turn); Ctrl-C stopping one answer; and the prompt on a pseudo-terminal
# (libedit, its history file).
. "$(dirname "$0")/lib.sh"

# chat_run INPUT ARGS...: `docent chat ARGS` reading INPUT (printf %b)
chat_run() {
	_in=$1
	shift
	printf '%b' "$_in" | "$DOCENT" chat "$@"
}

# chat_ok TEXT INPUT ARGS...: the chat exits 0, prints TEXT, no sanitizer report
chat_ok() {
	_text=$1
	shift
	ok "$_text" chat_run "$@"
}

# chat_lacks TEXT INPUT ARGS...: as chat_ok, but TEXT must not be printed
chat_lacks() {
	_text=$1
	shift
	ok_lacks "$_text" chat_run "$@"
}

# list_check PYTHON: `docent chat --list --json` exits 0, cleanly, and its
# JSON (d) passes the assertions
list_check() {
	json_check "$1" "$DOCENT" chat --list --json
}

D="$TMP/docs"
mkdir -p "$D/other"
cat >"$D/leave.md" <<'DOC'
# Staff handbook

## Parental leave

Employees get 45 working days of parental leave at full pay. Fathers get the
same parental leave as mothers. The leave can be taken in two parts.

## Travel

Hotels are booked through the travel desk. Meals are paid up to 40 euros a day.
DOC
cat >"$D/other/garden.txt" <<'DOC'
The garden is watered every morning. Tomatoes are planted in May.
DOC

Q1="how many days of parental leave?"
Q2="and for fathers?"

t "chat --help" chat_ok "Usage: docent chat" "" --help
t "an argument is a usage error" expect_status 2 "$DOCENT" chat "a question"
t "--json without --list is a usage error" expect_status 2 "$DOCENT" chat --json
t "--resume takes an id" expect_status 2 "$DOCENT" chat --resume abc
t "no database says how to make one" expect_error 1 "docent ingest" "$DOCENT" chat --list
t "ingest" expect_status 0 "$DOCENT" ingest --no-embed "$D/leave.md"
t "ingest another collection" expect_status 0 "$DOCENT" ingest --no-embed -c garden "$D/other"

t "no conversations yet" chat_ok "No stored conversations" "" --list
t "an extractive answer from a piped question" chat_ok "45 working days" "$Q1\n"
t "extractive answers are labelled" chat_ok "Extractive answers" "$Q1\n"
t "a compact sources list follows" chat_ok "[1] $D/leave.md - Staff handbook > Parental leave" "$Q1\n"
t "a follow-up searches with the first question's words" \
	chat_ok "searching: fathers days parental leave" "$Q1\n$Q2\n"
t "... and is answered" chat_ok "Fathers get the" "$Q1\n$Q2\n"
t "a first question is searched as asked" chat_lacks "searching:" "$Q1\n"
t "/sources gives the byte range and the passage" chat_ok "leave.md (bytes " "$Q1\n/sources\n"
t "/sources before any answer" chat_ok "No answer yet." "/sources\n"
t "/collection shows all collections" chat_ok "Collection: all collections" "/collection\n"
t "/collection NAME switches" chat_ok "Collection: garden" "/collection garden\n/collection\n"
t "... and the answers come from it" chat_ok "Tomatoes are planted" "/collection garden\nwhen are tomatoes planted?\n"
t "/collection of no collection is refused" chat_ok "no collection named 'nope'" "/collection nope\n"
t "-c starts in a collection" chat_ok "Collection: garden" "/collection\n" -c garden
t "/reset: the next question stands alone" chat_lacks "searching:" "$Q1\n/reset\n$Q2\n"
t "/reset says so" chat_ok "New conversation." "/reset\n"
t "/help lists the commands" chat_ok "/collection [NAME]" "/help\n"
t "an unknown command is named" chat_ok "unknown command /frob" "/frob\n"
t "/quit ends the session" chat_lacks "45 working days" "/quit\n$Q1\n"

# ---- stored conversations ----
t "conversations are listed as JSON" list_check "
assert len(d) >= 5, d
c = [x for x in d if x['title'] == '$Q1' and x['turns'] == 2]
assert c, d
for k in ('id', 'title', 'collection', 'turns', 'created', 'updated'): assert k in c[0], k
g = [x for x in d if x['collection'] == 'garden']
assert g, d
assert d == sorted(d, key=lambda x: -x['updated']), d
"
t "conversations are listed" contains "TURNS" "$DOCENT" chat --list
ID=$("$DOCENT" chat --list --json | python3 -c "
import json,sys
print([x for x in json.load(sys.stdin) if x['title'] == '$Q1' and x['turns'] == 2][0]['id'])")
t "--resume continues a conversation" chat_ok "Resuming conversation $ID: $Q1 (2 turns)" "" --resume "$ID"
t "... /sources shows the stored sources of its last answer" chat_ok "leave.md (bytes " "/sources\n" --resume "$ID"
t "... a follow-up leans on its last question" chat_ok "searching: split fathers days parental leave" "can it be split?\n" --resume "$ID"
t "... the turn is stored" list_check "
c = [x for x in d if x['id'] == $ID][0]
assert c['turns'] == 3, c
assert d[0]['id'] == $ID, d[0]
"
t "--resume of no conversation fails" expect_status 1 "$DOCENT" chat --resume 9999
t "--delete removes it" contains "Deleted conversation $ID." "$DOCENT" chat --delete "$ID"
t "... it is gone" list_check "assert all(x['id'] != $ID for x in d), d"
t "--delete of no conversation fails" expect_status 1 "$DOCENT" chat --delete "$ID"

# ---- a scripted model server ----
python3 "$SRC/tests/cli/chat_server.py" "$TMP/port" "$TMP/reply" "$TMP/log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
M="http://127.0.0.1:$(cat "$TMP/port")/v1#scripted"

printf 'You get 45 working days [1].' >"$TMP/reply"
printf 'Query: parental leave for fathers\n' >"$TMP/reply.rewrite"
: >"$TMP/log"
t "a generated answer and a follow-up rewritten by the model" \
	chat_ok "searching: parental leave for fathers" "$Q1\n$Q2\n" --model "$M"
t "three requests: answer, rewriting, answer" sh -c '[ "$(wc -l <"$0")" -eq 3 ]' "$TMP/log"
t "the rewriting request follows the first turn and asks greedily" python3 -c "
import json,sys
r = [json.loads(l) for l in open(sys.argv[1])]
m = r[1]['messages']
assert 'standalone search query' in m[-1]['content'] and '$Q2' in m[-1]['content'], m[-1]
assert '$Q1' in m[-1]['content']
assert [x['role'] for x in m] == ['system', 'user', 'assistant', 'user'], m
assert r[1]['temperature'] == 0, r[1]
" "$TMP/log"
t "the second answer's request carries the first turn as sent" python3 -c "
import json,sys
r = [json.loads(l) for l in open(sys.argv[1])]
first, second = r[0]['messages'], r[2]['messages']
m = second
assert [x['role'] for x in m] == ['system', 'user', 'assistant', 'user'], m
assert m[1]['content'] == first[-1]['content'], (m[1], first[-1])
assert 'Question: $Q1' in m[1]['content'] and '45 working days' in m[1]['content']
assert m[2]['content'] == 'You get 45 working days [1].', m[2]
assert 'Question: $Q2' in m[3]['content'], m[3]
" "$TMP/log"
t "the generated answer streams with its sources" chat_ok "You get 45 working days [1]." "$Q1\n" --model "$M"
t "a server that is down fails the session" expect_status 1 sh -c \
	'printf "%s\n" "$1" | "$0" chat --model "http://127.0.0.1:9/v1#x"' "$DOCENT" "$Q1"

# Ctrl-C stops one answer; the session goes on to the next question
printf 'A slow answer that goes on and on and on and on and on and on [1].' >"$TMP/reply"
printf '0.3' >"$TMP/reply.delay"
mkfifo "$TMP/in"
"$DOCENT" chat --model "$M" <"$TMP/in" >"$TMP/slow.out" 2>&1 &
CHAT=$!
exec 3>"$TMP/in"
printf '%s\n' "$Q1" >&3
sleep 1.5
kill -INT $CHAT
sleep 0.5
rm -f "$TMP/reply.delay"
printf 'Fast now [1].\n' >"$TMP/reply"
printf '%s\n' "when is the leave taken?" >&3
exec 3>&-
wait $CHAT
status=$?
t "Ctrl-C stops the answer, the session goes on and ends well" finished 0 "$status" "$TMP/slow.out"
t "... it says it stopped" in_file "docent: stopped" "$TMP/slow.out"
t "... and the next question is answered" in_file "Fast now" "$TMP/slow.out"

# ---- the tiny in-process model (random weights: the text is noise) ----
T="$SRC/build/models/tiny-chat.gguf"
if [ -f "$T" ]; then
	t "a session with the in-process model" chat_ok "> $Q2" "$Q1\n$Q2\n" --model "$T"
	# chat reranks as ask does: a reranking model is opened (and a wrong one said)
	DOCENT_RERANK_MODEL="$SRC/build/models/tiny-rerank.gguf"
	export DOCENT_RERANK_MODEL
	t "chat answers with a reranking model set" chat_ok "45 working days" "$Q1\n" --extractive
	unset DOCENT_RERANK_MODEL
	t "... the wrong kind of model as reranker is a clear error" sh -c '
printf "x\n" | DOCENT_RERANK_MODEL="$1" "$0" chat --extractive >"$2" 2>&1; s=$?
cat "$2"; [ $s -eq 1 ] && grep -q rerank "$2" && ! grep -E -q "Sanitizer|runtime error:" "$2"' \
		"$DOCENT" "$T" "$TMP/rr.out"
else
	echo "missing $T: run 'make tiny-models'"; exit 1
fi

# ---- the prompt on a terminal (libedit) ----
if command -v script >/dev/null 2>&1; then
	printf 'You get 45 working days [1].' >"$TMP/reply"
	{ sleep 1; printf '%s\r' "$Q1"; sleep 2; printf '/quit\r'; sleep 1; } |
		TERM=dumb SHELL=/bin/sh script -qec "exec $DOCENT chat --model $M" /dev/null >"$TMP/tty.out" 2>&1
	status=$?
	cat "$TMP/tty.out"
	t "on a terminal: the prompt, the answer, a clean exit" sh -c \
		'[ "$0" -eq 0 ] && grep -q "^> " "$1" && grep -q "45 working days" "$1" &&
		 ! grep -E -q "Sanitizer|runtime error:" "$1"' "$status" "$TMP/tty.out"
	t "... the question is in the history file" grep -q "parental" "$DOCENT_HOME/chat_history"
	# Ctrl-C during an answer returns to the prompt; Ctrl-D then leaves
	printf 'A slow answer that goes on and on and on and on and on and on [1].' >"$TMP/reply"
	printf '0.3' >"$TMP/reply.delay"
	{ sleep 1; printf '%s\r' "$Q1"; sleep 2; printf '\003'; sleep 1; printf '\003'; sleep 1
	  printf '\004'; sleep 1; } |
		TERM=dumb SHELL=/bin/sh script -qec "exec $DOCENT chat --model $M" /dev/null >"$TMP/tty2.out" 2>&1
	status=$?
	rm -f "$TMP/reply.delay"
	cat "$TMP/tty2.out"
	t "on a terminal Ctrl-C stops the answer, at the prompt does nothing; Ctrl-D leaves" sh -c \
		'[ "$0" -eq 0 ] && grep -q "docent: stopped" "$1" && [ "$(grep -c "^> " "$1")" -ge 2 ] &&
		 ! grep -q "on and on and on and on and on and on" "$1" &&
		 ! grep -E -q "Sanitizer|runtime error:" "$1"' "$status" "$TMP/tty2.out"
fi

finish
