#!/bin/sh
# test_ask.sh - `docent ask`: extractive answers without a model, the
# weak-evidence path, citation checking against a scripted OpenAI-compatible
# server on 127.0.0.1 (a citation of a passage that does not exist, an
# answer citing none, streaming, Ctrl-C), --json, terminal output, and an
# answer from the tiny in-process model.
. "$(dirname "$0")/lib.sh"

# the handbook every answer test asks about
D="$TMP/docs"
mkdir -p "$D"
cp "$SRC/tests/fixtures/handbook/leave.md" "$SRC/tests/fixtures/handbook/laptops.txt" "$D/"

t "ask --help" ok "Usage: docent ask" "$DOCENT" ask --help
t "no question is a usage error" expect_status 2 "$DOCENT" ask
t "no database says how to make one" expect_error 1 "docent ingest" "$DOCENT" ask "parental leave"
t "ingest" expect_status 0 "$DOCENT" ingest --no-embed "$D"

Q="how many days of parental leave do employees get?"
t "extractive answer without a model" ok "45 working days" "$DOCENT" ask "$Q"
t "extractive answer is labelled" ok "Extractive answer" "$DOCENT" ask "$Q"
t "extractive answer cites" ok "[1]" "$DOCENT" ask "$Q"
t "sources list the path and byte range" ok "leave.md (bytes " "$DOCENT" ask "$Q"
t "sources give the heading" ok "Parental leave" "$DOCENT" ask "$Q"
t "extractive --json" json_check "
assert d['mode'] == 'extractive', d['mode']
assert '45 working days' in d['answer']
c = d['citations'][0]
for k in ('n', 'path', 'page', 'heading', 'start_byte', 'end_byte', 'text'): assert k in c, k
assert c['path'].endswith('leave.md') and 'Parental leave' in c['heading']
assert c['end_byte'] > c['start_byte']
assert all('tokens' in x for x in d['context'])
for k in ('retrieval_ms', 'packing_ms', 'first_token_ms', 'tokens_per_s'): assert k in d['timings'], k
" "$DOCENT" ask --json "$Q"
t "the cited byte range holds the cited text" json_check "
import subprocess
c = d['citations'][0]
src = open(c['path'], encoding='utf-8').read().encode()
first = c['text'].split(' … ')[0][:40].encode()
assert first in src, (first, src)
" "$DOCENT" ask --json "$Q"

t "a question the documents do not answer" ok "do not answer" "$DOCENT" ask "who won the chess tournament in Reykjavik last winter?"
t "... is not called an extractive answer" ok_lacks "Extractive answer" "$DOCENT" ask "who won the chess tournament in Reykjavik last winter?"
t "no_evidence in --json" json_check "
assert d['mode'] == 'no_evidence', d['mode']
assert d['citations'] == []
" "$DOCENT" ask --json "who won the chess tournament in Reykjavik last winter?"
t "nothing at all matches" ok "do not answer" "$DOCENT" ask "zyxwv qwertz"

# ---- a scripted model server ----
python3 "$SRC/tests/cli/chat_server.py" "$TMP/port" "$TMP/reply" "$TMP/log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
M="http://127.0.0.1:$(cat "$TMP/port")/v1#scripted"

printf 'You get 45 working days [1]; see also [7].' >"$TMP/reply"
t "generated answer keeps a valid citation" ok "45 working days [1]" "$DOCENT" ask --model "$M" "$Q"
t "a citation of no passage is removed" sh -c '"$0" ask --model "$1" "$2" 2>/dev/null >"$3"; s=$?; cat "$3"
[ $s -eq 0 ] && grep -qF "45 working days [1]" "$3" && ! grep -qF "[7]" "$3"' "$DOCENT" "$M" "$Q" "$TMP/cite.out"
t "the removal is reported" ok "removed citation of passage that does not exist: [7]" "$DOCENT" ask --model "$M" "$Q"
t "the sources follow" ok "Sources:" "$DOCENT" ask --model "$M" "$Q"
t "--no-stream gives the same answer" ok "45 working days [1]; see also ." "$DOCENT" ask --no-stream --model "$M" "$Q"
t "generated --json" json_check "
assert d['mode'] == 'generated', d['mode']
assert d['answer'] == 'You get 45 working days [1]; see also .', d['answer']
assert d['removed_citations'] == [7]
assert [c['n'] for c in d['citations']] == [1]
assert d['model']
" "$DOCENT" ask --json --model "$M" "$Q"
t "the prompt holds instructions, numbered passages and the question" sh -c '
tail -1 "$0" | python3 -c "
import json,sys
r = json.loads(sys.stdin.read())
m = r[\"messages\"]
assert m[0][\"role\"] == \"system\" and \"cite\" in m[0][\"content\"], m[0]
assert m[-1][\"role\"] == \"user\"
u = m[-1][\"content\"]
assert \"[1]\" in u and \"45 working days\" in u and \"Question: how many days\" in u, u
assert r[\"stream\"] is True
"' "$TMP/log"

# a model's (or a document's) escape sequences never reach the terminal:
# CSI colour, OSC title and OSC 52 (clipboard), the C1 form of CSI
printf 'You get 45 \033[31mworking\033[0m days\033]0;pwned\007 [1] \033]52;c;ZXZpbA==\007\302\2332Jok.' >"$TMP/reply"
t "escape sequences from the model are dropped" sh -c '"$0" ask --model "$1" "$2" >"$3" 2>&1; s=$?; cat "$3"
[ $s -eq 0 ] && grep -q "45 .*working.* days" "$3" && ! grep -q "$(printf "\033")" "$3" &&
 ! grep -q "$(printf "\302\233")" "$3" && ! grep -E -q "Sanitizer|runtime error:" "$3"' "$DOCENT" "$M" "$Q" "$TMP/esc.out"

printf 'Employees get 45 working days.' >"$TMP/reply"
t "an answer citing nothing says so" ok "cites no passage" "$DOCENT" ask --model "$M" "$Q"
lines=$(wc -l <"$TMP/log")
t "weak evidence does not ask the model" ok "do not answer" "$DOCENT" ask --model "$M" "who won the chess tournament in Reykjavik last winter?"
t "... the server saw no request" sh -c '[ "$(wc -l <"$0")" -eq "$1" ]' "$TMP/log" "$lines"

printf 'A slow answer that goes on and on and on and on and on and on [1].' >"$TMP/reply"
printf '3' >"$TMP/reply.delay" # a server that stays silent
"$DOCENT" ask --model "$M" "$Q" >"$TMP/slow.out" 2>&1 &
ASK=$!
sleep 1.5
kill -INT $ASK
start=$(date +%s%N)
wait $ASK
status=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
t "Ctrl-C stops the answer with status 130" finished 130 "$status" "$TMP/slow.out"
t "... within a second, though the server is silent" sh -c 'echo "$0 ms"; [ "$0" -lt 1000 ]' "$took"
rm -f "$TMP/reply.delay"

t "a server that is down is a clear error" expect_error 1 "check that the server is running" \
	"$DOCENT" ask --model "http://127.0.0.1:9/v1#x" "$Q"
t "a server that is down fails" expect_status 1 "$DOCENT" ask --model "http://127.0.0.1:9/v1#x" "$Q"

# ---- the terminal ----
if command -v script >/dev/null 2>&1; then
	printf 'You get 45 working days [1].' >"$TMP/reply"
	# tty_has OUT PATTERN ENV...: `docent ask` on a pseudo-terminal with ENV
	# exits 0 (script -e passes its status on) and its screen, kept in OUT,
	# matches PATTERN; tty_lacks: does not match it
	tty_run() {
		_out=$1
		shift
		env "$@" SHELL=/bin/sh script -qec "exec $DOCENT ask --model $M \"$Q\"" /dev/null >"$_out" 2>&1 ||
			{ cat "$_out"; echo "exit status $?"; return 1; }
	}
	tty_has() {
		_out=$1 _pat=$2
		shift 2
		tty_run "$_out" "$@" && grep -q -- "$_pat" "$_out"
	}
	tty_lacks() {
		_out=$1 _pat=$2
		shift 2
		tty_run "$_out" "$@" && ! grep -q -- "$_pat" "$_out"
	}
	ESC=$(printf '\033')
	t "on a terminal paths are OSC 8 links" tty_has "$TMP/tty1" "]8;;file://" TERM=xterm
	t "NO_COLOR: no escape sequences" tty_lacks "$TMP/tty2" "$ESC" NO_COLOR=1 TERM=xterm
	t "TERM=dumb: no escape sequences" tty_lacks "$TMP/tty3" "$ESC" TERM=dumb
fi

# ---- the tiny in-process model (random weights: the text is noise) ----
T="$SRC/build/models/tiny-chat.gguf"
if [ -f "$T" ]; then
	t "an answer from the in-process model" json_check "
assert d['mode'] == 'generated', d['mode']
assert d['prompt_tokens'] > 0 and d['completion_tokens'] > 0
" "$DOCENT" ask --json -n 8 --model "$T" "$Q"
	# the instructions are read once: a later process loads the model's
	# state after them from the data directory's cache
	"$DOCENT" ask --json -n 2 --model "$T" "How do I report a lost laptop?" >/dev/null 2>&1
	t "a new process reuses the saved prompt prefix" json_check "
assert d['cached_tokens'] >= 16, d['cached_tokens']
assert d['cached_tokens'] < d['prompt_tokens']
" "$DOCENT" ask --json -n 2 --model "$T" "How are hotels booked through the travel desk?"
	for f in "$DOCENT_HOME"/cache/prefix-*.kv; do printf garbage >"$f"; done
	t "a corrupt prefix file costs only speed" json_check "assert d['mode'] == 'generated', d" \
		"$DOCENT" ask --json -n 2 --model "$T" "$Q"
	# every chat architecture people bring, in its own chat template
	for arch in llama phi3 gemma2; do
		A="$SRC/build/models/tiny-$arch.gguf"
		t "ask through a $arch model" json_check "
assert d['mode'] == 'generated', d['mode']
assert d['prompt_tokens'] > 0
" "$DOCENT" ask --json -n 4 --model "$A" "$Q"
	done
	R="$SRC/build/models/tiny-rerank.gguf"
	t "a reranking model reorders the passages" json_check "
assert d['reranked'] is True
assert d['mode'] == 'extractive', d['mode']
assert d['timings']['rerank_ms'] > 0
" env DOCENT_RERANK_MODEL="$R" "$DOCENT" ask --json "$Q"
	t "--no-rerank leaves them" json_check "
assert d['reranked'] is False
" env DOCENT_RERANK_MODEL="$R" "$DOCENT" ask --json --no-rerank "$Q"
	t "a chat model as reranker is a clear error" expect_error 1 "rerank" \
		env DOCENT_RERANK_MODEL="$T" "$DOCENT" ask "$Q"
	# end to end through a real llama-server on the tiny model; a grammar keeps
	# its random tokens to valid UTF-8, which the server refuses to return otherwise
	LBIN=$("$SRC/scripts/llama.sh" --bin)
	LPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$LBIN/llama-server" -m "$T" --host 127.0.0.1 --port "$LPORT" -t 2 -c 2048 --no-webui \
		--grammar 'root ::= [a-z .]+' \
		>"$TMP/llama-server.log" 2>&1 &
	LSERVER=$!
	trap 'kill $SERVER $LSERVER 2>/dev/null; rm -rf "$TMP"' EXIT
	i=0
	until python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$LPORT/v1/models', timeout=1)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || break
		sleep 0.2
	done
	t "an answer through llama-server" json_check "
assert d['mode'] == 'generated', d['mode']
assert d['completion_tokens'] > 0
assert all(1 <= c['n'] <= len(d['context']) for c in d['citations'])
" "$DOCENT" ask --json -n 8 --model "http://127.0.0.1:$LPORT/v1#tiny-chat" "$Q"
	kill $LSERVER 2>/dev/null
	t "ask refuses an embedding model" expect_error 1 "chat model" \
		"$DOCENT" ask --model "$SRC/build/models/tiny-embed.gguf" "$Q"
	t "... and fails" expect_status 1 "$DOCENT" ask --model "$SRC/build/models/tiny-embed.gguf" "$Q"
	t "a catalogue name not pulled yet says how to pull it" expect_error 1 "docent models pull" \
		"$DOCENT" ask --model qwen2.5-0.5b-instruct "$Q"
else
	echo "missing $T: run 'make tiny-models'"; exit 1
fi

finish
