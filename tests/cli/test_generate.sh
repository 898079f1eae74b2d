#!/bin/sh
# test_generate.sh - `docent generate` with the generated tiny chat model
# (in-process llama.cpp), and its errors: no model, a missing file, a
# server that is down, an embedding model, a catalogue model not pulled;
# then each chat architecture (Llama 3, Phi-3, Gemma 2) with its own chat
# template, the system message included (folded into the user turn for
# Gemma, which has no system role).
. "$(dirname "$0")/lib.sh"

M="$SRC/build/models/tiny-chat.gguf"
[ -f "$M" ] || { echo "missing $M: run 'make tiny-models'"; exit 1; }

t "generate --help" contains "Usage: docent generate" "$DOCENT" generate --help
t "no model configured says how to set one" expect_error 1 "DOCENT_CHAT_MODEL" "$DOCENT" generate hello
t "no model configured fails" expect_status 1 "$DOCENT" generate hello
t "generates from a GGUF file" expect_status 0 "$DOCENT" generate -m "$M" -n 6 -t 0 "Once upon a time"
# two runs at temperature 0 write the same text, and some text (two empty
# or failed runs would compare equal too)
same_twice() {
	"$DOCENT" generate -m "$M" -n 6 -t 0 "Once upon a time" >"$TMP/a" 2>"$TMP/a.err" || { cat "$TMP/a.err"; return 1; }
	"$DOCENT" generate -m "$M" -n 6 -t 0 "Once upon a time" >"$TMP/b" 2>"$TMP/b.err" || { cat "$TMP/b.err"; return 1; }
	cat "$TMP/a" "$TMP/b" "$TMP/a.err" "$TMP/b.err"
	[ "$(tr -d ' \n' <"$TMP/a" | wc -c)" -gt 0 ] || { echo "no text"; return 1; }
	cmp "$TMP/a" "$TMP/b"
}
t "temperature 0 is deterministic" same_twice
t "chat template" expect_status 0 "$DOCENT" generate -m "$M" -n 4 --chat "Hello"
t "stats on stderr" contains "tokens/s" "$DOCENT" generate -m "$M" -n 4 --stats "Hello"
t "DOCENT_CHAT_MODEL selects the model" sh -c 'DOCENT_CHAT_MODEL="$1" "$0" generate -n 3 hi' "$DOCENT" "$M"
t "config names its origin" sh -c 'DOCENT_CHAT_MODEL="$1" "$0" config >"$2" && grep -q "engine.chat_model.*env DOCENT_CHAT_MODEL" "$2"' "$DOCENT" "$M" "$TMP/cfg.out"
t "a missing model file is a clear error" expect_error 1 "no such file" "$DOCENT" generate -m /nonexistent/model.gguf hi
t "a server that is down is a clear error" expect_error 1 "check that the server is running" \
	"$DOCENT" generate -m "http://127.0.0.1:9/v1#x" hi
t "a bad model spec is a usage-level error" expect_status 1 "$DOCENT" generate -m "ftp://x" hi

# ---- the models folder ----
mkdir -p "$DOCENT_HOME/models"
cp "$M" "$SRC/build/models/tiny-embed.gguf" "$DOCENT_HOME/models/"
printf 'not a model' >"$DOCENT_HOME/models/broken.gguf"
t "models lists the chat model" contains "qwen2" "$DOCENT" models
t "models tells embedding from chat" contains "embedding" "$DOCENT" models
t "models says what is wrong with a bad file" contains "not a GGUF file" "$DOCENT" models
t "models --json" json_check 'assert len(d["files"]) == 3, d' "$DOCENT" models --json
t "a bare name is looked up in the models folder" expect_status 0 "$DOCENT" generate -m tiny-chat.gguf -n 3 hi

# ---- the model must be a chat model, named in any form ----
t "an embedding model cannot chat" expect_error 1 "docent models pull qwen2.5-0.5b-instruct" \
	"$DOCENT" generate -m "$SRC/build/models/tiny-embed.gguf" hi
t "and that is a failure" expect_status 1 "$DOCENT" generate -m "$SRC/build/models/tiny-embed.gguf" hi
t "a catalogue model not pulled says how to pull it" expect_error 1 "docent models pull qwen2.5-0.5b-instruct" \
	"$DOCENT" generate -m qwen2.5-0.5b hi
t "and fails" expect_status 1 "$DOCENT" generate -m qwen2.5-0.5b hi

# ---- each chat architecture, with its template ----
# --chat with a system message, the templated prompt shown: docent exits 0
# with no sanitizer report, its stdout and stderr kept in OUT (OUT.passed
# marks a run that passed, which the template checks below require)
for m in tiny-llama tiny-phi3 tiny-gemma2; do
	[ -f "$SRC/build/models/$m.gguf" ] || { echo "missing $m.gguf: run 'make tiny-models'"; exit 1; }
	t "$m loads, templates and answers" saved 0 "$TMP/$m.out" \
		"$DOCENT" generate -m "$SRC/build/models/$m.gguf" -n 4 -t 0 --chat --show-prompt \
		--system "SYS-RULES cite the passages" "USER-QUESTION hello"
done
t "llama: Llama 3 headers around each turn" sh -c \
	'[ -e "$0.passed" ] && grep -q "<|start_header_id|>system<|end_header_id|>" "$0" && grep -q "<|start_header_id|>user<|end_header_id|>" "$0" && grep -q "<|start_header_id|>assistant<|end_header_id|>" "$0" && grep -q SYS-RULES "$0"' \
	"$TMP/tiny-llama.out"
t "phi3: <|system|>, <|user|> and <|assistant|> turns" sh -c \
	'[ -e "$0.passed" ] && grep -q "<|system|>" "$0" && grep -q "<|user|>" "$0" && grep -q "<|assistant|>" "$0" && grep -q "<|end|>" "$0"' \
	"$TMP/tiny-phi3.out"
t "gemma2: no system turn" sh -c '[ -e "$0.passed" ] && ! grep -q "<start_of_turn>system" "$0"' "$TMP/tiny-gemma2.out"
t "gemma2: the system message opens the user turn" sh -c \
	'[ -e "$0.passed" ] && grep -A1 "^<start_of_turn>user\$" "$0" | grep -q "^SYS-RULES" && grep -q "USER-QUESTION hello<end_of_turn>" "$0" && grep -q "^<start_of_turn>model" "$0"' \
	"$TMP/tiny-gemma2.out"
t "--system needs --chat" expect_status 2 "$DOCENT" generate -m "$M" --system x hi

# ---- settings that are not numbers ----
for x in nan inf -inf -1 1e999; do
	t "-t $x is a usage error" expect_error 2 "expected a finite number >= 0" \
		"$DOCENT" generate -m "$M" -t "$x" hi
done
t "DOCENT_ENGINE_TEMPERATURE=nan is refused" expect_error 1 "DOCENT_ENGINE_TEMPERATURE" \
	env DOCENT_ENGINE_TEMPERATURE=nan "$DOCENT" generate -m "$M" hi

# ---- servers that do not do as asked (tests/cli/odd_server.py) ----
python3 "$SRC/tests/cli/odd_server.py" "$TMP/port" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
U="http://127.0.0.1:$(cat "$TMP/port")"
t "--chat: a plain JSON reply to a streamed request is printed" \
	ok "A plain reply that was not streamed." "$DOCENT" generate --chat -m "$U/plain/v1#x" hi
t "... also spread over many lines" \
	ok "A plain reply that was not streamed." "$DOCENT" generate --chat -m "$U/pretty/v1#x" hi
t "... and without --chat" \
	ok "A plain reply that was not streamed." "$DOCENT" generate -m "$U/pretty/v1#x" hi
# n_words N COMMAND...: COMMAND exits 0 and prints exactly N words on stdout
n_words() {
	_n=$1
	shift
	"$@" >"$TMP/w.out" 2>"$TMP/w.err" || { cat "$TMP/w.err"; return 1; }
	cat "$TMP/w.out" "$TMP/w.err"
	[ "$(wc -w <"$TMP/w.out")" -eq "$_n" ]
}
t "-n is kept when the server ignores max_tokens" n_words 5 "$DOCENT" generate -n 5 -m "$U/ignore/v1#x" hi
t "... with --chat too" n_words 7 "$DOCENT" generate --chat -n 7 -m "$U/ignore/v1#x" hi
t "... and counted as 5 generated" ok "5 generated" "$DOCENT" generate --stats -n 5 -m "$U/ignore/v1#x" hi
# ctrl_c MODE: Ctrl-C one second into a generation from a server that has
# stopped sending (stall: after the headers; silent: before them) ends
# docent within a second, with status 130
ctrl_c() {
	"$DOCENT" generate -m "$U/$1/v1#x" hi >"$TMP/int.out" 2>&1 &
	_pid=$!
	sleep 1
	kill -INT $_pid
	_t0=$(date +%s%N)
	wait $_pid
	_st=$?
	_ms=$(( ($(date +%s%N) - _t0) / 1000000 ))
	cat "$TMP/int.out"
	echo "status $_st after $_ms ms"
	[ $_st -eq 130 ] && [ $_ms -lt 1000 ] && grep -q "docent: stopped" "$TMP/int.out"
}
t "Ctrl-C while a server stalls mid-stream: exit 130 within a second" ctrl_c stall
t "Ctrl-C while a server says nothing at all: exit 130 within a second" ctrl_c silent

finish
